// SPDX-License-Identifier: Apache-2.0
// Event flow: an op whose dependencies and stream predecessor are done is "ready". A ready compute op schedules its
// own completion; a ready send or recv waits for its partner, then hands the pair to the collectives layer as a
// one-transfer plan, which runs it on the network model; a ready collective op waits for every op of its call,
// then the call's plan runs. The plan runner is asked for its next event after every
// change and one cancellable event is kept for it. Ops that become ready go through
// a FIFO worklist, so zero-time chains never recurse and the order is deterministic.
#include "sim/replay/replay.hpp"

#include <deque>
#include <limits>
#include <utility>

#include "models/collectives/plan_runner.hpp"
#include "sim/core/check.hpp"
#include "sim/replay/kernel_mix_timer.hpp"

namespace dsim::replay {
namespace {

using workloads::OpKind;

class Replayer {
 public:
  Replayer(const topology::Cluster& cluster, const workloads::StepTrace& trace,
           models::network::NetworkModel& network, const models::compute::ComputeModel& compute,
           CallPlanner& planner)
      : trace_(trace), network_(network), runner_(network), planner_(planner), compute_(trace, compute) {
    DSIM_CHECK(trace.rank_count() <= cluster.gpu_count(), "trace has {} ranks, cluster {} GPUs", trace.rank_count(),
               cluster.gpu_count());
    const std::size_t n = trace.ops().size();
    DSIM_CHECK(n < none, "a trace of {} ops is more than the replay indexes", n);
    records_.resize(n);
    waiting_.assign(n, 0);
    // Dependents in one pool (CSR), built in two passes over the same edges: counts, then entries. A training step
    // has tens of millions of edges; a vector per op would double the replay's memory.
    const std::size_t streams = trace.stream_names().size();
    std::vector<std::uint32_t> last_on_stream;
    auto for_each_edge = [&](auto&& edge) {
      last_on_stream.assign(static_cast<std::size_t>(trace.rank_count()) * streams, none);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& op = trace.ops()[i];
        for (const OpId dep : op.deps) {
          DSIM_CHECK(dep.index() < n, "op '{}' depends on op {} of {}", op.name, dep.value(), n);
          edge(dep.index(), i);
        }
        std::uint32_t& last = last_on_stream[op.rank.index() * streams + op.stream.index()];
        if (last != none) edge(last, i);
        last = static_cast<std::uint32_t>(i);
      }
    };
    dependents_begin_.assign(n + 1, 0);
    for_each_edge([&](std::size_t before, std::size_t after) {
      ++dependents_begin_[before + 1];
      ++waiting_[after];
    });
    for (std::size_t i = 0; i < n; ++i) dependents_begin_[i + 1] += dependents_begin_[i];
    dependents_.resize(dependents_begin_[n]);
    std::vector<std::uint64_t> fill(dependents_begin_.begin(), dependents_begin_.end() - 1);
    for_each_edge([&](std::size_t before, std::size_t after) {
      dependents_[fill[before]++] = static_cast<std::uint32_t>(after);
    });
    finished_.assign(n, false);
    sides_ready_.assign(trace.transfers().size(), 0);
    call_ready_.assign(trace.calls().size(), 0);
    network_tick_.owner = this;
    compute_done_.owner = this;
    network_handler_ = engine_.add_handler(network_tick_);
    compute_handler_ = engine_.add_handler(compute_done_);
    network_token_ = engine_.new_token();
  }

  ReplayResult run() {
    for (std::size_t i = 0; i < waiting_.size(); ++i) {
      if (waiting_[i] == 0) ready_.push_back(i);
    }
    drain();
    ReplayResult result;
    result.engine = engine_.run();
    for (std::size_t i = 0; i < finished_.size(); ++i) {
      DSIM_CHECK(finished_[i], "op '{}' on rank {} never finished (the deadlock check missed a cycle)",
                 trace_.ops()[i].name, trace_.ops()[i].rank.value());
      result.makespan = std::max(result.makespan, records_[i].end);
    }
    result.ops = std::move(records_);
    result.flows = network_flows_;
    result.plans = plans_started_;
    result.distinct_plans = planner_.distinct_plans();
    result.link_bytes = network_.link_bytes();
    result.group_replay = network_.group_replay();
    return result;
  }

 private:
  struct NetworkTick final : core::EventHandler {
    Replayer* owner = nullptr;
    void handle(core::Engine&, const core::Event&) override { owner->on_network_tick(); }
  };
  struct ComputeDone final : core::EventHandler {
    Replayer* owner = nullptr;
    void handle(core::Engine&, const core::Event& event) override { owner->on_compute_done(event.payload); }
  };

  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

  void on_compute_done(std::uint64_t op) {
    finish(static_cast<std::size_t>(op));
    drain();
  }

  void on_network_tick() {
    armed_at_ = Time::infinite();
    drain();
  }

