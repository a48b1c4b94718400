// SPDX-License-Identifier: Apache-2.0
// The replay: stream order, dependencies, send/recv rendezvous, and timings from the models.
#include <catch2/catch.hpp>

#include "models/collectives/plan_runner.hpp"
#include "models/compute/compute_model.hpp"
#include "models/network/flow_network.hpp"
#include "models/network/simple_network.hpp"
#include "sim/replay/replay.hpp"
#include "tests/topology/test_clusters.hpp"
#include "tests/workloads/trace_builders.hpp"

#include <fmt/format.h>

namespace dsim::replay {
namespace {

using testing::add_compute;
using testing::add_transfer;
using workloads::OpKind;

ReplayResult run(workloads::StepTrace& trace) {
  REQUIRE_FALSE(trace.match_transfers().has_value());
  REQUIRE(workloads::find_deadlock(trace).empty());
  const topology::Cluster cluster(testing::small_cluster());
  models::network::SimpleNetwork network(cluster);
  const models::compute::ComputeModel compute(cluster.spec().node.gpu, 1.0);
  return replay(cluster, trace, network, compute);
}

}  // namespace

TEST_CASE("replay: ops on one stream run one after another in order", "[replay]") {
  // a (10 us) then b (5 us) on the same stream: b starts at 10, ends at 15.
  workloads::StepTrace trace(8);
  add_compute(trace, 0, "a", units::us(10));
  add_compute(trace, 0, "b", units::us(5));
  const auto result = run(trace);
  CHECK(result.ops[1].start == units::us(10));
  CHECK(result.ops[1].end == units::us(15));
  CHECK(result.makespan == units::us(15));
}

TEST_CASE("replay: ops on different streams of a rank overlap", "[replay]") {
  // a (10 us) and b (5 us) on separate streams both start at 0; the makespan is the longer one.
  workloads::StepTrace trace(8);
  add_compute(trace, 0, "a", units::us(10), {}, "s1");
  add_compute(trace, 0, "b", units::us(5), {}, "s2");
  const auto result = run(trace);
  CHECK(result.ops[1].start == Time::zero());
  CHECK(result.makespan == units::us(10));
}

TEST_CASE("replay: an op waits for its dependencies on other streams", "[replay]") {
  // a (10 us) on s1; b on s2 depends on a: starts at 10, ends at 13.
  workloads::StepTrace trace(8);
  const OpId a = add_compute(trace, 0, "a", units::us(10), {}, "s1");
  add_compute(trace, 0, "b", units::us(3), {a}, "s2");
  const auto result = run(trace);
  CHECK(result.ops[1].ready == units::us(10));
  CHECK(result.ops[1].end == units::us(13));
}

TEST_CASE("replay: a transfer starts when both its send and its recv are ready", "[replay]") {
  // Rank 0 computes 10 us then sends 8e6 B to rank 4 (other node): 8e6 / 40 GB/s = 200 us + 2.7 us latency.
  // The recv is posted at 0 and waits 10 us; both ops end at 10 + 202.7 = 212.7 us.
  workloads::StepTrace trace(8);
  const OpId a = add_compute(trace, 0, "a", units::us(10));
  const OpId s = add_transfer(trace, OpKind::send, 0, 4, 8'000'000, "s", {a});
  const OpId r = add_transfer(trace, OpKind::recv, 4, 0, 8'000'000, "r");
  const auto result = run(trace);
  CHECK(result.ops[r.index()].ready == Time::zero());
  CHECK(result.ops[r.index()].start == units::us(10));
  CHECK(result.ops[s.index()].end == units::us(212.7));
  CHECK(result.ops[r.index()].end == units::us(212.7));
  CHECK(result.flows == 1);
}

TEST_CASE("replay: an exchange in both directions overlaps when send and recv use separate streams", "[replay]") {
  // Ranks 0 and 1 (same node) swap 1.6e6 B: each flow takes 1.6e6 / 160 GB/s = 10 us + 1 us = 11 us, in parallel.
  workloads::StepTrace trace(8);
  add_transfer(trace, OpKind::send, 0, 1, 1'600'000, "s01", {}, "out");
  add_transfer(trace, OpKind::recv, 0, 1, 1'600'000, "r10", {}, "in");
  add_transfer(trace, OpKind::send, 1, 0, 1'600'000, "s10", {}, "out");
  add_transfer(trace, OpKind::recv, 1, 0, 1'600'000, "r01", {}, "in");
  const auto result = run(trace);
  CHECK(result.makespan == units::us(11));
  CHECK(result.flows == 2);
}

TEST_CASE("replay: zero-byte transfers and zero-length ops finish at the time they start", "[replay]") {
  // A zero-byte transfer still pays latency: 1 us over NVLink. The zero-length compute after it ends at 1 us.
  workloads::StepTrace trace(8);
  add_transfer(trace, OpKind::send, 0, 1, 0, "s");
  const OpId r = add_transfer(trace, OpKind::recv, 1, 0, 0, "r");
  add_compute(trace, 1, "z", Time::zero(), {r});
  const auto result = run(trace);
  CHECK(result.ops[2].start == units::us(1));
  CHECK(result.ops[2].end == units::us(1));
}

TEST_CASE("replay: compute given as FLOPs is timed by the compute model", "[replay]") {
  // 5e9 FLOP in bf16 at 1000 TFLOP/s = 5 us.
  workloads::StepTrace trace(8);
  workloads::Op op;
  op.name = "gemm";
  op.rank = RankId(3);
  op.stream = trace.stream("compute");
  op.flops = 5e9;
  op.dtype = Dtype::bf16;
  trace.add(op);
  const auto result = run(trace);
  CHECK(result.ops[0].end == units::us(5));
  CHECK(result.ops[0].source == models::compute::TimingSource::roofline);
}

TEST_CASE("replay: the same trace replayed twice gives the same times", "[replay]") {
  workloads::StepTrace trace(8);
  for (std::uint32_t i = 0; i < 4; ++i) {
    const OpId c = add_compute(trace, i, "c", units::us(1 + i));
    add_transfer(trace, OpKind::send, i, i + 4, 1000 * (i + 1), "s", {c});
    add_transfer(trace, OpKind::recv, i + 4, i, 1000 * (i + 1), "r");
  }
  const auto first = run(trace);
  const auto second = run(trace);
  REQUIRE(first.ops.size() == second.ops.size());
  for (std::size_t i = 0; i < first.ops.size(); ++i) {
    CHECK(first.ops[i].start == second.ops[i].start);
    CHECK(first.ops[i].end == second.ops[i].end);
  }
}


TEST_CASE("replay: on the flow network two sends through one NIC share it and both take twice as long", "[replay]") {
  // Rank 0 sends 8e6 B to rank 4 and to rank 5 at once, on two streams. Both leave through NIC 0 (40 GB/s): 20 GB/s
  // each, 400 us + 2.7 us = 402.7 us; the simple network, which does not share, says 202.7 us.
  workloads::StepTrace trace(8);
  testing::add_transfer(trace, workloads::OpKind::send, 0, 4, 8'000'000, "to4", {}, "a");
  testing::add_transfer(trace, workloads::OpKind::send, 0, 5, 8'000'000, "to5", {}, "b");
  testing::add_transfer(trace, workloads::OpKind::recv, 4, 0, 8'000'000, "from0");
  testing::add_transfer(trace, workloads::OpKind::recv, 5, 0, 8'000'000, "from0");
  REQUIRE_FALSE(trace.match_transfers().has_value());
  const topology::Cluster cluster(testing::small_cluster());
  const models::compute::ComputeModel compute(cluster.spec().node.gpu, 1.0);
  models::network::FlowNetwork flow(cluster);
  CHECK(replay(cluster, trace, flow, compute).makespan == units::us(402.7));
  models::network::SimpleNetwork simple(cluster);
  CHECK(replay(cluster, trace, simple, compute).makespan == units::us(202.7));
}


TEST_CASE("replay: a collective starts when its last rank is ready and ends for all ranks with its plan", "[replay]") {
  // A ring all-reduce of 1 MB over ranks 0..3 of one node. Rank 3 is busy for 50 us first, so the call starts at
  // 50 us on every rank, and every rank's op ends when the plan run alone (from 0) ends, plus 50 us.
  workloads::StepTrace trace(8);
  const OpId busy = add_compute(trace, 3, "busy", units::us(50));
  workloads::CollectiveCall call;
  call.kind = workloads::CollectiveOp::all_reduce;
  call.size = Bytes(1'000'000);
  const auto ops = testing::add_collective(trace, call, {0, 1, 2, 3}, "ar", {{}, {}, {}, {busy}});
  REQUIRE_FALSE(trace.match_transfers().has_value());
  const topology::Cluster cluster(testing::small_cluster());
  models::network::FlowNetwork network(cluster);
  const models::compute::ComputeModel compute(cluster.spec().node.gpu, 1.0);
  CallPlanner planner(cluster, {});
  const auto result = replay(cluster, trace, network, compute, planner);

  models::network::FlowNetwork alone_network(cluster);
  const auto spans = models::collectives::PlanRunner::run_alone(alone_network, planner.plan(trace, workloads::CallId(0)));
  Time alone;
  for (const auto& span : spans) alone = std::max(alone, span.end);
  for (const OpId op : ops) {
    CHECK(result.ops[op.index()].start == units::us(50));
    CHECK(result.ops[op.index()].end == units::us(50) + alone);
  }
  CHECK(result.plans == 1);
}

TEST_CASE("replay: repeated identical transfers and calls share one plan each", "[replay]") {
  // Three 1 kB sends 0 -> 1 and two all-gathers over {0, 1}: two distinct plans, five runs.
  workloads::StepTrace trace(8);
  for (int i = 0; i < 3; ++i) {
    add_transfer(trace, OpKind::send, 0, 1, 1000, fmt::format("s{}", i));
    add_transfer(trace, OpKind::recv, 1, 0, 1000, fmt::format("r{}", i));
  }
  workloads::CollectiveCall call;
  call.kind = workloads::CollectiveOp::all_gather;
  call.size = Bytes(2000);
  testing::add_collective(trace, call, {0, 1}, "ag0");
  testing::add_collective(trace, call, {0, 1}, "ag1");
  const auto result = run(trace);
  CHECK(result.plans == 5);
  // The two calls are distinct ids with equal content: the planner keys plans by content, so they share one.
  CHECK(result.distinct_plans == 2);
}

}  // namespace dsim::replay
