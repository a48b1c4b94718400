// SPDX-License-Identifier: Apache-2.0
// The generated workloads of /workload: a training step (kind training) or an inference step (kind inference) of a
// built-in model, laid out on the cluster's GPUs. Hand-written traces (kind trace) are read by the loader itself.
#pragma once

#include <optional>
#include <string>

#include "models/collectives/moe/router.hpp"
#include "sim/scenario/json_reader.hpp"
#include "sim/scenario/param_table.hpp"
#include "topology/cluster_spec.hpp"
#include "workloads/generators/inference_step.hpp"
#include "workloads/generators/training_step.hpp"
#include "workloads/model/model_config.hpp"

namespace dsim::scenario {

enum class WorkloadKind : std::uint8_t { trace, training, inference };
inline constexpr std::array<std::string_view, 3> workload_kind_names = {"trace", "training", "inference"};

struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::trace;
  workloads::ModelConfig model;
  workloads::generators::TrainingSpec training;
  workloads::generators::InferenceSpec inference;
  models::collectives::moe::RouterSpec router;
  int redundant_experts = 0;
};

void declare_workload_params(ParamTable& t);

// Reads /workload/model, /workload/router and /workload/training or /workload/inference for a generated kind, and
// checks the layout against the cluster (memory included) so `dsim validate` reports what a run would.
WorkloadSpec read_generated_workload(ObjectReader& workload, WorkloadKind kind, const topology::ClusterSpec& cluster,
                                     const std::string& scenario_dir, std::uint64_t seed);

}  // namespace dsim::scenario
