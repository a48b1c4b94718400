// SPDX-License-Identifier: Apache-2.0
// A communication plan: what a collective expands into before it touches a network. Steps are transfers (bytes
// from one GPU, or from host memory, to a GPU) and local steps (a fixed time on one GPU: a reduction, a kernel's
// fixed cost), joined by dependencies into a DAG. Collective algorithms build plans; PlanRunner executes them on a
// NetworkModel. A plan knows GPUs and bytes, never links or routes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/network/network_model.hpp"
#include "sim/core/ids.hpp"
#include "sim/core/units.hpp"

namespace dsim::models::collectives {

using StepId = std::uint32_t;

enum class StepKind : std::uint8_t { transfer, local };

struct Step {
  StepKind kind = StepKind::transfer;
  GpuId src;  // transfer: sender (ignored for host-memory reads); local: the GPU it runs on
  GpuId dst;  // transfer: receiver
  Bytes size;
  network::FlowSource source = network::FlowSource::gpu;
  std::uint32_t limit = network::FlowRequest::no_limit;  // index into the plan's limits
  Time duration;                                         // local steps
  std::uint32_t phase = 0;                               // index into the plan's phase names, for reports
  std::uint32_t deps_begin = 0;                          // into CommPlan's dependency pool
  std::uint32_t deps_count = 0;
};

class CommPlan {
 public:
  // A named group of steps (e.g. "rdma", "nvlink forward", "reduce"); reports give each phase's span. Phase 0,
  // "other", holds steps added without one.
  std::uint32_t phase(std::string name);
  // A shared rate limit (NetworkModel::add_limit) that transfers may name; made when the plan starts running.
  std::uint32_t limit(Bandwidth capacity);

  // A zero-byte transfer still pays its route's latency and message overhead (a flag, a credit).
  StepId transfer(GpuId src, GpuId dst, Bytes size, std::span<const StepId> deps = {}, std::uint32_t phase = 0,
                  std::uint32_t limit = network::FlowRequest::no_limit);
  StepId host_read(GpuId dst, Bytes size, std::span<const StepId> deps = {}, std::uint32_t phase = 0,
                   std::uint32_t limit = network::FlowRequest::no_limit);
  StepId local(GpuId gpu, Time duration, std::span<const StepId> deps = {}, std::uint32_t phase = 0);

  const std::vector<Step>& steps() const { return steps_; }
  const Step& step(StepId id) const { return steps_[id]; }
  std::span<const StepId> deps(StepId id) const {
    return {dep_pool_.data() + steps_[id].deps_begin, steps_[id].deps_count};
  }
  // The steps that name `id` among their deps, in step order. Kept with the plan so that a plan run many times
  // (a training step runs each distinct dispatch thousands of times) does not rebuild it at every start. A plan
  // whose steps name no deps (a dispatch's transfers all run at once) answers without reading its per-step lists,
  // one cache miss less for each of the tens of millions of steps a step trace completes.
  std::span<const StepId> dependents(StepId id) const {
    if (dep_pool_.empty()) return {};
    return dependents_[id];
  }
  // Whether every step is a transfer that waits for nothing, so that all of them start with the plan, as one group
  // (a DeepEP dispatch: NetworkModel::start_flows).
  bool starts_at_once() const { return all_transfers_ && dep_pool_.empty(); }
  const std::vector<std::string>& phases() const { return phases_; }
  const std::vector<Bandwidth>& limits() const { return limits_; }
  bool empty() const { return steps_.empty(); }

  // Bytes of all transfers, for algorithm-bandwidth figures.
  Bytes transfer_bytes() const;

 private:
  StepId add(Step step, std::span<const StepId> deps);

  std::vector<Step> steps_;
  std::vector<StepId> dep_pool_;
  std::vector<std::vector<StepId>> dependents_;  // by step
  std::vector<std::string> phases_{"other"};
  std::vector<Bandwidth> limits_;
  bool all_transfers_ = true;
};

}  // namespace dsim::models::collectives
