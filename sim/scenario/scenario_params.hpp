// SPDX-License-Identifier: Apache-2.0
// The one table of scenario parameters: key, type, unit, default and description of each. The loader reads through
// it and `dsim help scenario` prints it, so the documentation cannot drift from what is accepted.
#pragma once

#include "sim/scenario/param_table.hpp"

namespace dsim::scenario {

ParamTable make_scenario_params();

}  // namespace dsim::scenario
