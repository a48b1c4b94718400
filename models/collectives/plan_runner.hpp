// SPDX-License-Identifier: Apache-2.0
// Executes communication plans on a network model: a step starts once its dependencies are done (transfers become
// flows, local steps take their duration), and a plan is done when its last step is. Several plans may run at once
// on one network, sharing its links. Like the network models, the runner never schedules events: its owner (the
// replay, or `dsim comm`'s driver) asks next_event() and advances it there.
#pragma once

#include <cstdint>
#include <queue>
#include <vector>

#include "models/collectives/comm_plan.hpp"
#include "models/network/network_model.hpp"

namespace dsim::models::collectives {

using PlanHandle = std::uint32_t;

struct StepSpan {
  Time start = Time::infinite();
  Time end = Time::infinite();
};

class PlanRunner {
 public:
  explicit PlanRunner(network::NetworkModel& network) : network_(network) {}

  // Starts `plan` at the network's current time. The plan must outlive the run. An empty plan is done at once (it
  // is reported by the next advance_to).
  PlanHandle start(const CommPlan& plan);
  PlanHandle start(CommPlan&& plan) = delete;  // the runner keeps a pointer: a temporary would dangle

  // The next time the runner must be advanced (a flow ending, a local step ending, a plan done now), or infinite.
  Time next_event();
  // Advances to `t`, starting dependent steps as earlier ones finish, and appends the plans done by then (in the
  // order they finished) to `finished`.
  void advance_to(Time t, std::vector<PlanHandle>& finished);
  Time now() const { return network_.now(); }

  // Start and end of each step of a plan; both infinite for a step that has not started or ended. The reference is
  // valid until the next start().
  const std::vector<StepSpan>& spans(PlanHandle plan) const { return plans_[plan].spans; }
  Time started(PlanHandle plan) const { return plans_[plan].started; }
  // Frees a finished plan's bookkeeping and its network limits; its handle may be returned by a later start().
  // A long replay runs millions of plans, so its owner releases each once it has read what it needs.
  void release(PlanHandle plan);
  Time finished_at(PlanHandle plan) const { return plans_[plan].finished; }
  network::NetworkModel& network() { return network_; }

  // Runs one plan alone on `network` from its current time to the end; returns the step spans.
  static std::vector<StepSpan> run_alone(network::NetworkModel& network, const CommPlan& plan);

 private:
  struct Running {
    const CommPlan* plan = nullptr;
    std::vector<std::uint32_t> waiting;   // unfinished deps of each step
    std::vector<StepSpan> spans;
    std::vector<network::LimitId> limits;  // plan limit index -> network limit
    std::size_t left = 0;                  // steps not yet done
    Time started;
    Time finished = Time::infinite();
  };
  struct StepRef {
    PlanHandle plan;
    StepId step;
  };
  struct LocalDue {
    Time at;
    std::uint64_t seq;
    StepRef ref;
    bool operator>(const LocalDue& o) const { return at > o.at || (at == o.at && seq > o.seq); }
  };

  static network::FlowRequest request(const Running& run, const Step& step);
  void started(StepRef ref, FlowId flow);
  void begin(StepRef ref);
  void start_group(PlanHandle handle);
  void complete(StepRef ref, Time at);
  void run_ready();

  network::NetworkModel& network_;
  std::vector<Running> plans_;
  std::vector<StepRef> flow_step_;  // by FlowId
  std::priority_queue<LocalDue, std::vector<LocalDue>, std::greater<>> locals_;
  std::uint64_t local_seq_ = 0;
  std::vector<StepRef> ready_;              // steps whose deps are done, to begin now
  std::vector<PlanHandle> done_unreported_;
  std::vector<PlanHandle> free_handles_;
  std::vector<FlowId> finished_flows_;
  std::vector<network::FlowRequest> group_requests_;  // scratch for start_group
  std::vector<FlowId> group_flows_;
};

}  // namespace dsim::models::collectives
