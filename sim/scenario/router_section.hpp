// SPDX-License-Identifier: Apache-2.0
// A router object (which experts each token picks), read the same way wherever a scenario has one: /comm/moe/router
// for `dsim comm`, /workload/router for generated training and inference steps.
#pragma once

#include <optional>
#include <string>

#include "models/collectives/moe/router.hpp"
#include "sim/scenario/json_reader.hpp"
#include "sim/scenario/param_table.hpp"

namespace dsim::scenario {

// Declares the router keys under `r` (e.g. "/comm/moe/router"). experts, top_k, groups and topk_groups default to
// DeepSeek-V3's (256, 8, 8, 4).
void declare_router_params(ParamTable& t, const std::string& r);

// Reads a router object and checks it (a routing file is read now), so `dsim validate` reports what a run would.
// `shape`, when given, supplies experts, top_k, groups and topk_groups the object does not set (a workload's model).
models::collectives::moe::RouterSpec read_router(ObjectReader r, const std::string& scenario_dir, std::uint64_t seed,
                                                 const std::optional<models::collectives::moe::RouterSpec>& shape = {});

}  // namespace dsim::scenario
