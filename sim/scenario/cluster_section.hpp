// SPDX-License-Identifier: Apache-2.0
// The /cluster section of a scenario: its parameters (declared in the one table) and how they become a ClusterSpec.
// A node starts from a named template; any field given in the scenario overrides it.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "sim/scenario/json_reader.hpp"
#include "sim/scenario/param_table.hpp"
#include "topology/cluster_spec.hpp"
#include "topology/cost/cost_model.hpp"

namespace dsim::scenario {

void declare_cluster_params(ParamTable& table);

// Reads /cluster (finishing every reader it opens). The node's effective values, template included, are written
// into `resolved_node` so `dsim show` and summary.json show what the run used.
topology::ClusterSpec read_cluster(ObjectReader cluster, std::uint64_t seed, nlohmann::json& resolved_node,
                                   topology::CostPrices& prices);

}  // namespace dsim::scenario
