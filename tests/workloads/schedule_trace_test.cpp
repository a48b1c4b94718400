// SPDX-License-Identifier: Apache-2.0
// schedule_trace: a schedule becomes one op per item (one per overlapped pair) with cross-rank dependencies.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/core/errors.hpp"
#include "workloads/schedules/schedule_trace.hpp"

namespace dsim::workloads::schedules {
namespace {

const PassTimes unit_times{units::us(2), units::us(3), units::us(1), units::us(4)};

}  // namespace

TEST_CASE("schedule trace: 1F1B on 2 ranks becomes ops in order with the forward and backward chains as deps",
          "[workloads]") {
  // 2 ranks, 1 micro-batch: rank 0 runs F0 then B0, rank 1 F0 then B0. Ops are added rank by rank: 0 = F0 s0,
  // 1 = B0 s0, 2 = F0 s1, 3 = B0 s1. F0 s1 waits for F0 s0; B0 s1 for F0 s1 (the last stage turns round);
  // B0 s0 for F0 s0 and for B0 s1's input gradient.
  auto trace = schedule_trace(make_schedule(ScheduleKind::one_f_one_b, 2, 1), unit_times);
  REQUIRE(trace.ops().size() == 4);
  CHECK(trace.op(OpId(0)).name == "F0 s0");
  CHECK(trace.op(OpId(1)).name == "B0 s0");
  CHECK(trace.op(OpId(1)).deps == std::vector<OpId>{OpId(0), OpId(3)});
  CHECK(trace.op(OpId(2)).deps == std::vector<OpId>{OpId(0)});
  CHECK(trace.op(OpId(3)).deps == std::vector<OpId>{OpId(2)});
  CHECK(trace.op(OpId(1)).duration == units::us(3));
  CHECK(trace.op(OpId(2)).rank == RankId(1));
  REQUIRE_FALSE(trace.match_transfers().has_value());
  CHECK(find_deadlock(trace).empty());
}

TEST_CASE("schedule trace: split backwards take B-W and W, and the input gradient comes from the backward_input",
          "[workloads]") {
  // ZB1P, 2 ranks, 1 micro-batch. Rank 0: F0 I0 W0 (ops 0-2); rank 1 defers one W: F0 I0 W0 (ops 3-5).
  // I0 s0 waits for I0 s1 (op 4), not for its weight pass; I takes B - W = 2 us, W 1 us.
  const auto trace = schedule_trace(make_schedule(ScheduleKind::zb1p, 2, 1), unit_times);
  REQUIRE(trace.ops().size() == 6);
  CHECK(trace.op(OpId(1)).name == "I0 s0");
  CHECK(trace.op(OpId(1)).deps == std::vector<OpId>{OpId(0), OpId(4)});
  CHECK(trace.op(OpId(1)).duration == units::us(2));
  CHECK(trace.op(OpId(2)).deps == std::vector<OpId>{OpId(1)});
  CHECK(trace.op(OpId(2)).duration == units::us(1));
}

TEST_CASE("schedule trace: an overlapped pair is one op of F&B length that carries both halves' deps", "[workloads]") {
  // DualPipe, 2 ranks, 4 micro-batches: every rank runs 4 forwards and 4 backwards; the pairs make fewer ops.
  // Counting the items and pairs of the orders gives the op count; each pair op lasts F&B = 4 us.
  const auto s = make_schedule(ScheduleKind::dualpipe, 2, 4);
  auto trace = schedule_trace(s, unit_times);
  std::size_t items = 0;
  std::size_t pairs = 0;
  for (const auto& order : s.order) {
    items += order.size();
    for (const ScheduleItem& item : order) pairs += item.overlapped_with_next ? 1 : 0;
  }
  REQUIRE(pairs > 0);
  CHECK(trace.ops().size() == items - pairs);
  int pair_ops = 0;
  for (const Op& op : trace.ops()) {
    if (op.name.find('&') == std::string::npos) continue;
    ++pair_ops;
    CHECK(op.duration == units::us(4));
  }
  CHECK(pair_ops == static_cast<int>(pairs));
  REQUIRE_FALSE(trace.match_transfers().has_value());
  CHECK(find_deadlock(trace).empty());
}

TEST_CASE("schedule trace: an invalid schedule or a W longer than B is refused", "[workloads]") {
  auto broken = make_schedule(ScheduleKind::one_f_one_b, 2, 1);
  broken.order[1].pop_back();
  try {
    schedule_trace(broken, unit_times);
    FAIL("accepted an invalid schedule");
  } catch (const InputError& e) {
    CHECK(e.message() ==
          "cannot trace an invalid pipeline schedule: micro-batch 0 at stage 1 (rank 1) has no backward");
  }
  PassTimes bad = unit_times;
  bad.backward_weight = units::us(5);
  CHECK_THROWS_AS(schedule_trace(make_schedule(ScheduleKind::zb1p, 2, 1), bad), InputError);
}

}  // namespace dsim::workloads::schedules
