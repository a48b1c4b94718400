// SPDX-License-Identifier: Apache-2.0
// Step traces: send/recv pairing and the deadlock check that keeps a bad trace from hanging a run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <tuple>

#include "tests/workloads/trace_builders.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::workloads {
namespace {

OpId compute(StepTrace& trace, std::uint32_t rank, const std::string& name, std::vector<OpId> deps = {},
             const std::string& stream = "compute") {
  return testing::add_compute(trace, rank, name, units::us(1), std::move(deps), stream);
}

OpId transfer(StepTrace& trace, OpKind kind, std::uint32_t rank, std::uint32_t peer, std::uint64_t bytes,
              const std::string& name, std::vector<OpId> deps = {}, const std::string& stream = "comm") {
  return testing::add_transfer(trace, kind, rank, peer, bytes, name, std::move(deps), stream);
}

}  // namespace

TEST_CASE("trace: the k-th send from a to b pairs with the k-th recv on b from a", "[workloads]") {
  StepTrace trace(2);
  const OpId s0 = transfer(trace, OpKind::send, 0, 1, 10, "s0");
  const OpId r0 = transfer(trace, OpKind::recv, 1, 0, 10, "r0");
  const OpId s1 = transfer(trace, OpKind::send, 0, 1, 20, "s1");
  const OpId r1 = transfer(trace, OpKind::recv, 1, 0, 20, "r1");
  REQUIRE_FALSE(trace.match_transfers().has_value());
  REQUIRE(trace.transfers().size() == 2);
  CHECK(trace.transfers()[0].send == s0);
  CHECK(trace.transfers()[0].recv == r0);
  CHECK(trace.transfers()[1].send == s1);
  CHECK(trace.transfers()[1].recv == r1);
  CHECK(trace.transfer_of(r1) == 1);
}

TEST_CASE("trace: a send without a recv is reported on the send", "[workloads]") {
  StepTrace trace(2);
  transfer(trace, OpKind::send, 0, 1, 10, "lonely");
  const auto problem = trace.match_transfers();
  REQUIRE(problem.has_value());
  CHECK(problem->op == OpId(0));
  CHECK(problem->message == "send #1 from rank 0 to rank 1 has no matching recv on rank 1");
}

TEST_CASE("trace: a recv without a send is reported on the recv", "[workloads]") {
  StepTrace trace(3);
  transfer(trace, OpKind::send, 0, 1, 10, "s");
  transfer(trace, OpKind::recv, 1, 0, 10, "r");
  transfer(trace, OpKind::recv, 1, 2, 10, "from_two");
  const auto problem = trace.match_transfers();
  REQUIRE(problem.has_value());
  CHECK(problem->op == OpId(2));
  CHECK(problem->message == "recv #1 on rank 1 from rank 2 has no matching send on rank 2");
}

TEST_CASE("trace: a recv whose size differs from its send is reported as a size problem", "[workloads]") {
  StepTrace trace(2);
  transfer(trace, OpKind::send, 0, 1, 10, "s");
  transfer(trace, OpKind::recv, 1, 0, 12, "r");
  const auto problem = trace.match_transfers();
  REQUIRE(problem.has_value());
  CHECK(problem->op == OpId(1));
  CHECK(problem->about_size);
  CHECK(problem->message == "recv of 12 bytes does not match the size of its send 's' on rank 0 (10 bytes)");
}

TEST_CASE("deadlock: a trace whose ops can all run has none", "[workloads]") {
  // Rank 0 computes then sends; rank 1 receives then computes: a chain, no cycle.
  StepTrace trace(2);
  const OpId a = compute(trace, 0, "a");
  transfer(trace, OpKind::send, 0, 1, 8, "s", {a});
  const OpId r = transfer(trace, OpKind::recv, 1, 0, 8, "r");
  compute(trace, 1, "b", {r});
  REQUIRE_FALSE(trace.match_transfers().has_value());
  CHECK(find_deadlock(trace).empty());
}

TEST_CASE("deadlock: a dependency cycle on one rank is found with its ops in order", "[workloads]") {
  // a waits for c (a later op), c waits for b, b waits for a: a -> b -> c -> a, each on its own stream.
  StepTrace trace(1);
  compute(trace, 0, "a", {OpId(2)}, "s1");
  compute(trace, 0, "b", {OpId(0)}, "s2");
  compute(trace, 0, "c", {OpId(1)}, "s3");
  REQUIRE_FALSE(trace.match_transfers().has_value());
  const auto cycle = find_deadlock(trace);
  REQUIRE(cycle.size() == 3);
  // The cycle may start anywhere; check that each op is followed by the op that waits for it.
  for (std::size_t i = 0; i < cycle.size(); ++i) {
    const OpId from = cycle[i];
    const OpId to = cycle[(i + 1) % cycle.size()];
    const auto& deps = trace.op(to).deps;
    CHECK(std::find(deps.begin(), deps.end(), from) != deps.end());
  }
}

TEST_CASE("deadlock: an op depending on itself is a cycle of one", "[workloads]") {
  StepTrace trace(1);
  compute(trace, 0, "self", {OpId(0)});
  REQUIRE_FALSE(trace.match_transfers().has_value());
  CHECK(find_deadlock(trace) == std::vector<OpId>{OpId(0)});
}

