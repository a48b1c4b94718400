// SPDX-License-Identifier: Apache-2.0
// A Simulation owns everything one run needs (cluster, models, trace) so several runs can live in one process.
#pragma once

#include "models/compute/compute_model.hpp"
#include "sim/replay/replay.hpp"
#include "sim/scenario/scenario.hpp"
#include "topology/cluster.hpp"

namespace dsim::run {

class Simulation {
 public:
  explicit Simulation(const scenario::Scenario& scenario);

  // Replays the scenario's trace on fresh models; each call is an independent run with the same result.
  replay::ReplayResult run() const;

  const scenario::Scenario& scenario() const { return scenario_; }
  const topology::Cluster& cluster() const { return cluster_; }

 private:
  const scenario::Scenario& scenario_;
  topology::Cluster cluster_;
  models::compute::ComputeModel compute_;
};

}  // namespace dsim::run
