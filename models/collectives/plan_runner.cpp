// SPDX-License-Identifier: Apache-2.0
#include "models/collectives/plan_runner.hpp"

#include <algorithm>

#include "sim/core/check.hpp"

namespace dsim::models::collectives {

PlanHandle PlanRunner::start(const CommPlan& plan) {
  PlanHandle handle = static_cast<PlanHandle>(plans_.size());
  if (free_handles_.empty()) {
    plans_.emplace_back();
  } else {
    handle = free_handles_.back();
    free_handles_.pop_back();
  }
  Running& run = plans_[handle];
  run.plan = &plan;
  run.started = network_.now();
  const std::size_t n = plan.steps().size();
  run.waiting.resize(n);  // every entry is set below
  run.spans.assign(n, StepSpan{});
  run.left = n;
  for (const Bandwidth capacity : plan.limits()) run.limits.push_back(network_.add_limit(capacity));
  for (StepId s = 0; s < n; ++s) {
    const auto deps = plan.deps(s);
    run.waiting[s] = static_cast<std::uint32_t>(deps.size());
  }
  if (n == 0) {
    run.finished = network_.now();
    done_unreported_.push_back(handle);
    return handle;
  }
  if (plan.starts_at_once() && n > 1) {
    start_group(handle);
    return handle;
  }
  for (StepId s = 0; s < n; ++s) {
    if (run.waiting[s] == 0) ready_.push_back({handle, s});
  }
  run_ready();
  return handle;
}

void PlanRunner::release(PlanHandle handle) {
  Running& run = plans_[handle];
  DSIM_CHECK(run.plan != nullptr && run.left == 0, "released plan {} is not finished", handle);
  for (const network::LimitId limit : run.limits) network_.release_limit(limit);
  // Keep the vectors' memory for the handle's next plan (most runs start the same few plans again).
  run.plan = nullptr;
  run.waiting.clear();
  run.spans.clear();
  run.limits.clear();
  run.left = 0;
  run.finished = Time::infinite();
  free_handles_.push_back(handle);
}

network::FlowRequest PlanRunner::request(const Running& run, const Step& step) {
  network::FlowRequest request{step.src, step.dst, step.size, step.source};
  if (step.limit != network::FlowRequest::no_limit) request.limit = run.limits[step.limit].value();
  return request;
}

void PlanRunner::started(StepRef ref, FlowId flow) {
  if (flow.index() >= flow_step_.size()) flow_step_.resize(flow.index() + 1);
  flow_step_[flow.index()] = ref;
}

void PlanRunner::begin(StepRef ref) {
  Running& run = plans_[ref.plan];
  const Step& step = run.plan->step(ref.step);
  const Time now = network_.now();
  run.spans[ref.step].start = now;
  if (step.kind == StepKind::local) {
    locals_.push({now + step.duration, local_seq_++, ref});
    return;
  }
  started(ref, network_.start_flow(request(run, step)));
}

// The same flows, in the same order, as beginning each step; the network sees them as one group.
void PlanRunner::start_group(PlanHandle handle) {
  Running& run = plans_[handle];
  const std::vector<Step>& steps = run.plan->steps();
  group_requests_.clear();
  for (const Step& step : steps) group_requests_.push_back(request(run, step));
  group_flows_.clear();
  network_.start_flows(group_requests_, group_flows_);
  DSIM_CHECK(group_flows_.size() == steps.size(), "{} flows started for {} steps", group_flows_.size(), steps.size());
  const Time now = network_.now();
  for (StepId s = 0; s < steps.size(); ++s) {
    run.spans[s].start = now;
    started({handle, s}, group_flows_[s]);
  }
}

// Starts every ready step in the order it became ready (flow ids, hence ECMP keys, follow that order). Beginning a
// step never readies another: even a zero-length local step ends through the heap, at this same time.
void PlanRunner::run_ready() {
  for (std::size_t i = 0; i < ready_.size(); ++i) begin(ready_[i]);
  ready_.clear();
}

void PlanRunner::complete(StepRef ref, Time at) {
  Running& run = plans_[ref.plan];
  run.spans[ref.step].end = at;
  for (const StepId next : run.plan->dependents(ref.step)) {
    if (--run.waiting[next] == 0) ready_.push_back({ref.plan, next});
  }
  if (--run.left == 0) {
    run.finished = at;
    done_unreported_.push_back(ref.plan);
  }
}

Time PlanRunner::next_event() {
  if (!done_unreported_.empty()) return network_.now();
  const Time local = locals_.empty() ? Time::infinite() : locals_.top().at;
  return std::min(local, network_.next_completion());
}

void PlanRunner::advance_to(Time t, std::vector<PlanHandle>& finished) {
  DSIM_CHECK(t >= network_.now(), "plan runner moved backwards from {} ps to {} ps", network_.now().ps(), t.ps());
  for (;;) {
    finished.insert(finished.end(), done_unreported_.begin(), done_unreported_.end());
    done_unreported_.clear();
    const Time local = locals_.empty() ? Time::infinite() : locals_.top().at;
    const Time next = std::min(local, network_.next_completion());
    if (next > t) break;
    finished_flows_.clear();
    network_.advance_to(next, finished_flows_);
    for (const FlowId flow : finished_flows_) complete(flow_step_[flow.index()], next);
    while (!locals_.empty() && locals_.top().at == next) {
      const StepRef ref = locals_.top().ref;
      locals_.pop();
      complete(ref, next);
    }
    run_ready();
  }
  finished_flows_.clear();
  network_.advance_to(t, finished_flows_);
  DSIM_CHECK(finished_flows_.empty(), "a flow finished between the runner's events");
}

std::vector<StepSpan> PlanRunner::run_alone(network::NetworkModel& network, const CommPlan& plan) {
  PlanRunner runner(network);
  const PlanHandle handle = runner.start(plan);
  std::vector<PlanHandle> done;
  while (done.empty()) {
    const Time next = runner.next_event();
    DSIM_CHECK(!next.is_infinite(), "a plan stalled with {} steps left", runner.plans_[handle].left);
    runner.advance_to(next, done);
  }
  return runner.plans_[handle].spans;
}

}  // namespace dsim::models::collectives