  void collect_finished_transfers() {
    finished_plans_.clear();
    runner_.advance_to(engine_.now(), finished_plans_);
    for (const models::collectives::PlanHandle plan : finished_plans_) {
      const Running what = running_[plan];
      runner_.release(plan);
      if (what.is_call) {
        for (const OpId op : trace_.call_ops(workloads::CallId(what.index))) finish(op.index());
        continue;
      }
      const auto& transfer = trace_.transfers()[what.index];
      finish(transfer.send.index());
      finish(transfer.recv.index());
    }
  }

  void finish(std::size_t op) {
    records_[op].end = engine_.now();
    finished_[op] = true;
    for (std::uint64_t k = dependents_begin_[op]; k < dependents_begin_[op + 1]; ++k) {
      const std::uint32_t next = dependents_[k];
      if (--waiting_[next] == 0) ready_.push_back(next);
    }
  }

  // Brings the network to now (flows ending now finish before new ones share their links), starts every ready op,
  // including those that become ready on the way, then re-arms the network event. Flows started here are re-shared
  // once, together, when the network is next asked.
  void drain() {
    collect_finished_transfers();
    while (!ready_.empty()) {
      const std::size_t i = ready_.front();
      ready_.pop_front();
      const auto& op = trace_.ops()[i];
      records_[i].ready = engine_.now();
      if (op.kind == OpKind::compute) {
        const auto timing = compute_.time(op);
        records_[i].start = engine_.now();
        records_[i].source = timing.source;
        engine_.schedule_after(timing.duration, compute_handler_, i);
        continue;
      }
      if (op.kind == OpKind::collective) {
        const std::size_t c = op.call.index();
        const auto ops = trace_.call_ops(op.call);
        if (++call_ready_[c] < ops.size()) continue;
        launch(planner_.plan(trace_, op.call), {true, static_cast<std::uint32_t>(c)});
        for (const OpId member : ops) records_[member.index()].start = engine_.now();
        continue;
      }
      const std::size_t t = trace_.transfer_of(OpId(static_cast<OpId::Value>(i)));
      if (++sides_ready_[t] < 2) continue;
      const auto& transfer = trace_.transfers()[t];
      const auto& send = trace_.op(transfer.send);
      launch(planner_.transfer(GpuId(send.rank.value()), GpuId(send.peer.value()), send.size),
             {false, static_cast<std::uint32_t>(t)});
      records_[transfer.send.index()].start = engine_.now();
      records_[transfer.recv.index()].start = engine_.now();
    }
    rearm_network();
  }

  struct Running {
    bool is_call = false;
    std::uint32_t index = 0;  // call or transfer index
  };

  void launch(const models::collectives::CommPlan& plan, Running what) {
    const models::collectives::PlanHandle handle = runner_.start(plan);
    if (handle >= running_.size()) running_.resize(handle + 1);
    running_[handle] = what;
    ++plans_started_;
    network_flows_ += plan.steps().size();
  }

  // Keeps exactly one live event at the runner's next event (armed_at_ is infinite when none is queued).
  void rearm_network() {
    const Time next = runner_.next_event();
    if (next == armed_at_) return;
    engine_.cancel(network_token_);
    armed_at_ = next;
    if (!next.is_infinite()) engine_.schedule(next, network_handler_, 0, network_token_);
  }

  const workloads::StepTrace& trace_;
  models::network::NetworkModel& network_;
  models::collectives::PlanRunner runner_;
  CallPlanner& planner_;  // owns the plans; the runner keeps pointers to them
  KernelMixTimer compute_;

  core::Engine engine_;
  NetworkTick network_tick_;
  ComputeDone compute_done_;
  core::HandlerId network_handler_;
  core::HandlerId compute_handler_;
  core::CancelToken network_token_;
  Time armed_at_ = Time::infinite();

  std::vector<OpRecord> records_;
  std::vector<std::uint32_t> waiting_;
  std::vector<std::uint64_t> dependents_begin_;  // dependents of op i: dependents_[begin[i], begin[i + 1])
  std::vector<std::uint32_t> dependents_;
  std::vector<bool> finished_;
  std::vector<std::uint8_t> sides_ready_;
  std::vector<std::uint32_t> call_ready_;
  std::vector<Running> running_;  // by plan handle (the runner reuses released handles)
  std::uint64_t plans_started_ = 0;
  std::uint64_t network_flows_ = 0;
  std::vector<models::collectives::PlanHandle> finished_plans_;
  std::deque<std::size_t> ready_;
};

}  // namespace

ReplayResult replay(const topology::Cluster& cluster, const workloads::StepTrace& trace,
                    models::network::NetworkModel& network, const models::compute::ComputeModel& compute,
                    CallPlanner& planner) {
  return Replayer(cluster, trace, network, compute, planner).run();
}

ReplayResult replay(const topology::Cluster& cluster, const workloads::StepTrace& trace,
                    models::network::NetworkModel& network, const models::compute::ComputeModel& compute) {
  CallPlanner planner(cluster, {});
  return replay(cluster, trace, network, compute, planner);
}

}  // namespace dsim::replay
