// SPDX-License-Identifier: Apache-2.0
// A Simulation owns everything one run needs (cluster, models, trace) so several runs can live in one process. A
// generated workload (training or inference step) is built here, from the loaded spec, when the run starts.
#pragma once

#include <optional>
#include <vector>

#include "models/compute/compute_model.hpp"
#include "sim/replay/replay.hpp"
#include "sim/scenario/scenario.hpp"
#include "topology/cluster.hpp"
#include "workloads/generators/inference_step.hpp"
#include "workloads/generators/training_step.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::run {

// What the reports need about a generated workload beyond the replay.
struct WorkloadFigures {
  std::optional<workloads::generators::TrainingFigures> training;
  std::vector<workloads::generators::PipelineRankMemory> memory;  // training: per pipeline rank
  std::optional<workloads::generators::InferenceFigures> inference;
};

struct RunOutput {
  workloads::StepTrace trace{0};
  replay::ReplayResult result;
  WorkloadFigures figures;
  double generate_seconds = 0.0;  // wall time building the trace (reported, never written to files)
  double replay_seconds = 0.0;
  std::size_t routings = 0;       // distinct MoE routings drawn
};

class Simulation {
 public:
  explicit Simulation(const scenario::Scenario& scenario);

  // Builds the workload (or takes the scenario's trace) and replays it on fresh models; each call is an
  // independent run with the same result.
  RunOutput run() const;
  // Only the first half of run(): the trace and the workload's figures, nothing replayed.
  RunOutput generate() const;

  const scenario::Scenario& scenario() const { return scenario_; }
  const topology::Cluster& cluster() const { return cluster_; }
  const models::compute::ComputeModel& compute() const { return compute_; }

 private:
  const scenario::Scenario& scenario_;
  topology::Cluster cluster_;
  models::compute::ComputeModel compute_;
};

}  // namespace dsim::run
