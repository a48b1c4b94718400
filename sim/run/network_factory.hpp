// SPDX-License-Identifier: Apache-2.0
// The network model a scenario names, built on a cluster with the scenario's message overheads.
#pragma once

#include <memory>

#include "models/network/network_model.hpp"
#include "sim/scenario/scenario.hpp"
#include "topology/cluster.hpp"

namespace dsim::run {

// `routes`: gpu_to_gpu when no flow will read host memory (replays of step traces), which lets the flow model share
// bandwidth over fewer links; all when some may (dsim comm's background host reads).
std::unique_ptr<models::network::NetworkModel> make_network(const scenario::ModelsSpec& models,
                                                            const topology::Cluster& cluster,
                                                            topology::Cluster::Routes routes);

}  // namespace dsim::run
