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
//
// Replay of isolated groups (reuse_isolated_groups; off here, on by default in scenarios): max-min sharing splits into independent parts along
// connected flows, so a group of flows started together (start_flows) on links no other flow is crossing runs as it
// ran alone, shifted in time. Such a group runs once alone on a private network, its run is cached (GroupCache),
// and later starts of the same group on idle links only schedule its cached completions and reserve its links. The
// first flow to touch a reserved link while a group flow still moves on it brings the group back: each moving flow
// rejoins the sharing with the record it would have had (rebuilt by the same arithmetic), so from then on it is
// shared as if it had never left (the solver is told its rate, so a share the newcomer leaves alone moves nothing).
// The group's limits (shared limits its flows name) are checked and reserved like its links. With completion
// tolerance 0 this gives the same completions, in the same order and under the same ids, as sharing every flow,
// bit for bit (tests/models/flow_network_groups_test.cpp); with a tolerance the early ends (above) are chosen among
// the group's own flows rather than among all of the network's, which moves ends by a part of the tolerance.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <queue>
#include <span>
#include <vector>

#include "models/network/due_heap.hpp"
#include "models/network/group_cache.hpp"
#include "models/network/max_min_solver.hpp"
#include "models/network/network_model.hpp"

namespace dsim::models::network {

class FlowNetwork final : public NetworkModel {
 public:
  // `routes`: gpu_to_gpu promises that no flow reads host memory (a start_flow that does is an internal error), which
  // lets more links drop out of the sharing (Cluster::covering_link).
  // `reuse_isolated_groups`: replay groups started together on idle links from a cache (above).
  explicit FlowNetwork(const topology::Cluster& cluster, MessageOverheads overheads = {},
                       double completion_tolerance = 0.0,
                       topology::Cluster::Routes routes = topology::Cluster::Routes::all,
                       bool reuse_isolated_groups = false);
  ~FlowNetwork() override;

  LimitId add_limit(Bandwidth capacity) override;
  void release_limit(LimitId limit) override;
  FlowId start_flow(const FlowRequest& request) override;
  void start_flows(std::span<const FlowRequest> requests, std::vector<FlowId>& ids) override;
  Time next_completion() override;
  void advance_to(Time t, std::vector<FlowId>& finished) override;
  Time now() const override { return now_; }
  const std::vector<std::uint64_t>& link_bytes() const override { return link_bytes_; }
  GroupReplayStats group_replay() const override;
  // The memory the group cache may take (512 MB unless set): once it holds that much, groups it does not hold are
  // shared, not cached. On a fabric where ECMP gives most starts routes of their own, groups rarely repeat, and
  // each would cost a run alone and its memory for nothing.
  void set_group_cache_budget(std::size_t bytes) { cache_budget_ = bytes; }

  // The current fair share of an active flow, in bytes/s (0 once its bytes are through).
  double rate(FlowId flow);

 private:
  static constexpr std::uint32_t no_group = 0xffffffffu;
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
  // whatever the heap's history. A replayed group has one queued at a time, its next, which names the group and its
  // ticket then; once the group is brought back or done, the ticket has moved on and the entry is dropped when it
  // reaches the top. The flows of a replayed group are thus never read or written until they are brought back.
  struct Due {
    Time at;
    FlowId flow;
    std::uint32_t group = no_group;  // a replayed group's slot, or no_group for a flow in the sharing
    std::uint32_t ticket = 0;        // the group's ticket when queued
    bool operator>(const Due& other) const { return at > other.at || (at == other.at && flow > other.flow); }
  };
  // A group being replayed: its cached run, where it started, its limits, and its flows (ids) in the order
  // they complete, (time, id). Only the next to complete waits in done_heap_: a group's completions cost one small
  // heap's operations each, not a place among thousands.
  struct LiveGroup {
    const CachedGroup* cached = nullptr;
    Time start;
    std::vector<std::uint32_t> limit_links;  // solver link of each of the group's limits
    struct Completion {
      Time at;
      FlowId flow;
      std::uint32_t index;  // the flow's index in the group
    };
    std::vector<Completion> order;           // by (at, flow): read in sequence as the flows complete
    std::size_t next = 0;                    // order[next] completes next; those before it have completed
    std::uint32_t ticket = 0;                // moves on when the group is brought back or done
    std::uint64_t settles = 0;               // settles_ at its start
  };
  using MinHeap = std::priority_queue<Due, std::vector<Due>, std::greater<>>;

