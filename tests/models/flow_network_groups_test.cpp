// SPDX-License-Identifier: Apache-2.0
// FlowNetwork's replay of isolated groups (reuse_isolated_groups): every case runs one script of starts on two
// networks, one replaying groups from its cache and one sharing every flow, and compares what they report. With
// completion tolerance 0 the replay must be invisible: the same flow ids, the same completion times to the
// picosecond, the same finished order, the same rates. Cluster: tests/topology/test_clusters.hpp (NVLink 160 GB/s
// effective with 1 us latency; cross-node: NIC 40 GB/s effective, 2.7 us of latency), and fat-trees built from it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "models/network/flow_network.hpp"
#include "sim/core/rng.hpp"
#include "tests/topology/test_clusters.hpp"

namespace dsim::models::network {
namespace {

// One step of a script, at time `at`: shared limits added first (script limit index, capacity), then `flows`
// started together (start_flows) or one by one (start_flow). A request's `limit` holds a script limit index.
// With release_when_done the limits it added are released once its last flow completes, as PlanRunner releases a
// plan's limits.
struct Action {
  Time at;
  std::vector<FlowRequest> flows;
  bool together = true;
  std::vector<std::pair<std::uint32_t, Bandwidth>> add_limits;
  bool release_when_done = false;
};

// What one network reported. Flows are numbered in start order over the whole script ("script flows").
struct Outcome {
  std::vector<FlowId> ids;                             // by script flow: the id start_flow(s) returned
  std::vector<Time> started;                           // by script flow: when it was started
  std::vector<Time> done;                              // by script flow: when advance_to reported it finished
  std::vector<std::pair<std::size_t, Time>> finished;  // (script flow, time) in the order advance_to reported them
  std::vector<std::pair<std::size_t, double>> rates;   // (script flow, rate) of every moving flow at every event
  std::vector<std::uint64_t> link_bytes;
  GroupReplayStats stats;
};

// One network driven through a script: its ids and limits, and the flows still running.
class Side {
 public:
  Side(const topology::Cluster& cluster, double tolerance, bool reuse)
      : network(cluster, {}, tolerance, topology::Cluster::Routes::all, reuse) {}

  void apply(const Action& action, std::size_t action_index) {
    for (const auto& [script_limit, capacity] : action.add_limits) {
      if (limits_.size() <= script_limit) limits_.resize(script_limit + 1);
      limits_[script_limit] = network.add_limit(capacity);
    }
    requests_.clear();
    for (FlowRequest request : action.flows) {
      if (request.limit != FlowRequest::no_limit) request.limit = limits_[request.limit].value();
      requests_.push_back(request);
    }
    ids_.clear();
    if (action.together) {
      network.start_flows(requests_, ids_);
    } else {
      for (const FlowRequest& request : requests_) ids_.push_back(network.start_flow(request));
    }
    REQUIRE(ids_.size() == requests_.size());
    for (const FlowId id : ids_) {
      if (flow_of_id_.size() <= id.index()) flow_of_id_.resize(id.index() + 1);
      flow_of_id_[id.index()] = out.ids.size();
      action_of_.push_back(action_index);
      out.ids.push_back(id);
      out.started.push_back(network.now());
      out.done.push_back(Time::infinite());
    }
    if (pending_.size() <= action_index) pending_.resize(action_index + 1, 0);
    pending_[action_index] = ids_.size();
    if (action.release_when_done) releases_.emplace_back(action_index, &action);
    release_finished();  // an action without flows
  }

  void advance(Time t) {
    finished_.clear();
    network.advance_to(t, finished_);
    for (const FlowId id : finished_) {
      const std::size_t flow = flow_of_id_[id.index()];
      CHECK(out.done[flow].is_infinite());  // each flow finishes once
      out.done[flow] = t;
      out.finished.emplace_back(flow, t);
      --pending_[action_of_[flow]];
    }
    release_finished();
  }

  void sample_rates() {
    for (std::size_t flow = 0; flow < out.ids.size(); ++flow) {
      if (out.done[flow].is_infinite()) out.rates.emplace_back(flow, network.rate(out.ids[flow]));
    }
  }

  Outcome finish() {
    out.link_bytes = network.link_bytes();
    out.stats = network.group_replay();
    return std::move(out);
  }

  FlowNetwork network;
  Outcome out;

