// SPDX-License-Identifier: Apache-2.0
// The network model a scenario names, built on a cluster with the scenario's message overheads.
#pragma once

#include <memory>

#include "models/network/network_model.hpp"
#include "sim/scenario/scenario.hpp"
#include "topology/cluster.hpp"

namespace dsim::run {

std::unique_ptr<models::network::NetworkModel> make_network(const scenario::ModelsSpec& models,
                                                            const topology::Cluster& cluster);

}  // namespace dsim::run