  // Re-solves the shares and re-predicts the bytes phase of every flow whose rate changed. Flows started at one
  // instant are re-shared once, when the model is next asked or advanced, not once per start.
  void reshare();
  void settle() {
    ++settles_;
    if (unsettled_) reshare();
  }
  // The bytes moved by `now` at the flow's rate since `updated`, and the bytes phase's predicted end: one arithmetic
  // for sharing and for rebuilding a replayed flow, so that both give the same record bitwise.
  static void progress(Flow& flow, Time now);
  static Time predicted_end(const Flow& flow, Time now);
  Time earliest_bytes_done() { return bytes_heap_.top_time(); }
  // Routes a request: appends its solver path (covered links left out, its limit's link added) to `path`.
  void route(const FlowRequest& request, std::vector<std::uint32_t>& path, Time& latency);
  FlowId new_id();
  FlowId new_flow(std::uint64_t size, Time latency);
  // Starts a routed flow in the sharing, after bringing back any replayed group on its path.
  FlowId join(std::uint64_t size, std::span<const std::uint32_t> path, Time latency);
  void pop_stale_done();
  void complete(const Due& due, std::vector<FlowId>& finished);
  void queue_next(std::uint32_t group);  // its next completion into done_heap_

  // Replay of isolated groups (flow_network_groups.cpp).
  void describe(std::span<const FlowRequest> requests);  // request_words_, group_limits_, group_.limit_capacity
  bool idle(const GroupContent& content) const;           // with group_limits_ for its limits
  void replay(const CachedGroup& cached, std::vector<FlowId>& ids);
  // The group's cached run, made on a miss; nullptr when missing and the cache is full.
  const CachedGroup* cached(const GroupContent& content);
  GroupRun run_alone(const GroupContent& content);  // on this network, which must be empty
  void restore(std::uint32_t group);                // its moving flows rejoin the sharing
  void free_group(std::uint32_t group);
  void rebuild(const LiveGroup& group, std::size_t index, Flow& flow) const;
  void release_reserved(std::span<const std::uint32_t> path) {
    for (const std::uint32_t link : path) {
      if (reserved_until_[link] > now_) restore(reserver_[link]);
    }
  }

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
  std::uint64_t settles_ = 0;              // calls of settle(): a flow gets its first rate at the first after its start
  MinHeap done_heap_;                      // ends of latency tails: the flows' completions
  Time now_ = Time::zero();
  std::vector<std::uint64_t> link_bytes_;
  RoutedFlow routed_;                // scratch: the route of the flow being started
  std::vector<std::uint32_t> path_;  // scratch: the solver links of the flow being started

  // Replay of isolated groups.
  bool reuse_groups_;
  GroupCache cache_;
  std::size_t cache_budget_ = std::size_t{512} << 20;
  std::unique_ptr<FlowNetwork> alone_;          // where a new group runs alone, made on first use
  GroupContent group_;                          // scratch: the group being started
  std::vector<std::uint32_t> group_limits_;     // scratch: its limits' solver links, by order
  std::vector<std::uint32_t> restore_path_;     // scratch: the path of a flow rejoining the sharing
  std::vector<std::uint64_t> request_words_;    // scratch: the group's requests (describe)
  std::vector<std::pair<std::uint32_t, std::uint64_t>> group_link_bytes_;  // scratch: (link, bytes) of its routes
  std::vector<LiveGroup> live_;                 // by group slot
  std::vector<std::uint32_t> free_slots_;
  std::vector<Time> reserved_until_;            // by solver link: a replayed group's flows move on it until then
  std::vector<std::uint32_t> reserver_;         // by solver link: that group's slot
  GroupReplayStats stats_;
  // Recording a run alone (on alone_): the group's index of each flow id, and each flow's states.
  struct Recording {
    std::vector<std::uint32_t> index;  // by FlowId
    std::vector<std::vector<std::pair<Time, double>>> states;
    GroupRun* run = nullptr;
    Time start;
  };
  Recording* recording_ = nullptr;
};

}  // namespace dsim::models::network
