// SPDX-License-Identifier: Apache-2.0
// The flow-level network model: active flows share the links of their routes max-min fairly (MaxMinSolver,
// progressive filling as in SimGrid's LMM), and rates are recomputed whenever a flow starts or its last byte leaves.
//   time(flow) = time to move its bytes at its (changing) fair share + sum of its route's link latencies
// The bytes phase comes first and the latency is added at its end, so a flow occupies bandwidth only while it has
// bytes to move. Link capacities are capacity x efficiency; a flow also pays its transport's per-message overhead
// once, with the latency. Shared limits (add_limit) join the solver as links no route crosses. Links that can never
// limit a flow (Cluster::covering_link, such as a NIC's PCIe legs behind its narrower port) are left out of the
// sharing: the shares are the same, over shorter paths. Limits: no packet effects (congestion control, PFC,
// head-of-line blocking).
//
// Completion tolerance r (0: exact): when a flow's bytes end at t, every flow whose bytes would end by t + r x d,
// d being that flow's own time since it started, leaves the solver too (in order of predicted end, stopping at the
// first that does not qualify); each completes at its own predicted time and the survivors are re-shared once, at
// t. A flow thus hands its bandwidth on at most r x d early, where d is its own duration: an error of the order of
// r relative to the flows that end early, traded for one re-share instead of thousands when many flows end close
// together (a large all-to-all, a low-latency dispatch with random message counts), as SimGrid's precision
// settings do. The early flows' ends are predicted at the rates of time t.
#pragma once

#include <cstdint>
#include <queue>
#include <map>
#include <vector>

#include "models/network/due_heap.hpp"
#include "models/network/max_min_solver.hpp"
#include "models/network/network_model.hpp"

namespace dsim::models::network {

class FlowNetwork final : public NetworkModel {
 public:
  // `routes`: gpu_to_gpu promises that no flow reads host memory (a start_flow that does is an internal error), which
  // lets more links drop out of the sharing (Cluster::covering_link).
  explicit FlowNetwork(const topology::Cluster& cluster, MessageOverheads overheads = {},
                       double completion_tolerance = 0.0,
                       topology::Cluster::Routes routes = topology::Cluster::Routes::all);

  LimitId add_limit(Bandwidth capacity) override;
  void release_limit(LimitId limit) override;
  FlowId start_flow(const FlowRequest& request) override;
  Time next_completion() override;
  void advance_to(Time t, std::vector<FlowId>& finished) override;
  Time now() const override { return now_; }
  const std::vector<std::uint64_t>& link_bytes() const override { return link_bytes_; }

  // The current fair share of an active flow, in bytes/s (0 once its bytes are through).
  double rate(FlowId flow);

 private:
  struct alignas(64) Flow {  // one cache line: re-shares and ends visit flows in no useful order
    double remaining = 0;   // bytes still to move as of `updated`
    double rate = 0;        // bytes/s
    Time started;           // when the flow started
    Time updated;           // when `remaining` was last brought up to date
    Time bytes_done;        // predicted end of the bytes phase (infinite if rate is 0)
    Time latency;           // the route's latency, paid after the bytes
    bool moving = true;
  };
  static_assert(sizeof(Flow) == 64, "a flow's record should fill one cache line, not two");
  // A completion: a time and its flow, ordered by (time, flow id), a total order, so that ties pop in id order
  // whatever the heap's history.
  struct Due {
    Time at;
    FlowId flow;
    bool operator>(const Due& other) const { return at > other.at || (at == other.at && flow > other.flow); }
  };
  using MinHeap = std::priority_queue<Due, std::vector<Due>, std::greater<>>;

  // Re-solves the shares and re-predicts the bytes phase of every flow whose rate changed. Flows started at one
  // instant are re-shared once, when the model is next asked or advanced, not once per start.
  void reshare();
  void settle() {
    if (unsettled_) reshare();
  }
  void progress(Flow& flow) const;
  Time predicted_end(const Flow& flow) const;
  Time earliest_bytes_done() { return bytes_heap_.top_time(); }

  const topology::Cluster& cluster_;
  MessageOverheads overheads_;
  double tolerance_;
  topology::Cluster::Routes routes_;
  std::vector<bool> shares_;                // by link: false for a link another covers (Cluster::covering_link)
  std::vector<std::uint32_t> limit_links_;  // solver link of each LimitId
  std::vector<double> limit_capacity_;      // by LimitId
  std::map<double, std::vector<LimitId>> free_limits_;  // released limits by capacity, reused by add_limit
  MaxMinSolver solver_;
  std::vector<Flow> flows_;                // by FlowId; the ids of finished flows are reused
  std::vector<FlowId> free_ids_;
  std::uint32_t started_ = 0;              // flows started so far: the next flow's ECMP key
  DueHeap bytes_heap_;                     // predicted ends of the moving flows' bytes phases
  bool unsettled_ = false;                 // flows were added since the last re-share
  MinHeap done_heap_;                      // ends of latency tails: the flows' completions
  Time now_ = Time::zero();
  std::vector<std::uint64_t> link_bytes_;
  RoutedFlow routed_;                // scratch: the route of the flow being started
  std::vector<std::uint32_t> path_;  // scratch: the solver links of the flow being started
};

}  // namespace dsim::models::network
