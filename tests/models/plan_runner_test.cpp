// SPDX-License-Identifier: Apache-2.0
// The plan runner: steps start when their dependencies end, local steps take their duration, plans share the
// network. Cluster: tests/topology/test_clusters.hpp (NVLink 160 GB/s effective with 1 us latency; cross-node: NIC
// 40 GB/s effective, 2.7 us of latency).
#include <catch2/catch.hpp>

#include "models/collectives/plan_runner.hpp"
#include "models/network/flow_network.hpp"
#include "models/network/simple_network.hpp"
#include "tests/topology/test_clusters.hpp"

namespace dsim::models::collectives {
namespace {

std::vector<PlanHandle> advance_through(PlanRunner& runner) {
  std::vector<PlanHandle> done;
  for (Time next = runner.next_event(); !next.is_infinite(); next = runner.next_event()) runner.advance_to(next, done);
  return done;
}

}  // namespace

TEST_CASE("plan runner: a chain of transfer, local step and transfer takes the sum of their times", "[models]") {
  // 1.6e6 B over NVLink: 10 us + 1 us latency; 5 us local; 8e6 B across nodes: 200 us + 2.7 us. Total 218.7 us.
  const topology::Cluster cluster(testing::small_cluster());
  network::FlowNetwork network(cluster);
  CommPlan plan;
  const StepId a = plan.transfer(GpuId(0), GpuId(1), Bytes(1'600'000));
  const StepId b = plan.local(GpuId(1), units::us(5), std::array{a});
  const StepId c = plan.transfer(GpuId(1), GpuId(5), Bytes(8'000'000), std::array{b});
  const auto spans = PlanRunner::run_alone(network, plan);
  CHECK(spans[a].end == units::us(11));
  CHECK(spans[b].start == units::us(11));
  CHECK(spans[b].end == units::us(16));
  CHECK(spans[c].end == units::us(218.7));
}

TEST_CASE("plan runner: independent steps of one plan run at once and share links", "[models]") {
  // Two 8e6 B flows out of GPU 0's NIC share 40 GB/s: 400 us + 2.7 us; the plan ends then.
  const topology::Cluster cluster(testing::small_cluster());
  network::FlowNetwork network(cluster);
  PlanRunner runner(network);
  CommPlan plan;
  plan.transfer(GpuId(0), GpuId(4), Bytes(8'000'000));
  plan.transfer(GpuId(0), GpuId(5), Bytes(8'000'000));
  const PlanHandle handle = runner.start(plan);
  CHECK(advance_through(runner) == std::vector<PlanHandle>{handle});
  CHECK(runner.finished_at(handle) == units::us(402.7));
}

TEST_CASE("plan runner: two plans started at once share the network and finish in order", "[models]") {
  // Plan A moves 4e6 B and plan B 8e6 B out of GPU 0's NIC. Shared at 20 GB/s, A's bytes end at 200 us (done at
  // 202.7 us); B then has 4e6 B left alone at 40 GB/s: bytes end at 300 us, done at 302.7 us.
  const topology::Cluster cluster(testing::small_cluster());
  network::FlowNetwork network(cluster);
  PlanRunner runner(network);
  CommPlan a;
  a.transfer(GpuId(0), GpuId(4), Bytes(4'000'000));
  CommPlan b;
  b.transfer(GpuId(0), GpuId(5), Bytes(8'000'000));
  const PlanHandle ha = runner.start(a);
  const PlanHandle hb = runner.start(b);
  CHECK(advance_through(runner) == std::vector<PlanHandle>{ha, hb});
  CHECK(runner.finished_at(ha) == units::us(202.7));
  CHECK(runner.finished_at(hb) == units::us(302.7));
}

TEST_CASE("plan runner: an empty plan and zero-length local steps finish at once", "[models]") {
  const topology::Cluster cluster(testing::small_cluster());
  network::FlowNetwork network(cluster);
  PlanRunner runner(network);
  const CommPlan empty;
  CommPlan zero;
  const StepId first = zero.local(GpuId(0), Time::zero());
  zero.local(GpuId(0), Time::zero(), std::array{first});
  const PlanHandle he = runner.start(empty);
  const PlanHandle hz = runner.start(zero);
  CHECK(runner.next_event() == Time::zero());
  CHECK(advance_through(runner) == std::vector<PlanHandle>{he, hz});
  CHECK(runner.finished_at(hz) == Time::zero());
}

TEST_CASE("plan runner: a shared limit caps every transfer that names it together", "[models]") {
  // Two NVLink copies out of GPU 0 to GPUs 1 and 2, both under one 40 GB/s limit: 20 GB/s each, 2e6 B in 100 us,
  // plus 1 us of NVLink latency.
  const topology::Cluster cluster(testing::small_cluster());
  network::FlowNetwork network(cluster);
  CommPlan plan;
  const std::uint32_t sms = plan.limit(units::GBps(40));
  plan.transfer(GpuId(0), GpuId(1), Bytes(2'000'000), {}, 0, sms);
  plan.transfer(GpuId(0), GpuId(2), Bytes(2'000'000), {}, 0, sms);
  const auto spans = PlanRunner::run_alone(network, plan);
  CHECK(spans[0].end == units::us(101));
  CHECK(spans[1].end == units::us(101));
}

TEST_CASE("plan runner: a host-memory read crosses the PCIe path and pays the PCIe message overhead", "[models]") {
  // Host memory (64 GB/s x 0.8 = 51.2 GB/s) -> root complex -> PCIe switch -> GPU (51.2 GB/s): 5.12e6 B in 100 us,
  // plus 0.1 us of switch latency and a 2 us PCIe per-message overhead.
  const topology::Cluster cluster(testing::small_cluster());
  network::MessageOverheads overheads;
  overheads.by_transport[static_cast<std::size_t>(network::Transport::pcie)] = units::us(2);
  network::FlowNetwork network(cluster, overheads);
  CommPlan plan;
  plan.host_read(GpuId(2), Bytes(5'120'000));
  const auto spans = PlanRunner::run_alone(network, plan);
  CHECK(spans[0].end == units::us(102.1));
  CHECK(network.link_bytes()[cluster.host_to_gpu(GpuId(2)).front().index()] == 5'120'000);
}

TEST_CASE("plan runner: per-message overheads follow the transport of the route", "[models]") {
  // NVLink copy: 1 us latency + 0.5 us overhead, no bytes; cross-node: 2.7 us + 3 us RDMA overhead.
  const topology::Cluster cluster(testing::small_cluster());
  network::MessageOverheads overheads;
  overheads.by_transport[static_cast<std::size_t>(network::Transport::nvlink)] = units::us(0.5);
  overheads.by_transport[static_cast<std::size_t>(network::Transport::rdma)] = units::us(3);
  network::SimpleNetwork network(cluster, overheads);
  CommPlan plan;
  plan.transfer(GpuId(0), GpuId(1), Bytes(0));
  plan.transfer(GpuId(0), GpuId(4), Bytes(0));
  const auto spans = PlanRunner::run_alone(network, plan);
  CHECK(spans[0].end == units::us(1.5));
  CHECK(spans[1].end == units::us(5.7));
}

// A DeepEP-style dispatch on the small cluster: every GPU sends to every other, inside a node by NVLink under a
// 60 GB/s limit per sending GPU (its copy SMs), across nodes by RDMA; sizes vary by pair, GPU 3 -> 0 sends nothing.
// Every step is a transfer without deps, so the runner starts the plan as one group (CommPlan::starts_at_once).
CommPlan dispatch_plan() {
  CommPlan plan;
  const std::uint32_t rdma = plan.phase("rdma");
  const std::uint32_t nvlink = plan.phase("nvlink");
  std::vector<std::uint32_t> sms;
  for (std::uint32_t g = 0; g < 8; ++g) sms.push_back(plan.limit(units::GBps(60)));
  for (std::uint32_t src = 0; src < 8; ++src) {
    for (std::uint32_t dst = 0; dst < 8; ++dst) {
      if (src == dst) continue;
      const Bytes size(src == 3 && dst == 0 ? 0 : 100'000ULL * (1 + (src * 7 + dst * 3) % 11));
      if (src / 4 == dst / 4) {
        plan.transfer(GpuId(src), GpuId(dst), size, {}, nvlink, sms[src]);
      } else {
        plan.transfer(GpuId(src), GpuId(dst), size, {}, rdma);
      }
    }
  }
  return plan;
}

TEST_CASE("plan runner: a plan started at once as one group gives the same step spans replayed or shared",
          "[models]") {
  // The dispatch plan (dispatch_plan) on two networks with completion tolerance 0, one replaying isolated groups
  // and one sharing every flow, started twice; every step's start and end must agree to the picosecond. The second
  // start 1 ms after the first (which is done by about 110 us: 4.4e6 B at most out of one NIC at 40 GB/s): both
  // replay (2 x 56 flows), the second from the cache, though its limits have other ids (the first plan's are not
  // released). The second 20 us into the first: it finds its links busy, shares, and brings the first back into
  // the sharing.
  const topology::Cluster cluster(testing::small_cluster());
  const CommPlan plan = dispatch_plan();
  REQUIRE(plan.starts_at_once());
  const auto run = [&](network::FlowNetwork& network, Time second_at) {
    PlanRunner runner(network);
    std::vector<std::vector<StepSpan>> spans;
    const PlanHandle first = runner.start(plan);
    std::vector<PlanHandle> done;
    for (Time next = runner.next_event(); next <= second_at; next = runner.next_event()) runner.advance_to(next, done);
    runner.advance_to(second_at, done);
    const PlanHandle second = runner.start(plan);
    advance_through(runner);
    spans.push_back(runner.spans(first));
    spans.push_back(runner.spans(second));
    return spans;
  };
  Time second_at;
  network::GroupReplayStats expected;
  expected.groups = 2;
  SECTION("one after the other") {
    second_at = units::ms(1);
    expected.replayed_groups = 2;
    expected.cached_groups = 1;
  }
  SECTION("the second 20 us into the first") {
    second_at = units::us(20);
    expected.replayed_groups = 1;
    expected.restored_groups = 1;
    expected.cached_groups = 1;
  }
  network::FlowNetwork replaying(cluster, {}, 0.0, topology::Cluster::Routes::all, true);
  network::FlowNetwork sharing(cluster, {}, 0.0, topology::Cluster::Routes::all, false);
  const auto a = run(replaying, second_at);
  const auto b = run(sharing, second_at);
  for (std::size_t p = 0; p < 2; ++p) {
    REQUIRE(a[p].size() == plan.steps().size());
    REQUIRE(b[p].size() == plan.steps().size());
    for (std::size_t s = 0; s < a[p].size(); ++s) {
      INFO("plan " << p << ", step " << s);
      CHECK(a[p][s].start == b[p][s].start);
      CHECK(a[p][s].end == b[p][s].end);
      CHECK_FALSE(a[p][s].end.is_infinite());
    }
  }
  CHECK(a[0].front().start == Time::zero());
  CHECK(a[1].front().start == second_at);
  const network::GroupReplayStats stats = replaying.group_replay();
  CHECK(stats.groups == expected.groups);
  CHECK(stats.replayed_groups == expected.replayed_groups);
  CHECK(stats.replayed_flows == 56 * expected.replayed_groups);
  CHECK(stats.restored_groups == expected.restored_groups);
  CHECK(stats.cached_groups == expected.cached_groups);
}

TEST_CASE("plan runner: a plan with a local step or a dependency is not started as one group", "[models]") {
  // starts_at_once needs every step to be a transfer waiting for nothing: a local step, or one dependency, makes
  // the runner begin steps one by one, so the replaying network sees no group (its stats stay at zero).
  const topology::Cluster cluster(testing::small_cluster());
  CommPlan with_local;
  with_local.transfer(GpuId(0), GpuId(4), Bytes(1'000'000));
  with_local.transfer(GpuId(1), GpuId(5), Bytes(1'000'000));
  with_local.local(GpuId(2), units::us(3));
  CommPlan with_dep;
  const StepId first = with_dep.transfer(GpuId(0), GpuId(4), Bytes(1'000'000));
  with_dep.transfer(GpuId(1), GpuId(5), Bytes(1'000'000), std::array{first});
  CHECK_FALSE(with_local.starts_at_once());
  CHECK_FALSE(with_dep.starts_at_once());
  for (const CommPlan* plan : {&with_local, &with_dep}) {
    network::FlowNetwork network(cluster, {}, 0.0, topology::Cluster::Routes::all, true);
    PlanRunner::run_alone(network, *plan);
    CHECK(network.group_replay().groups == 0);
  }
}

}  // namespace dsim::models::collectives
