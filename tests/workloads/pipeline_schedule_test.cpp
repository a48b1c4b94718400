// SPDX-License-Identifier: Apache-2.0
// Pipeline schedules: the kind table, argument checks, the 1F1B and ZB1P orders, and the validity check.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "sim/core/errors.hpp"
#include "workloads/schedules/pipeline_schedule.hpp"

namespace dsim::workloads::schedules {
namespace {

std::string refusal(ScheduleKind kind, int ranks, int microbatches) {
  try {
    make_schedule(kind, ranks, microbatches, "/pipeline");
  } catch (const InputError& e) {
    return e.where() + ": " + e.message();
  }
  return "accepted";
}

// A schedule from the given per-rank orders, for breaking on purpose.
PipelineSchedule by_hand(ScheduleKind kind, int ranks, int microbatches, std::vector<std::vector<ScheduleItem>> order) {
  PipelineSchedule s;
  s.kind = kind;
  s.ranks = ranks;
  s.microbatches = microbatches;
  s.chunks_per_rank = kind == ScheduleKind::dualpipe || kind == ScheduleKind::dualpipe_v ? 2 : 1;
  s.order = std::move(order);
  return s;
}

constexpr ChunkPass F = ChunkPass::forward;
constexpr ChunkPass B = ChunkPass::backward;
constexpr ChunkPass I = ChunkPass::backward_input;
constexpr ChunkPass W = ChunkPass::backward_weight;

}  // namespace

TEST_CASE("schedules: every kind parses from its name and back, and an unknown name lists the valid ones",
          "[workloads]") {
  for (const ScheduleKindInfo& info : schedule_kinds()) {
    CHECK(parse_schedule_kind(info.name) == info.kind);
    CHECK(to_string(info.kind) == info.name);
    CHECK_FALSE(info.source.empty());
  }
  CHECK(schedule_kind_names() == "one_f_one_b, zb1p, dualpipe, dualpipe_v");
  try {
    require_schedule_kind("dual_pipe", "/pipeline/schedule");
    FAIL("accepted an unknown kind");
  } catch (const InputError& e) {
    CHECK(e.where() == "/pipeline/schedule");
    CHECK(e.message() == "unknown schedule kind 'dual_pipe'; valid kinds: one_f_one_b, zb1p, dualpipe, dualpipe_v");
  }
}

TEST_CASE("schedules: impossible rank and micro-batch counts are refused with what the kind needs", "[workloads]") {
  // DualPipe needs P even and N even with N >= 2P (dualpipe.py asserts both); DualPipeV only N >= 2P.
  CHECK(refusal(ScheduleKind::one_f_one_b, 0, 4) ==
        "/pipeline: one_f_one_b needs at least one rank and one micro-batch (got 0 ranks, 4 micro-batches)");
  CHECK(refusal(ScheduleKind::zb1p, 4, 0) ==
        "/pipeline: zb1p needs at least one rank and one micro-batch (got 4 ranks, 0 micro-batches)");
  CHECK(refusal(ScheduleKind::dualpipe, 3, 12) == "/pipeline: dualpipe needs an even number of ranks (got 3)");
  CHECK(refusal(ScheduleKind::dualpipe, 4, 6) ==
        "/pipeline: dualpipe needs an even number of micro-batches, at least twice the ranks, half entering at "
        "each end (got 6 micro-batches for 4 ranks)");
  CHECK(refusal(ScheduleKind::dualpipe, 4, 9) ==
        "/pipeline: dualpipe needs an even number of micro-batches, at least twice the ranks, half entering at "
        "each end (got 9 micro-batches for 4 ranks)");
  CHECK(refusal(ScheduleKind::dualpipe_v, 4, 7) ==
        "/pipeline: dualpipe_v needs at least twice as many micro-batches as ranks (got 7 micro-batches for 4 "
        "ranks)");
  CHECK(refusal(ScheduleKind::dualpipe_v, 4, 9) == "accepted");
  CHECK(refusal(ScheduleKind::one_f_one_b, 8, 3) == "accepted");
}

TEST_CASE("schedules: 1F1B runs P-1-r warm-up forwards, then one forward and one backward in turn", "[workloads]") {
  // P = 4, N = 6. Rank 0: 3 warm-up forwards, then F3 B0 F4 B1 F5 B2, then the 3 backwards owed. Rank 3: no
  // warm-up, F and B alternate from the start.
  const auto s = make_schedule(ScheduleKind::one_f_one_b, 4, 6);
  CHECK(format_order(s, 0) == "F0 F1 F2 F3 B0 F4 B1 F5 B2 B3 B4 B5");
  CHECK(format_order(s, 2) == "F0 F1 B0 F2 B1 F3 B2 F4 B3 F5 B4 B5");
  CHECK(format_order(s, 3) == "F0 B0 F1 B1 F2 B2 F3 B3 F4 B4 F5 B5");
  CHECK(s.stages() == 4);
  CHECK(s.path(5) == std::vector<ChunkRef>{{0, 0}, {1, 0}, {2, 0}, {3, 0}});
}

TEST_CASE("schedules: ZB1P keeps 1F1B's order with split backwards, rank r deferring up to r weight passes",
          "[workloads]") {
  // P = 4, N = 6. Rank 0 defers none: each backward_input is followed by its weight pass. Rank 3 (no warm-up)
  // defers 3, so its first W comes after its fourth I, as the last worker of Figure 3 (top) of Qi et al. shows;
  // the W passes still owed run at the end, oldest first.
  const auto s = make_schedule(ScheduleKind::zb1p, 4, 6);
  CHECK(format_order(s, 0) == "F0 F1 F2 F3 I0 W0 F4 I1 W1 F5 I2 W2 I3 W3 I4 W4 I5 W5");
  CHECK(format_order(s, 1) == "F0 F1 F2 I0 F3 I1 W0 F4 I2 W1 F5 I3 W2 I4 W3 I5 W4 W5");
  CHECK(format_order(s, 3) == "F0 I0 F1 I1 F2 I2 F3 I3 W0 F4 I4 W1 F5 I5 W2 W3 W4 W5");
}

TEST_CASE("schedules: every built schedule passes the validity check over a range of sizes", "[workloads]") {
  // make_schedule already asserts this; here over every size the kinds accept up to 8 ranks and 24 micro-batches.
  int built = 0;
  for (const ScheduleKindInfo& info : schedule_kinds()) {
    for (int ranks = 1; ranks <= 8; ++ranks) {
      for (int microbatches = 1; microbatches <= 24; ++microbatches) {
        if (refusal(info.kind, ranks, microbatches) != "accepted") continue;
        const auto s = make_schedule(info.kind, ranks, microbatches);
        CHECK_FALSE(find_schedule_problem(s).has_value());
        ++built;
      }
    }
  }
  CHECK(built > 400);
}

TEST_CASE("schedules: the validity check names what is wrong", "[workloads]") {
  // Two ranks, one or two micro-batches, 1F1B-shaped (stage s on rank s, chunk 0).
  const auto problem = [](std::vector<std::vector<ScheduleItem>> order, int microbatches = 1,
                          ScheduleKind kind = ScheduleKind::one_f_one_b) {
    return find_schedule_problem(by_hand(kind, 2, microbatches, std::move(order))).value_or("valid");
  };
  CHECK(problem({{{F, 0, 0}, {B, 0, 0}}, {{F, 0, 0}, {B, 0, 0}}}) == "valid");
  CHECK(problem({{{F, 0, 0}, {B, 0, 0}}, {{F, 0, 1}, {B, 0, 0}}}) ==
        "rank 1 item 0: micro-batch 0 on chunk 1 is out of range (1 micro-batches, 1 chunks per rank)");
  CHECK(problem({{{F, 0, 0}, {F, 0, 0}, {B, 0, 0}}, {{F, 0, 0}, {B, 0, 0}}}) ==
        "rank 0: forward of micro-batch 0 at stage 0 appears twice (items 0 and 1)");
  CHECK(problem({{{F, 0, 0}}, {{F, 0, 0}, {B, 0, 0}}}) == "micro-batch 0 at stage 0 (rank 0) has no backward");
  CHECK(problem({{{F, 0, 0}, {B, 0, 0}}, {{F, 0, 0}, {I, 0, 0}}}) ==
        "micro-batch 0 at stage 1 (rank 1) has a backward_input without a backward_weight or the reverse");
  CHECK(problem({{{F, 0, 0}, {B, 0, 0}}, {{F, 0, 0}, {B, 0, 0}, {I, 0, 0}, {W, 0, 0}}}) ==
        "micro-batch 0 at stage 1 (rank 1) has a full backward and a split one");
  CHECK(problem({{{F, 0, 0}, {B, 0, 0}}, {{B, 0, 0}, {F, 0, 0}}}) ==
        "micro-batch 0 at stage 1 (rank 1): its backward (item 0) comes before its forward (item 1)");
  CHECK(problem({{{F, 0, 0}, {B, 0, 0}}, {{F, 0, 0}, {W, 0, 0}, {I, 0, 0}}}) ==
        "micro-batch 0 at stage 1 (rank 1): its backward_weight (item 1) comes before its backward_input (item 2)");
  CHECK(problem({{{F, 0, 0, true}, {F, 1, 0}, {B, 0, 0}, {B, 1, 0}}, {{F, 0, 0}, {B, 0, 0}, {F, 1, 0}, {B, 1, 0}}},
                2) == "rank 0 item 0: only a forward followed by a backward can overlap");
  // Rank 0 waits for micro-batch 0's gradient before sending micro-batch 1 forward, which rank 1 waits for first.
  CHECK(problem({{{F, 0, 0}, {B, 0, 0}, {F, 1, 0}, {B, 1, 0}}, {{F, 1, 0}, {F, 0, 0}, {B, 0, 0}, {B, 1, 0}}}, 2) ==
        "the orders deadlock: rank 0 at backward of micro-batch 0 at stage 0 (item 1); rank 1 at forward of "
        "micro-batch 1 at stage 1 (item 0)");
  // On the last stage a backward needs the forward of its own micro-batch, so the two cannot overlap.
  CHECK(problem({{{F, 0, 0}, {B, 0, 0}}, {{F, 0, 0, true}, {B, 0, 0}}}) ==
        "the orders deadlock: rank 0 at backward of micro-batch 0 at stage 0 (item 1); rank 1 at forward of "
        "micro-batch 0 at stage 1 (item 0)");
  // DualPipe with 2 ranks: micro-batch 1 (second half) runs rank 1 then rank 0 on chunk 1, never on chunk 0.
  CHECK(problem({{{F, 1, 0}}, {}}, 2, ScheduleKind::dualpipe) ==
        "rank 0 item 0: micro-batch 1 does not pass through chunk 0 of rank 0");
}

}  // namespace dsim::workloads::schedules
