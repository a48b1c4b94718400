// SPDX-License-Identifier: Apache-2.0
#include "sim/run/simulation.hpp"

#include <chrono>

#include "sim/core/check.hpp"
#include "sim/run/network_factory.hpp"

namespace dsim::run {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Simulation::Simulation(const scenario::Scenario& scenario)
    : scenario_(scenario),
      cluster_(scenario.cluster),
      compute_(scenario.cluster.node.gpu, scenario.models.compute_efficiency, scenario.models.kernel_table) {}

RunOutput Simulation::generate() const {
  RunOutput out;
  const auto generate_start = std::chrono::steady_clock::now();
  const scenario::WorkloadSpec& workload = scenario_.workload;
  switch (workload.kind) {
    case scenario::WorkloadKind::trace:
      out.trace = scenario_.trace;
      break;
    case scenario::WorkloadKind::training: {
      auto step = workloads::generators::make_training_step(workload.model, workload.training);
      out.trace = std::move(step.trace);
      out.figures.training = std::move(step.figures);
      out.figures.memory = workloads::generators::training_memory(workload.model, workload.training);
      break;
    }
    case scenario::WorkloadKind::inference:
      out.trace = workloads::generators::make_inference_step(workload.model, workload.inference,
                                                             cluster_.gpu_count());
      out.figures.inference = workloads::generators::inference_figures(workload.inference);
      break;
  }
  if (workload.kind != scenario::WorkloadKind::trace) {
    // Generated traces pair up by construction; a problem here is a generator bug, not bad input.
    const auto problem = out.trace.match_transfers();
    DSIM_CHECK(!problem, "generated trace: {}", problem ? problem->message : "");
  }
  out.generate_seconds = seconds_since(generate_start);
  return out;
}

RunOutput Simulation::run() const {
  RunOutput out = generate();
  const scenario::WorkloadSpec& workload = scenario_.workload;
  const auto replay_start = std::chrono::steady_clock::now();
  // A step trace's calls and transfers run between GPUs; nothing in a replay reads host memory.
  const auto network = make_network(scenario_.models, cluster_, topology::Cluster::Routes::gpu_to_gpu);
  replay::CallPlannerOptions options;
  options.router = workload.router;
  options.redundant_experts = workload.redundant_experts;
  options.copy_per_sm = scenario_.models.copy_per_sm;
  options.low_latency_message_cost = scenario_.models.low_latency_message_cost;
  replay::CallPlanner planner(cluster_, options);
  out.result = replay::replay(cluster_, out.trace, *network, compute_, planner);
  out.routings = planner.routings();
  out.replay_seconds = seconds_since(replay_start);
  return out;
}

}  // namespace dsim::run
