// SPDX-License-Identifier: Apache-2.0
// Pipeline bubbles: each schedule replayed with fixed pass times and free communication, against the published
// formulas of [R] Table 2 (1F1B, ZB1P, DualPipe) and the DualPipe README (DualPipeV). Times are whole microseconds,
// so every comparison is exact (tolerance 0).
#include <catch2/catch.hpp>

#include <vector>

#include "models/compute/compute_model.hpp"
#include "models/network/simple_network.hpp"
#include "sim/replay/replay.hpp"
#include "tests/topology/test_clusters.hpp"
#include "workloads/schedules/schedule_trace.hpp"

namespace dsim::replay {
namespace {

using workloads::schedules::make_schedule;
using workloads::schedules::PassTimes;
using workloads::schedules::PipelineSchedule;
using workloads::schedules::ScheduleKind;

// Per rank: makespan minus the rank's busy time (its ops' durations; an overlapped pair counts once).
std::vector<Time> bubbles(const PipelineSchedule& schedule, const PassTimes& times) {
  auto trace = workloads::schedules::schedule_trace(schedule, times);
  REQUIRE_FALSE(trace.match_transfers().has_value());
  REQUIRE(workloads::find_deadlock(trace).empty());
  const topology::Cluster cluster(testing::small_cluster());  // 2 nodes x 4 GPUs: PP up to 8
  models::network::SimpleNetwork network(cluster);
  const models::compute::ComputeModel compute(cluster.spec().node.gpu, 1.0);
  const ReplayResult result = replay(cluster, trace, network, compute);
  std::vector<Time> out(static_cast<std::size_t>(schedule.ranks), result.makespan);
  for (const workloads::Op& op : trace.ops()) out[op.rank.index()] -= *op.duration;
  return out;
}

// Overlapped F&B pairs in a rank's order.
int pairs(const PipelineSchedule& schedule, int rank) {
  int n = 0;
  for (const auto& item : schedule.order[static_cast<std::size_t>(rank)]) n += item.overlapped_with_next ? 1 : 0;
  return n;
}

PassTimes times(double f, double b, double w, double fb) {
  return {units::us(f), units::us(b), units::us(w), units::us(fb)};
}

struct Size {
  int pp;
  int microbatches;
};

}  // namespace

TEST_CASE("pipeline bubbles: 1F1B idles (PP-1)(F+B) on every rank", "[replay]") {
  // F 2 us, B 4 us. The last rank waits (PP-1)F for its first forward; the first rank, its last forward done,
  // waits for the last micro-batch's backwards to come back through PP-1 stages: (PP-1)B. Every rank runs N(F+B),
  // so with PP 4 each idles 3 x 6 = 18 us, with PP 8 7 x 6 = 42 us, whatever N >= 1.
  const PassTimes t = times(2, 4, 0, 6);
  for (const Size size : {Size{4, 8}, Size{4, 12}, Size{8, 8}, Size{8, 20}, Size{8, 3}}) {
    const auto schedule = make_schedule(ScheduleKind::one_f_one_b, size.pp, size.microbatches);
    INFO("PP " << size.pp << ", " << size.microbatches << " micro-batches");
    for (const Time bubble : bubbles(schedule, t)) CHECK(bubble == (t.forward + t.backward) * (size.pp - 1));
  }
}

TEST_CASE("pipeline bubbles: ZB1P idles (PP-1)(F+B-2W) on every rank when W is no longer than F or B-W", "[replay]") {
  // F 2 us, B 3 us, W 1 us: (PP-1)(2+3-2) = 3(PP-1) us, 9 us at PP 4 and 21 us at PP 8. With the zero-bubble
  // paper's equal thirds (F 1, B 2, W 1) it is (PP-1) us, a third of 1F1B's (PP-1)(F+B) at the same times, as
  // section 2.1 of Qi et al. says. The formula needs N >= PP (a full steady phase).
  for (const PassTimes& t : {times(2, 3, 1, 5), times(1, 2, 1, 3)}) {
    for (const Size size : {Size{4, 8}, Size{4, 4}, Size{8, 8}, Size{8, 20}}) {
      const auto schedule = make_schedule(ScheduleKind::zb1p, size.pp, size.microbatches);
      INFO("PP " << size.pp << ", " << size.microbatches << " micro-batches, F " << t.forward.ps() << " ps");
      const Time expected = (t.forward + t.backward - t.backward_weight * 2) * (size.pp - 1);
      for (const Time bubble : bubbles(schedule, t)) CHECK(bubble == expected);
    }
  }
  const Time one_f_one_b = bubbles(make_schedule(ScheduleKind::one_f_one_b, 8, 16), times(1, 2, 0, 3))[0];
  CHECK(bubbles(make_schedule(ScheduleKind::zb1p, 8, 16), times(1, 2, 1, 3))[0] * 3 == one_f_one_b);
}

TEST_CASE("pipeline bubbles: ZB1P with W longer than F idles more than the formula says", "[replay]") {
  // F 1 us, B 3 us, W 2 us: the formula gives (PP-1)(1+3-4) = 0. But the last rank cannot start before the forward
  // chain reaches it, (PP-1)F, and the first rank, which defers no W, waits (PP-1)(B-W) for micro-batch 0's input
  // gradient after its PP forwards; all ranks do the same work and end together, so each idles at least
  // (PP-1) max(F, B-W) = 7 us at PP 8, and the replay gives exactly that. Subtracting 2W per stage assumes a W can
  // fill each stage's wait, i.e. W <= F and W <= B-W.
  for (const Time bubble : bubbles(make_schedule(ScheduleKind::zb1p, 8, 16), times(1, 3, 2, 4))) {
    CHECK(bubble == units::us(7));
  }
}

TEST_CASE("pipeline bubbles: DualPipe's middle ranks idle (PP/2-1)(F&B+B-3W) when B-W equals F", "[replay]") {
  // F 2 us, B 3 us, W 1 us, F&B 4 us. The formula holds, on the two middle ranks, when the backward for inputs takes
  // as long as the forward (B-W = F, the zero-bubble paper's T_F = T_B) and W <= F; F&B may be anything from
  // max(F, B) (perfect overlap) to F+B (none). [R] states no such assumption; the replay found it (below).
  // Here (PP/2-1)(4+3-3) = 4 us at PP 4 and 12 us at PP 8. Every rank ends together, but the middle ranks run the
  // most overlapped pairs (step 4 runs N/2-PP+h+1 times, h the distance from the nearer end), and each pair a rank
  // lacks keeps it busy F+B-F&B longer, so it idles that much less: 10, 11, 12, 12 us from rank 0 in at PP 8.
  const PassTimes t = times(2, 3, 1, 4);
  for (const Size size : {Size{4, 8}, Size{4, 12}, Size{8, 16}, Size{8, 20}}) {
    const auto schedule = make_schedule(ScheduleKind::dualpipe, size.pp, size.microbatches);
    INFO("PP " << size.pp << ", " << size.microbatches << " micro-batches");
    const Time formula = (t.overlapped + t.backward - t.backward_weight * 3) * (size.pp / 2 - 1);
    const int middle = size.pp / 2 - 1;
    const Time gain = t.forward + t.backward - t.overlapped;  // what one overlapped pair saves
    const auto measured = bubbles(schedule, t);
    CHECK(measured[static_cast<std::size_t>(middle)] == formula);
    CHECK(measured[static_cast<std::size_t>(middle + 1)] == formula);
    for (int r = 0; r < size.pp; ++r) {
      CHECK(measured[static_cast<std::size_t>(r)] == formula - gain * (pairs(schedule, middle) - pairs(schedule, r)));
    }
  }
  // With no overlap gain (F&B = F+B = 5 us) every rank idles the formula's (8/2-1)(5+3-3) = 15 us.
  for (const Time bubble : bubbles(make_schedule(ScheduleKind::dualpipe, 8, 20), times(2, 3, 1, 5))) {
    CHECK(bubble == units::us(15));
  }
  // With B-W shorter than F (F 3, B 3, W 1, F&B 4) the forward chain, not the input-gradient chain, sets the
  // warm-up and drain: the middle ranks idle (PP/2-1)(F&B+F-2W) = 3 x 5 = 15 us, not the formula's 12 us.
  CHECK(bubbles(make_schedule(ScheduleKind::dualpipe, 8, 20), times(3, 3, 1, 4))[3] == units::us(15));
}

TEST_CASE("pipeline bubbles: DualPipeV on P ranks idles (P-1)(F&B+B-3W), the README's (PP/2-1) for 2P stages",
          "[replay]") {
  // The README's table counts PP stages on PP/2 devices: with P ranks and 2P stages the bubble is
  // (P-1)(F&B+B-3W). Same times and assumption as DualPipe (B-W = F, W <= F): 3 x 4 = 12 us on 4 ranks (the
  // README's 4-rank, 10-micro-batch example), 7 x 4 = 28 us on 8. The fold is the last rank; it and its neighbour
  // run the most overlapped pairs and idle the formula; the others idle (F+B-F&B) less per pair they lack.
  const PassTimes t = times(2, 3, 1, 4);
  for (const Size size : {Size{4, 10}, Size{4, 8}, Size{8, 16}, Size{8, 20}}) {
    const auto schedule = make_schedule(ScheduleKind::dualpipe_v, size.pp, size.microbatches);
    INFO(size.pp << " ranks, " << size.microbatches << " micro-batches");
    const Time formula = (t.overlapped + t.backward - t.backward_weight * 3) * (size.pp - 1);
    const Time gain = t.forward + t.backward - t.overlapped;
    const int last = size.pp - 1;
    const auto measured = bubbles(schedule, t);
    CHECK(measured[static_cast<std::size_t>(last)] == formula);
    for (int r = 0; r < size.pp; ++r) {
      CHECK(measured[static_cast<std::size_t>(r)] == formula - gain * (pairs(schedule, last) - pairs(schedule, r)));
    }
  }
}

}  // namespace dsim::replay
