// SPDX-License-Identifier: Apache-2.0
// Command-line overrides: --set /json/pointer=VALUE replaces one value of the loaded scenario.
#pragma once

#include <string_view>

#include "sim/scenario/json_source.hpp"

namespace dsim::scenario {

// Applies "/json/pointer=VALUE". VALUE is parsed as JSON, or taken as a plain string when it is not JSON, so
// `/name=foo` gives "foo", `/cluster/nodes=4` gives 4 and `/x=[1,2]` an array. Missing objects on the way are
// created; array indices must exist. The pointer and everything below it then come from "--set". Errors are
// InputErrors with source "--set" and where = the pointer as written.
void apply_set_override(SourcedJson& scenario, std::string_view assignment);

}  // namespace dsim::scenario
