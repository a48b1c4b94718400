// SPDX-License-Identifier: Apache-2.0
#include "sim/run/simulation.hpp"

#include <memory>

#include "models/network/flow_network.hpp"
#include "models/network/simple_network.hpp"

namespace dsim::run {
namespace {

std::unique_ptr<models::network::NetworkModel> make_network(scenario::NetworkModelKind kind,
                                                            const topology::Cluster& cluster) {
  switch (kind) {
    case scenario::NetworkModelKind::flow:
      return std::make_unique<models::network::FlowNetwork>(cluster);
    case scenario::NetworkModelKind::simple:
      return std::make_unique<models::network::SimpleNetwork>(cluster);
  }
  return nullptr;
}

}  // namespace

Simulation::Simulation(const scenario::Scenario& scenario)
    : scenario_(scenario),
      cluster_(scenario.cluster),
      compute_(scenario.cluster.node.gpu, scenario.models.compute_efficiency) {}

replay::ReplayResult Simulation::run() const {
  const auto network = make_network(scenario_.models.network, cluster_);
  return replay::replay(cluster_, scenario_.trace, *network, compute_);
}

}  // namespace dsim::run