TEST_CASE("deadlock: two ranks that each receive before sending on one stream wait forever", "[workloads]") {
  // Rank 0: recv from 1, then send to 1 (same stream, so the send waits for the recv). Rank 1 mirrors it.
  // Each recv's partner send sits behind the other rank's recv: a cycle through stream order and rendezvous.
  StepTrace trace(2);
  transfer(trace, OpKind::recv, 0, 1, 8, "r0");
  transfer(trace, OpKind::send, 0, 1, 8, "s0");
  transfer(trace, OpKind::recv, 1, 0, 8, "r1");
  transfer(trace, OpKind::send, 1, 0, 8, "s1");
  REQUIRE_FALSE(trace.match_transfers().has_value());
  CHECK_FALSE(find_deadlock(trace).empty());
}

TEST_CASE("deadlock: the same exchange on separate streams runs", "[workloads]") {
  // With recv and send on different streams neither waits for the other, so both transfers can start.
  StepTrace trace(2);
  transfer(trace, OpKind::recv, 0, 1, 8, "r0", {}, "in");
  transfer(trace, OpKind::send, 0, 1, 8, "s0", {}, "out");
  transfer(trace, OpKind::recv, 1, 0, 8, "r1", {}, "in");
  transfer(trace, OpKind::send, 1, 0, 8, "s1", {}, "out");
  REQUIRE_FALSE(trace.match_transfers().has_value());
  CHECK(find_deadlock(trace).empty());
}

TEST_CASE("trace: streams are named once and numbered in order of first use", "[workloads]") {
  StepTrace trace(1);
  CHECK(trace.stream("compute") == StreamId(0));
  CHECK(trace.stream("comm") == StreamId(1));
  CHECK(trace.stream("compute") == StreamId(0));
  CHECK(trace.stream_names() == std::vector<std::string>{"compute", "comm"});
}


TEST_CASE("trace: a collective's ops are gathered in the order of its group's ranks", "[workloads]") {
  // Ranks join in the order 2, 0 (the add order); call_ops lists them as the group does: 0, 2.
  workloads::StepTrace trace(4);
  workloads::CollectiveCall call;
  call.kind = workloads::CollectiveOp::all_reduce;
  call.size = Bytes(64);
  call.group = trace.add_group({RankId(0), RankId(2)});
  const auto id = trace.add_call(call);
  workloads::Op op;
  op.kind = workloads::OpKind::collective;
  op.stream = trace.stream("comm");
  op.call = id;
  op.name = "ar";
  op.rank = RankId(2);
  const OpId on2 = trace.add(op);
  op.rank = RankId(0);
  const OpId on0 = trace.add(op);
  REQUIRE_FALSE(trace.match_transfers().has_value());
  REQUIRE(trace.call_ops(id).size() == 2);
  CHECK(trace.call_ops(id)[0] == on0);
  CHECK(trace.call_ops(id)[1] == on2);
  CHECK(trace.add_group({RankId(0), RankId(2)}) == call.group);
}

TEST_CASE("trace: a rank of a collective's group without its op is reported", "[workloads]") {
  workloads::StepTrace trace(4);
  workloads::CollectiveCall call;
  call.group = trace.add_group({RankId(0), RankId(1), RankId(3)});
  const auto id = trace.add_call(call);
  workloads::Op op;
  op.kind = workloads::OpKind::collective;
  op.stream = trace.stream("comm");
  op.call = id;
  op.name = "ar";
  op.rank = RankId(0);
  trace.add(op);
  op.rank = RankId(3);
  trace.add(op);
  const auto problem = trace.match_transfers();
  REQUIRE(problem.has_value());
  CHECK(problem->message == "rank 1 of all_reduce call 0 has no op joining it (every rank of the group must join)");
}

TEST_CASE("trace: a collective op on a rank outside its group, or twice on one rank, is reported", "[workloads]") {
  workloads::StepTrace trace(4);
  workloads::CollectiveCall call;
  call.group = trace.add_group({RankId(0), RankId(1)});
  const auto id = trace.add_call(call);
  workloads::Op op;
  op.kind = workloads::OpKind::collective;
  op.stream = trace.stream("comm");
  op.call = id;
  op.name = "ar";
  op.rank = RankId(0);
  trace.add(op);
  SECTION("outside") {
    op.rank = RankId(2);
    trace.add(op);
    CHECK(trace.match_transfers()->message == "all_reduce op 'ar' on rank 2 is not in its call's group");
  }
  SECTION("twice") {
    op.name = "again";
    trace.add(op);
    CHECK(trace.match_transfers()->message == "rank 0 joins all_reduce call 0 twice ('ar' and 'again')");
  }
}

TEST_CASE("deadlock: two collectives joined in opposite orders on two ranks wait forever", "[workloads]") {
  // Rank 0 joins A then B on one stream, rank 1 joins B then A: A waits for rank 1, which waits in B for rank 0.
  workloads::StepTrace trace(2);
  workloads::CollectiveCall call;
  call.group = trace.add_group({RankId(0), RankId(1)});
  const auto a = trace.add_call(call);
  const auto b = trace.add_call(call);
  workloads::Op op;
  op.kind = workloads::OpKind::collective;
  op.stream = trace.stream("comm");
  for (const auto& [rank, first, second] : {std::tuple{0u, a, b}, std::tuple{1u, b, a}}) {
    op.rank = RankId(rank);
    op.call = first;
    op.name = "first";
    trace.add(op);
    op.call = second;
    op.name = "second";
    trace.add(op);
  }
  REQUIRE_FALSE(trace.match_transfers().has_value());
  CHECK_FALSE(workloads::find_deadlock(trace).empty());
}

}  // namespace dsim::workloads
