// SPDX-License-Identifier: Apache-2.0
#include "sim/run/simulation.hpp"

#include "sim/run/network_factory.hpp"

namespace dsim::run {

Simulation::Simulation(const scenario::Scenario& scenario)
    : scenario_(scenario),
      cluster_(scenario.cluster),
      compute_(scenario.cluster.node.gpu, scenario.models.compute_efficiency) {}

replay::ReplayResult Simulation::run() const {
  const auto network = make_network(scenario_.models, cluster_);
  return replay::replay(cluster_, scenario_.trace, *network, compute_);
}

}  // namespace dsim::run