 private:
  void release_finished() {
    for (std::size_t k = 0; k < releases_.size();) {
      if (pending_[releases_[k].first] != 0) {
        ++k;
        continue;
      }
      for (const auto& added : releases_[k].second->add_limits) network.release_limit(limits_[added.first]);
      releases_.erase(releases_.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }

  std::vector<LimitId> limits_;                // by script limit
  std::vector<std::size_t> flow_of_id_;        // by FlowId: the script flow holding it now
  std::vector<std::size_t> action_of_;         // by script flow
  std::vector<std::size_t> pending_;           // by action: its flows not finished yet
  std::vector<std::pair<std::size_t, const Action*>> releases_;  // actions whose limits go when they are done
  std::vector<FlowRequest> requests_;
  std::vector<FlowId> ids_;
  std::vector<FlowId> finished_;
};

struct Twin {
  Outcome replayed;  // reuse_isolated_groups on
  Outcome shared;    // off
};

// Runs the script (actions sorted by time) on both networks in lockstep: each is advanced to every time at which
// either has an event or an action happens, so a flow's completion time is the time of the advance that reports
// it. After the actions of an instant, the rates of all moving flows are sampled on both.
Twin run_twin(const topology::Cluster& cluster, const std::vector<Action>& script, double tolerance) {
  REQUIRE(std::is_sorted(script.begin(), script.end(),
                         [](const Action& a, const Action& b) { return a.at < b.at; }));
  Side on(cluster, tolerance, true);
  Side off(cluster, tolerance, false);
  std::size_t next = 0;
  for (;;) {
    Time t = next < script.size() ? script[next].at : Time::infinite();
    t = std::min({t, on.network.next_completion(), off.network.next_completion()});
    if (t.is_infinite()) break;
    on.advance(t);
    off.advance(t);
    for (; next < script.size() && script[next].at == t; ++next) {
      on.apply(script[next], next);
      off.apply(script[next], next);
    }
    on.sample_rates();
    off.sample_rates();
  }
  return {on.finish(), off.finish()};
}

// The replay must not show: same ids, completions, finished order, rates and link bytes, compared exactly.
void check_identical(const Twin& twin) {
  const Outcome& a = twin.replayed;
  const Outcome& b = twin.shared;
  REQUIRE(a.ids.size() == b.ids.size());
  for (std::size_t flow = 0; flow < a.ids.size(); ++flow) {
    INFO("script flow " << flow << ": id " << a.ids[flow].value() << " / " << b.ids[flow].value() << ", done at "
                        << a.done[flow].ps() << " ps replaying, " << b.done[flow].ps() << " ps sharing");
    CHECK(a.ids[flow] == b.ids[flow]);
    CHECK(a.done[flow] == b.done[flow]);
    CHECK_FALSE(a.done[flow].is_infinite());
  }
  CHECK(a.finished == b.finished);
  REQUIRE(a.rates.size() == b.rates.size());
  std::size_t rate_mismatches = 0;
  for (std::size_t k = 0; k < a.rates.size(); ++k) {
    if (a.rates[k] != b.rates[k]) ++rate_mismatches;
  }
  CHECK(rate_mismatches == 0);
  CHECK(a.link_bytes == b.link_bytes);
}

FlowRequest flow(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                 std::uint32_t limit = FlowRequest::no_limit) {
  FlowRequest request{GpuId(src), GpuId(dst), Bytes(bytes)};
  request.limit = limit;
  return request;
}

// The group of the hand-derived cases, on the small cluster, started at time 0:
//   f0  GPU 0 -> 4, 8e6 B, and f1  GPU 0 -> 5, 4e6 B: both out of NIC 0 (40 GB/s), 20 GB/s each. f1's bytes end at
//       200 us (done 202.7 us); f0 then has 4e6 B left at 40 GB/s: bytes end at 300 us, done 302.7 us.
//   f2  GPU 1 -> 2, 0 B: NVLink latency only, done 1 us.
//   f3  GPU 1 -> 2, 1.6e6 B, and f4  GPU 1 -> 3, 3.2e6 B, both under one 40 GB/s limit (NVLink's 160 GB/s does not
//       bind): 20 GB/s each. f3's bytes end at 80 us (done 81 us); f4 has 1.6e6 B left at 40 GB/s: 40 us more,
//       done 121 us.
//   f5  GPU 2 -> 6, 2e6 B: alone on NICs 2 and 6, 50 us + 2.7 us = 52.7 us.
// The group's links: NICs 0 and 4 until 300 us, NIC 5 until 200 us, NVLink 1->2 and 1->3 until 80 and 120 us,
// NICs 2 and 6 until 50 us.
Action hand_group(Time at, std::uint32_t script_limit) {
  Action group;
  group.at = at;
  group.flows = {flow(0, 4, 8'000'000),
                 flow(0, 5, 4'000'000),
                 flow(1, 2, 0),
                 flow(1, 2, 1'600'000, script_limit),
                 flow(1, 3, 3'200'000, script_limit),
                 flow(2, 6, 2'000'000)};
  group.add_limits = {{script_limit, units::GBps(40)}};
  group.release_when_done = true;
  return group;
}

Action single(Time at, FlowRequest request) {
  Action action;
  action.at = at;
  action.flows = {request};
  action.together = false;
  return action;
}

// 4 nodes x 4 GPUs on another fabric than the small cluster's single switch:
// - fat_tree_2, radix 16: a leaf takes 8 NICs (two nodes), so flows between nodes 0 and 1 (or 2 and 3) stay under one
//   leaf, and flows between the two leaves pick one of 8 parallel uplinks to the one spine by ECMP (the key is the
//   flow's start sequence, so a repeated group may take other uplinks);
// - multi_plane_fat_tree, 4 planes of radix 8, NIC i of every node in plane i: a flow to a GPU whose NIC is in
//   another plane first moves over NVLink to the sender's node's NIC of that plane (PXN), so one flow crosses NVLink
//   and RDMA links.
topology::ClusterSpec four_node_cluster(topology::FabricKind kind) {
  topology::ClusterSpec spec = dsim::testing::small_cluster();
  spec.nodes = 4;
  spec.fabric.kind = kind;
  const bool planes = kind == topology::FabricKind::multi_plane_fat_tree;
  spec.fabric.radix = planes ? 8 : 16;
  spec.fabric.planes = planes ? 4 : 1;
  spec.seed = 7;
  return spec;
}

// A random workload on `gpus` GPUs of 4 per node: `distinct` group templates, each started `group_starts` times in
// all (templates picked at random) at random times in [0, span), with fresh limits at every start (released when
// it is done, as PlanRunner does), and `singles` single flows at random times. A template has 3 to 10 flows: one
// in eight zero-byte, half inside a node (NVLink), the rest to any GPU; a third name one of the template's limits;
// one in ten reads host memory instead (PCIe).
std::vector<Action> random_workload(std::uint64_t seed, std::uint32_t gpus, int distinct, int group_starts,
                                    int singles, Time span) {
  core::RngStream rng(seed, "flow network groups");
  const auto random_time = [&] {
    return Time::from_ps(static_cast<std::int64_t>(rng.uniform_below(static_cast<std::uint64_t>(span.ps()))));
  };
  const auto pick_pair = [&](bool same_node) {
    const auto src = static_cast<std::uint32_t>(rng.uniform_below(gpus));
    std::uint32_t dst = 0;
    if (same_node) {
      dst = (src / 4) * 4 + static_cast<std::uint32_t>(rng.uniform_below(3));
      if (dst >= src) ++dst;
    } else {
      dst = static_cast<std::uint32_t>(rng.uniform_below(gpus - 1));
      if (dst >= src) ++dst;
    }
    return std::pair{src, dst};
  };
  struct Template {
    std::vector<FlowRequest> flows;  // limit: the template's limit order
    std::vector<Bandwidth> limits;
  };
  std::vector<Template> templates(static_cast<std::size_t>(distinct));
  for (Template& t : templates) {
    const int limits = 1 + static_cast<int>(rng.uniform_below(2));
    for (int l = 0; l < limits; ++l) {
      t.limits.push_back(units::GBps(20.0 + 10.0 * static_cast<double>(rng.uniform_below(4))));
    }
    const int n = 3 + static_cast<int>(rng.uniform_below(8));
    for (int i = 0; i < n; ++i) {
      const auto [src, dst] = pick_pair(rng.uniform_below(2) == 0);
      const std::uint64_t bytes = rng.uniform_below(8) == 0 ? 0 : 1 + rng.uniform_below(3'000'000);
      const std::uint32_t limit = rng.uniform_below(3) == 0
                                      ? static_cast<std::uint32_t>(rng.uniform_below(t.limits.size()))
                                      : FlowRequest::no_limit;
      FlowRequest request = flow(src, dst, bytes, limit);
      if (rng.uniform_below(10) == 0) request.source = FlowSource::host_memory;  // to dst from its node's memory
      t.flows.push_back(request);
    }
  }
  std::vector<Action> script;
  std::uint32_t next_limit = 0;
  for (int g = 0; g < group_starts; ++g) {
    const Template& t = templates[rng.uniform_below(templates.size())];
    Action action;
    action.at = random_time();
    for (const Bandwidth capacity : t.limits) action.add_limits.emplace_back(next_limit++, capacity);
    action.release_when_done = true;
    for (FlowRequest request : t.flows) {
      if (request.limit != FlowRequest::no_limit) request.limit = action.add_limits[request.limit].first;
      action.flows.push_back(request);
    }
    script.push_back(std::move(action));
  }
  for (int s = 0; s < singles; ++s) {
    // One draw per statement: the order in which function arguments are evaluated is unspecified.
    const auto [src, dst] = pick_pair(rng.uniform_below(2) == 0);
    const std::uint64_t bytes = 1 + rng.uniform_below(2'000'000);
    script.push_back(single(random_time(), flow(src, dst, bytes)));
  }
  std::stable_sort(script.begin(), script.end(), [](const Action& a, const Action& b) { return a.at < b.at; });
  return script;
}

}  // namespace

TEST_CASE("flow network groups: a group on an idle network replays its run alone, to the picosecond", "[models]") {
  // The hand-derived group (hand_group above) at 0 and again at 400 us, after the first has finished: completions
  // 1, 52.7, 81, 121, 202.7 and 302.7 us, then the same 400 us later. The network sharing every flow gives the same
  // ids and times exactly. The first start runs the group alone once and caches it; the second finds it in the
  // cache (its content names its limit by order, not by id, and the limit is a released one reused).
  const topology::Cluster cluster(dsim::testing::small_cluster());
  const Twin twin = run_twin(cluster, {hand_group(Time::zero(), 0), hand_group(units::us(400), 1)}, 0.0);
  check_identical(twin);
  const std::vector<Time> expected = {units::us(302.7), units::us(202.7), units::us(1),
                                      units::us(81),    units::us(121),   units::us(52.7)};
  REQUIRE(twin.replayed.done.size() == 12);
  for (std::size_t i = 0; i < 6; ++i) {
    INFO("flow f" << i);
    CHECK(twin.replayed.done[i] == expected[i]);
    CHECK(twin.replayed.done[6 + i] == units::us(400) + expected[i]);
  }
  const GroupReplayStats& stats = twin.replayed.stats;
  CHECK(stats.groups == 2);
  CHECK(stats.replayed_groups == 2);
  CHECK(stats.replayed_flows == 12);
  CHECK(stats.restored_groups == 0);
  CHECK(stats.cached_groups == 1);
  CHECK(stats.cache_bytes > 0);
  const GroupReplayStats& off = twin.shared.stats;
  CHECK(off.groups == 0);
  CHECK(off.replayed_groups == 0);
  CHECK(off.cached_groups == 0);
}

TEST_CASE("flow network groups: the first replay of a group is counted, cached, and not restored", "[models]") {
  // The hand-derived group alone, once: 1 group started together, replayed, its 6 flows, 1 cached, none restored.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  const Twin twin = run_twin(cluster, {hand_group(Time::zero(), 0)}, 0.0);
  check_identical(twin);
  const GroupReplayStats& stats = twin.replayed.stats;
  CHECK(stats.groups == 1);
  CHECK(stats.replayed_groups == 1);
  CHECK(stats.replayed_flows == 6);
  CHECK(stats.restored_groups == 0);
  CHECK(stats.cached_groups == 1);
}

TEST_CASE("flow network groups: a flow on a link the group still moves on restores it, with the same times",
          "[models]") {
  // The hand-derived group at 0, then one flow. Whether it restores the group depends on the links it touches
  // while a group flow still moves there; either way every completion equals the network sharing every flow.
  //  - GPU 3 -> 7 at 50 us (NICs 3 and 7, untouched by the group): stays replayed.
  //  - GPU 2 -> 6 at 60 us (NICs 2 and 6: f5 left them at 50 us): stays replayed.
  //  - GPU 0 -> 6 at 100 us (NIC 0: f0 and f1 still move there): restored. By hand: f0, f1 and the new flow share
  //    NIC 0 at 13.33 GB/s from 100 us (f0 has 6e6 B left, f1 2e6 B).
  //  - GPU 0 -> 6 at 250 us (NIC 0: f0 alone there, after its rate went up at 200 us): restored.
  //  - GPU 1 -> 3 at 100 us (NVLink 1->3: f4 moves there until 120 us): restored, though its limit is not shared.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  std::vector<Action> script = {hand_group(Time::zero(), 0)};
  std::uint64_t restored = 0;
  SECTION("on links the group does not use") { script.push_back(single(units::us(50), flow(3, 7, 4'000'000))); }
  SECTION("on links the group has left") { script.push_back(single(units::us(60), flow(2, 6, 4'000'000))); }
  SECTION("on the NIC two group flows share") {
    script.push_back(single(units::us(100), flow(0, 6, 4'000'000)));
    restored = 1;
  }
  SECTION("on the NIC after the group's rates changed") {
    script.push_back(single(units::us(250), flow(0, 6, 4'000'000)));
    restored = 1;
  }
  SECTION("on an NVLink link of a limited flow") {
    script.push_back(single(units::us(100), flow(1, 3, 4'000'000)));
    restored = 1;
  }
  const Twin twin = run_twin(cluster, script, 0.0);
  check_identical(twin);
  CHECK(twin.replayed.stats.replayed_groups == 1);
  CHECK(twin.replayed.stats.restored_groups == restored);
}

TEST_CASE("flow network groups: a restored flow's completion is the shared network's, by hand", "[models]") {
  // The hand-derived group at 0, and GPU 0 -> 6 (4e6 B) at 100 us on NIC 0, which restores it. At 100 us f0 has
  // 6e6 B left and f1 2e6 B; with the new flow all three get 40/3 GB/s. f1's bytes end at 100 + 2e6 / (40e9 / 3) =
  // 250 us (done 252.7 us). f0 (4e6 B left) and the new flow (2e6 B left) then get 20 GB/s: the new flow's bytes
  // end at 350 us (done 352.7 us), f0 has 2e6 B left at 40 GB/s: 50 us more, done 402.7 us. Tolerance 1 ns (the
  // thirds do not round exactly to picoseconds); the replayed and shared networks agree exactly.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  const Twin twin =
      run_twin(cluster, {hand_group(Time::zero(), 0), single(units::us(100), flow(0, 6, 4'000'000))}, 0.0);
  check_identical(twin);
  CHECK(twin.replayed.stats.restored_groups == 1);
  REQUIRE(twin.replayed.done.size() == 7);
  const auto near = [](Time got, double us) { return std::abs(units::to_us(got) - us) < 1e-3; };
  CHECK(near(twin.replayed.done[1], 252.7));
  CHECK(near(twin.replayed.done[6], 352.7));
  CHECK(near(twin.replayed.done[0], 402.7));
}

TEST_CASE("flow network groups: a group started on a busy link shares from its start, with the same times",
          "[models]") {
  // GPU 0 -> 4 (8e6 B) alone from 0 keeps NIC 0 busy; the hand-derived group started at 10 us crosses NIC 0 and runs
  // in the sharing. Then a second case: the group replayed at 0, and the same group started again at 20 us, on
  // links the first still reserves: the second shares, and brings the first back into the sharing.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  SECTION("a link busy with a single flow") {
    const Twin twin =
        run_twin(cluster, {single(Time::zero(), flow(0, 4, 8'000'000)), hand_group(units::us(10), 0)}, 0.0);
    check_identical(twin);
    CHECK(twin.replayed.stats.groups == 1);
    CHECK(twin.replayed.stats.replayed_groups == 0);
    CHECK(twin.replayed.stats.restored_groups == 0);
    CHECK(twin.replayed.stats.cached_groups == 0);
  }
  SECTION("a link reserved by a replayed group") {
    const Twin twin = run_twin(cluster, {hand_group(Time::zero(), 0), hand_group(units::us(20), 1)}, 0.0);
    check_identical(twin);
    CHECK(twin.replayed.stats.groups == 2);
    CHECK(twin.replayed.stats.replayed_groups == 1);
    CHECK(twin.replayed.stats.restored_groups == 1);
  }
  SECTION("the same group twice at one instant") {
    const Twin twin = run_twin(cluster, {hand_group(units::us(5), 0), hand_group(units::us(5), 1)}, 0.0);
    check_identical(twin);
    CHECK(twin.replayed.stats.replayed_groups == 1);
    CHECK(twin.replayed.stats.restored_groups == 1);
  }
}

TEST_CASE("flow network groups: with no latency anywhere, one instant's completions come in id order either way",
          "[models]") {
  // Every link latency and message overhead 0, so a flow completes when its bytes end. At 0: a single flow GPU 2 -> 6
  // (id 0, 4e6 B on NICs 2 and 6 alone: 40 GB/s, done 100 us), then a group GPU 0 -> 4 (id 1, 4e6 B, done 100 us)
  // and GPU 1 -> 5 (id 2, 2e6 B, done 50 us) on idle NICs, replayed. At 100 us the single flow's bytes end then and
  // there, while the group's completion was queued at its start: both networks must report ids 0 then 1, in id
  // order, which needs bytes ends handled before the completions queued for the same instant.
  topology::ClusterSpec spec = dsim::testing::small_cluster();
  spec.node.nvlink.latency = Time::zero();
  spec.node.pcie.latency = Time::zero();
  spec.node.nic.latency = Time::zero();
  spec.fabric_links.switch_latency = Time::zero();
  const topology::Cluster cluster(spec);
  Action group;
  group.at = Time::zero();
  group.flows = {flow(0, 4, 4'000'000), flow(1, 5, 2'000'000)};
  const Twin twin = run_twin(cluster, {single(Time::zero(), flow(2, 6, 4'000'000)), group}, 0.0);
  check_identical(twin);
  CHECK(twin.replayed.stats.replayed_groups == 1);
  const std::vector<std::pair<std::size_t, Time>> expected = {
      {2, units::us(50)}, {0, units::us(100)}, {1, units::us(100)}};
  CHECK(twin.replayed.finished == expected);
}

TEST_CASE("flow network groups: a flow that brings a group back at its start instant finds it as sharing would",
          "[models]") {
  // At 0: a group GPU 0 -> 4 and GPU 1 -> 5 (4e6 B each, 40 GB/s alone on their NICs), then a 1-byte flow GPU 0 -> 6
  // under a 0.01 B/s limit, which takes 0.01 B/s off NIC 0: GPU 0 -> 4 gets 40e9 - 0.01 B/s, within the solver's 1e-12
  // rate tolerance of 40e9. Sharing every flow, the group's flows have no rate before the first settle after their
  // start, so the joint solve reports 40e9 - 0.01 whether or not the share moved by more than the tolerance; after a
  // settle they hold 40e9, which the newcomer's solve keeps. The replay must do the same in both orders.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  for (const bool settle_first : {false, true}) {
    INFO((settle_first ? "a settle between the group and the newcomer" : "no settle between them"));
    std::vector<std::vector<std::pair<FlowId, Time>>> finished(2);
    std::vector<double> first_rate(2);
    for (const bool reuse : {true, false}) {
      FlowNetwork network(cluster, {}, 0.0, topology::Cluster::Routes::all, reuse);
      const LimitId slow = network.add_limit(Bandwidth::from_Bps(0.01));
      std::vector<FlowId> ids;
      const std::vector<FlowRequest> group = {flow(0, 4, 4'000'000), flow(1, 5, 4'000'000)};
      network.start_flows(group, ids);
      if (settle_first) network.next_completion();
      network.start_flow(flow(0, 6, 1, slow.value()));
      first_rate[reuse ? 0 : 1] = network.rate(ids[0]);
      std::vector<FlowId> done;
      for (Time t = network.next_completion(); !t.is_infinite(); t = network.next_completion()) {
        done.clear();
        network.advance_to(t, done);
        for (const FlowId id : done) finished[reuse ? 0 : 1].emplace_back(id, t);
      }
      CHECK(network.group_replay().restored_groups == (reuse ? 1u : 0u));
    }
    CHECK(first_rate[0] == first_rate[1]);
    CHECK(first_rate[1] == (settle_first ? 40e9 : 40e9 - 0.01));
    CHECK(finished[0] == finished[1]);
  }
}

TEST_CASE("flow network groups: a full cache takes no new group, which is shared instead, with the same times",
          "[models]") {
  // The hand-derived group twice. With a budget of 0 bytes nothing is cached, so neither start is replayed; with the
  // budget of one group's run, the first is cached and the second replays it from the cache.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  const std::vector<Action> script = {hand_group(Time::zero(), 0), hand_group(units::us(400), 1)};
  for (const bool room : {false, true}) {
    INFO((room ? "room for one group" : "no room"));
    FlowNetwork on(cluster, {}, 0.0, topology::Cluster::Routes::all, true);
    on.set_group_cache_budget(room ? 1 : 0);
    FlowNetwork off(cluster, {}, 0.0, topology::Cluster::Routes::all, false);
    std::vector<std::vector<std::pair<FlowId, Time>>> finished(2);
    for (FlowNetwork* network : {&on, &off}) {
      for (const Action& action : script) {
        std::vector<FlowId> done;
        for (Time t = network->next_completion(); t <= action.at; t = network->next_completion()) {
          network->advance_to(t, done);
          for (const FlowId id : done) finished[network == &on ? 0 : 1].emplace_back(id, t);
          done.clear();
        }
        network->advance_to(action.at, done);
        std::vector<FlowRequest> requests = action.flows;
        const LimitId limit = network->add_limit(units::GBps(40));
        for (FlowRequest& request : requests) {
          if (request.limit != FlowRequest::no_limit) request.limit = limit.value();
        }
        std::vector<FlowId> ids;
        network->start_flows(requests, ids);
      }
      std::vector<FlowId> done;
      for (Time t = network->next_completion(); !t.is_infinite(); t = network->next_completion()) {
        network->advance_to(t, done);
        for (const FlowId id : done) finished[network == &on ? 0 : 1].emplace_back(id, t);
        done.clear();
      }
    }
    CHECK(finished[0] == finished[1]);
    CHECK(finished[0].size() == 12);
    const GroupReplayStats stats = on.group_replay();
    CHECK(stats.groups == 2);
    CHECK(stats.cached_groups == (room ? 1u : 0u));
    CHECK(stats.replayed_groups == (room ? 2u : 0u));
  }
}

TEST_CASE("flow network groups: a limit the group shares with a flow outside it counts as one of its links",
          "[models]") {
  // A 40 GB/s limit named by a flow GPU 0 -> 1 and by one flow of a group (GPU 2 -> 3 under it, GPU 5 -> 6 over
  // NICs). PlanRunner gives each plan limits of its own, but the network must not rely on it: a group whose limit is
  // busy shares from its start, and a flow naming the limit of a replayed group brings the group back. Either way the
  // times are those of sharing every flow.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  Action outside = single(Time::zero(), flow(0, 1, 4'000'000, 0));
  Action group;
  group.at = units::us(10);
  group.flows = {flow(2, 3, 4'000'000, 0), flow(5, 6, 4'000'000)};
  SECTION("the limit is busy when the group starts") {
    outside.add_limits = {{0, units::GBps(40)}};
    const Twin twin = run_twin(cluster, {outside, group}, 0.0);
    check_identical(twin);
    CHECK(twin.replayed.stats.groups == 1);
    CHECK(twin.replayed.stats.replayed_groups == 0);
  }
  SECTION("a flow names the limit while the group is replayed") {
    group.at = Time::zero();
    group.add_limits = {{0, units::GBps(40)}};
    outside.at = units::us(10);
    const Twin twin = run_twin(cluster, {group, outside}, 0.0);
    check_identical(twin);
    CHECK(twin.replayed.stats.replayed_groups == 1);
    CHECK(twin.replayed.stats.restored_groups == 1);
  }
}

TEST_CASE("flow network groups: a replayed flow's rate is the one the sharing network reports", "[models]") {
  // The hand-derived group on both networks; rate(id) of each replayed flow, at times set by hand: at 40 us f0 and
  // f1 move at 20 GB/s, f3 and f4 at 20 GB/s (their limit), f5 at 40 GB/s, the zero-byte f2 long done; at 100 us f3
  // is done and f4 has the limit's 40 GB/s; at 250 us f0 has NIC 0's 40 GB/s. Hand values to 1e-12 relative; the two
  // networks agree exactly (same ids, same rate bitwise). run_twin also compares every moving flow's rate at every
  // event of the run.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  Side on(cluster, 0.0, true);
  Side off(cluster, 0.0, false);
  const Action group = hand_group(Time::zero(), 0);
  on.apply(group, 0);
  off.apply(group, 0);
  REQUIRE(on.out.ids == off.out.ids);
  const auto at = [&](double us, std::size_t f) {
    on.advance(units::us(us));
    off.advance(units::us(us));
    const double rate = on.network.rate(on.out.ids[f]);
    CHECK(rate == off.network.rate(off.out.ids[f]));
    return rate;
  };
  CHECK(at(40, 0) == Approx(20e9).epsilon(1e-12));
  CHECK(at(40, 1) == Approx(20e9).epsilon(1e-12));
  CHECK(at(40, 3) == Approx(20e9).epsilon(1e-12));
  CHECK(at(40, 4) == Approx(20e9).epsilon(1e-12));
  CHECK(at(40, 5) == Approx(40e9).epsilon(1e-12));
  CHECK(at(100, 4) == Approx(40e9).epsilon(1e-12));
  CHECK(at(100, 0) == Approx(20e9).epsilon(1e-12));
  CHECK(at(250, 0) == Approx(40e9).epsilon(1e-12));
  CHECK(on.network.group_replay().replayed_groups == 1);
  CHECK(on.network.group_replay().restored_groups == 0);
}

TEST_CASE("flow network groups: random groups and flows, seed 42, replay to the picosecond", "[models]") {
  // Seed 42: 4 distinct group templates started 60 times and 40 single flows, at random times over 8 ms, on the
  // small cluster grown to 4 nodes (one switch: every repeat of a template has the same routes, so the cache is
  // hit), on the fat-tree (ECMP) and on the multi-plane fat-tree (PXN). Tolerance 0: the replaying network must
  // report the same ids, completion times, finished order, rates at every event and link bytes as the one sharing
  // every flow. The span was tuned (over 2 ms only 8 to 14 of 60 groups found idle links) so that every path runs;
  // observed: single switch 38 groups replayed, 4 distinct in the cache, 13 restored; fat-tree 38 replayed, 28
  // cached (ECMP varies the routes), 13 restored; multi-plane 36 replayed, 4 cached, 11 restored.
  constexpr std::uint64_t seed = 42;
  INFO("seed " << seed);
  topology::ClusterSpec spec = dsim::testing::small_cluster();
  spec.nodes = 4;
  SECTION("single switch") {}
  SECTION("fat-tree with ECMP") { spec = four_node_cluster(topology::FabricKind::fat_tree_2); }
  SECTION("multi-plane fat-tree with PXN") { spec = four_node_cluster(topology::FabricKind::multi_plane_fat_tree); }
  const topology::Cluster cluster(spec);
  const std::vector<Action> script = random_workload(seed, 16, 4, 60, 40, units::us(8000));
  const Twin twin = run_twin(cluster, script, 0.0);
  check_identical(twin);
  const GroupReplayStats& stats = twin.replayed.stats;
  INFO("groups " << stats.groups << ", replayed " << stats.replayed_groups << ", restored " << stats.restored_groups
                 << ", cached " << stats.cached_groups);
  CHECK(stats.groups == 60);
  CHECK(stats.replayed_groups >= 20);                    // replayed
  CHECK(stats.restored_groups >= 5);                     // and restored
  CHECK(stats.groups - stats.replayed_groups >= 5);      // started on busy links
  CHECK(stats.cached_groups < stats.replayed_groups);    // some from the cache
}

TEST_CASE("flow network groups: with a completion tolerance the replay keeps the total flow time within 5 percent",
          "[models]") {
  // The generator and seed of the seed-42 case, busier (120 group starts over 4 ms: on one switch 22 replay and
  // 17 are restored, on the fat-tree 17 and 14), with completion tolerance 0.05. Early ends now differ: the sharing
  // network also ends a group's flows early at other flows' ends, the replay only at its own flows'
  // (flow_network.hpp); here 25 and 11 of 880 flows move. No tight bound per flow follows: an early end hands
  // bandwidth on up to 5% of the ending flow's duration early, and max-min passes that on along chains of links,
  // so a flow can move by more than 5% of its own duration (here the worst moved by 3.5%; over seeds 1..200 of the
  // 60-group workload over 1 to 10.5 ms, by 19%; against the exact run, by 62%). The makespan says nothing here
  // (it is the last start plus one flow). What both runs keep is the total work: the sum over flows of
  // (completion - start), each within the tolerance's order of the exact run's. Observed 0.062% and 0.005% apart
  // (worst over the seeds above 0.59%); checked within 5% (the tolerance). The case requires that some flow moved,
  // else it compares nothing. Every flow still finishes exactly once in both runs, and the bytes counted at the
  // starts agree exactly.
  constexpr std::uint64_t seed = 42;
  INFO("seed " << seed);
  topology::ClusterSpec spec = dsim::testing::small_cluster();
  spec.nodes = 4;
  SECTION("single switch") {}
  SECTION("fat-tree with ECMP") { spec = four_node_cluster(topology::FabricKind::fat_tree_2); }
  const topology::Cluster cluster(spec);
  const std::vector<Action> script = random_workload(seed, 16, 4, 120, 40, units::us(4000));
  const Twin twin = run_twin(cluster, script, 0.05);
  const Outcome& a = twin.replayed;
  const Outcome& b = twin.shared;
  REQUIRE(a.done.size() == b.done.size());
  double total_a = 0;
  double total_b = 0;
  std::size_t moved = 0;
  for (std::size_t f = 0; f < a.done.size(); ++f) {
    INFO("script flow " << f);
    REQUIRE_FALSE(a.done[f].is_infinite());
    REQUIRE_FALSE(b.done[f].is_infinite());
    REQUIRE(a.started[f] == b.started[f]);
    total_a += units::to_seconds(a.done[f] - a.started[f]);
    total_b += units::to_seconds(b.done[f] - b.started[f]);
    if (a.done[f] != b.done[f]) ++moved;
  }
  INFO("flow time " << total_a << " s replaying, " << total_b << " s sharing; " << moved << " flows moved");
  CHECK(a.finished.size() == a.done.size());
  CHECK(b.finished.size() == b.done.size());
  CHECK(a.link_bytes == b.link_bytes);
  CHECK(moved > 0);
  CHECK(a.stats.replayed_groups >= 10);
  CHECK(total_a == Approx(total_b).epsilon(0.05));
}

}  // namespace dsim::models::network
