// SPDX-License-Identifier: Apache-2.0
#include "models/collectives/comm_plan.hpp"

#include <utility>

#include "sim/core/check.hpp"

namespace dsim::models::collectives {

std::uint32_t CommPlan::phase(std::string name) {
  for (std::uint32_t i = 0; i < phases_.size(); ++i) {
    if (phases_[i] == name) return i;
  }
  phases_.push_back(std::move(name));
  return static_cast<std::uint32_t>(phases_.size() - 1);
}

std::uint32_t CommPlan::limit(Bandwidth capacity) {
  DSIM_CHECK(capacity.Bps() > 0, "a plan's shared limit needs a positive capacity, got {} B/s", capacity.Bps());
  limits_.push_back(capacity);
  return static_cast<std::uint32_t>(limits_.size() - 1);
}

StepId CommPlan::add(Step step, std::span<const StepId> deps) {
  const auto id = static_cast<StepId>(steps_.size());
  DSIM_CHECK(step.phase < phases_.size(), "step names phase {} of {}", step.phase, phases_.size());
  step.deps_begin = static_cast<std::uint32_t>(dep_pool_.size());
  step.deps_count = static_cast<std::uint32_t>(deps.size());
  for (const StepId dep : deps) {
    // Deps name earlier steps only, so a plan is a DAG by construction.
    DSIM_CHECK(dep < id, "step {} depends on step {}, which is not earlier", id, dep);
    dep_pool_.push_back(dep);
    dependents_[dep].push_back(id);
  }
  all_transfers_ = all_transfers_ && step.kind == StepKind::transfer;
  steps_.push_back(step);
  dependents_.emplace_back();
  return id;
}

StepId CommPlan::transfer(GpuId src, GpuId dst, Bytes size, std::span<const StepId> deps, std::uint32_t phase,
                          std::uint32_t limit) {
  DSIM_CHECK(limit == network::FlowRequest::no_limit || limit < limits_.size(), "transfer names limit {} of {}",
             limit, limits_.size());
  Step step;
  step.src = src;
  step.dst = dst;
  step.size = size;
  step.phase = phase;
  step.limit = limit;
  return add(step, deps);
}

StepId CommPlan::host_read(GpuId dst, Bytes size, std::span<const StepId> deps, std::uint32_t phase,
                           std::uint32_t limit) {
  const StepId id = transfer(dst, dst, size, deps, phase, limit);
  steps_[id].source = network::FlowSource::host_memory;
  return id;
}

StepId CommPlan::local(GpuId gpu, Time duration, std::span<const StepId> deps, std::uint32_t phase) {
  Step step;
  step.kind = StepKind::local;
  step.src = gpu;
  step.dst = gpu;
  step.duration = duration;
  step.phase = phase;
  return add(step, deps);
}

Bytes CommPlan::transfer_bytes() const {
  std::uint64_t total = 0;
  for (const Step& step : steps_) {
    if (step.kind == StepKind::transfer) total += step.size.count();
  }
  return Bytes(total);
}

}  // namespace dsim::models::collectives
