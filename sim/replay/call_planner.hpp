// SPDX-License-Identifier: Apache-2.0
// Turns a trace's communication (send/recv pairs and collective calls) into communication plans for the plan
// runner, and keeps each distinct plan once: a training step repeats the same few hundred transfers and calls
// thousands of times, so plans are cached by what they depend on and shared (the runner only reads them).
// MoE calls are routed here, with the scenario's router: each (group, routing sample, tokens) is routed once; a
// group of whole, consecutive nodes reuses the routing of the same-sized group starting at GPU 0, shifted, since
// the router draws by rank index within the group and the traffic depends only on node boundaries.
#pragma once

#include <map>
#include <memory>
#include <tuple>

#include "models/collectives/algorithms/collective_algorithms.hpp"
#include "models/collectives/comm_plan.hpp"
#include "models/collectives/moe/deepep_kernels.hpp"
#include "models/collectives/moe/moe_traffic.hpp"
#include "models/collectives/moe/router.hpp"
#include "topology/cluster.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::replay {

struct CallPlannerOptions {
  models::collectives::moe::RouterSpec router;  // its seed is mixed with each call's routing sample
  int redundant_experts = 0;
  Bandwidth copy_per_sm;  // DeepEP normal kernels' per-SM NVLink copy rate (zero: no SM limit)
  Time low_latency_message_cost;
  models::collectives::AllReduceAlgorithm all_reduce = models::collectives::AllReduceAlgorithm::ring;
};

class CallPlanner {
 public:
  CallPlanner(const topology::Cluster& cluster, CallPlannerOptions options);

  // The plan of a call of `trace`; the reference stays valid as long as the planner.
  const models::collectives::CommPlan& plan(const workloads::StepTrace& trace, workloads::CallId call);
  // A one-transfer plan (a send/recv pair).
  const models::collectives::CommPlan& transfer(GpuId src, GpuId dst, Bytes size);

  std::size_t distinct_plans() const { return call_plans_.size() + transfer_plans_.size(); }
  std::size_t routings() const { return traffic_.size(); }

 private:
  const models::collectives::moe::Router& router(std::uint32_t sample);
  models::collectives::moe::MoeTraffic route(const std::vector<GpuId>& group, std::uint32_t sample,
                                             std::int64_t tokens);
  const models::collectives::moe::MoeTraffic& traffic(workloads::GroupId id, const std::vector<GpuId>& group,
                                                      const workloads::MoeCall& call);

  const topology::Cluster& cluster_;
  CallPlannerOptions options_;
  using CallKey = std::tuple<int, std::uint32_t, std::uint64_t, bool, std::int64_t, std::int64_t, int, int,
                             std::uint32_t>;
  std::map<CallKey, std::unique_ptr<models::collectives::CommPlan>> call_plans_;
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint64_t>, std::unique_ptr<models::collectives::CommPlan>>
      transfer_plans_;
  // (group, routing sample, tokens per rank) -> traffic; node-aligned groups are copies of the canonical traffic
  // of (group size, sample, tokens), routed on GPUs 0..n-1
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::int64_t>, std::unique_ptr<models::collectives::moe::MoeTraffic>>
      traffic_;
  std::map<std::tuple<std::size_t, std::uint32_t, std::int64_t>, std::unique_ptr<models::collectives::moe::MoeTraffic>>
      canonical_traffic_;
  std::map<std::uint32_t, std::unique_ptr<models::collectives::moe::Router>> routers_;  // by routing sample
};

}  // namespace dsim::replay
