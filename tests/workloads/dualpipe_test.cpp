// SPDX-License-Identifier: Apache-2.0
// DualPipe and DualPipeV: per-rank orders against deepseek-ai/DualPipe's step loops, and their stage paths.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/schedules/pipeline_schedule.hpp"

namespace dsim::workloads::schedules {

TEST_CASE("dualpipe: the orders for 8 ranks and 20 micro-batches, the README figure's example, follow dualpipe.py",
          "[workloads]") {
  // The README figure (8 PP ranks, 20 micro-batches in two directions) is drawn from dualpipe.py's DualPipe.step.
  // The expected orders were derived by stepping through its eight loops for each rank r, with n = 4 half ranks,
  // h = min(r, 7-r), 10 micro-batches per direction: step 1 (4-h-1)*2 forwards of phase 0; step 2 h+1 x (F0 F1);
  // step 3 (4-h-1) x (B1 with W deferred, W, F1); step 4 (10-8+h+1) x (F0&B1, F1&B0), the first pair of the middle
  // ranks 3 and 4 not overlapped; step 5 (4-h-1) x (B1, F1&B0); step 6 h+1 x (B1, B0), zero-bubble from i = (h+1)/2
  // (before B1 for odd h, after it for even h); step 7 (4-h-1) x (W, B0 deferred); step 8 h+1 x W. Phase 0 is chunk 0
  // (micro-batches 0-9, entering at rank 0) on ranks 0-3 and chunk 1 (micro-batches 10-19, ".1", entering at rank
  // 7) on ranks 4-7. Rank 0 by hand: F0-F5; F6 F10.1; I10.1 W10.1 F11.1 (x3, to F13.1); F7&B13.1 F14.1&B0 (x3);
  // B16.1 F17.1&B3 (x3); B19.1 I6; W6 I7, W7 I8, W8 I9; W9. The figure is an image (and leaves the reverse
  // direction's ids out), so the strings come from the code it illustrates, not from reading its cells.
  constexpr std::array<std::string_view, 8> expected = {
      "F0 F1 F2 F3 F4 F5 F6 F10.1 I10.1 W10.1 F11.1 I11.1 W11.1 F12.1 I12.1 W12.1 F13.1 F7&B13.1 F14.1&B0 F8&B14.1 "
      "F15.1&B1 F9&B15.1 F16.1&B2 B16.1 F17.1&B3 B17.1 F18.1&B4 B18.1 F19.1&B5 B19.1 I6 W6 I7 W7 I8 W8 I9 W9",
      "F0 F1 F2 F3 F4 F10.1 F5 F11.1 I10.1 W10.1 F12.1 I11.1 W11.1 F13.1 F6&B12.1 F14.1&B0 F7&B13.1 F15.1&B1 "
      "F8&B14.1 F16.1&B2 F9&B15.1 F17.1&B3 B16.1 F18.1&B4 B17.1 F19.1&B5 B18.1 B6 I19.1 I7 W19.1 I8 W7 I9 W8 W9",
      "F0 F1 F2 F10.1 F3 F11.1 F4 F12.1 I10.1 W10.1 F13.1 F5&B11.1 F14.1&B0 F6&B12.1 F15.1&B1 F7&B13.1 F16.1&B2 "
      "F8&B14.1 F17.1&B3 F9&B15.1 F18.1&B4 B16.1 F19.1&B5 B17.1 B6 B18.1 I7 I19.1 I8 W7 I9 W19.1 W8 W9",
      "F0 F10.1 F1 F11.1 F2 F12.1 F3 F13.1 F4 B10.1 F14.1&B0 F5&B11.1 F15.1&B1 F6&B12.1 F16.1&B2 F7&B13.1 F17.1&B3 "
      "F8&B14.1 F18.1&B4 F9&B15.1 F19.1&B5 B16.1 B6 B17.1 B7 I18.1 I8 I19.1 I9 W18.1 W8 W19.1 W9",
      "F10.1 F0 F11.1 F1 F12.1 F2 F13.1 F3 F14.1 B0 F4&B10.1 F15.1&B1 F5&B11.1 F16.1&B2 F6&B12.1 F17.1&B3 F7&B13.1 "
      "F18.1&B4 F8&B14.1 F19.1&B5 F9&B15.1 B6 B16.1 B7 B17.1 I8 I18.1 I9 I19.1 W8 W18.1 W9 W19.1",
      "F10.1 F11.1 F12.1 F0 F13.1 F1 F14.1 F2 I0 W0 F3 F15.1&B1 F4&B10.1 F16.1&B2 F5&B11.1 F17.1&B3 F6&B12.1 "
      "F18.1&B4 F7&B13.1 F19.1&B5 F8&B14.1 B6 F9&B15.1 B7 B16.1 B8 I17.1 I9 I18.1 W17.1 I19.1 W9 W18.1 W19.1",
      "F10.1 F11.1 F12.1 F13.1 F14.1 F0 F15.1 F1 I0 W0 F2 I1 W1 F3 F16.1&B2 F4&B10.1 F17.1&B3 F5&B11.1 F18.1&B4 "
      "F6&B12.1 F19.1&B5 F7&B13.1 B6 F8&B14.1 B7 F9&B15.1 B8 B16.1 I9 I17.1 W9 I18.1 W17.1 I19.1 W18.1 W19.1",
      "F10.1 F11.1 F12.1 F13.1 F14.1 F15.1 F16.1 F0 I0 W0 F1 I1 W1 F2 I2 W2 F3 F17.1&B3 F4&B10.1 F18.1&B4 F5&B11.1 "
      "F19.1&B5 F6&B12.1 B6 F7&B13.1 B7 F8&B14.1 B8 F9&B15.1 B9 I16.1 W16.1 I17.1 W17.1 I18.1 W18.1 I19.1 W19.1",
  };
  const auto s = make_schedule(ScheduleKind::dualpipe, 8, 20);
  REQUIRE(s.order.size() == expected.size());
  for (int r = 0; r < 8; ++r) {
    INFO("rank " << r);
    CHECK(format_order(s, r) == expected[static_cast<std::size_t>(r)]);
  }
}

TEST_CASE("dualpipe: the two directions run mirrored paths and each rank holds one stage of each", "[workloads]") {
  // 8 ranks, 20 micro-batches: micro-batch 3 runs ranks 0..7 on chunk 0, micro-batch 13 ranks 7..0 on chunk 1;
  // rank 2 is stage 2 of the first direction and stage 5 of the second.
  const auto s = make_schedule(ScheduleKind::dualpipe, 8, 20);
  CHECK(s.stages() == 8);
  CHECK(s.path(3).front() == ChunkRef{0, 0});
  CHECK(s.path(3).back() == ChunkRef{7, 0});
  CHECK(s.path(13).front() == ChunkRef{7, 1});
  CHECK(s.path(13).back() == ChunkRef{0, 1});
  CHECK(s.stage_of(3, {2, 0}) == 2);
  CHECK(s.stage_of(13, {2, 1}) == 5);
  CHECK(s.stage_of(13, {2, 0}) == -1);
}

TEST_CASE("dualpipe_v: the orders for 4 ranks and 10 micro-batches follow dualpipev.py", "[workloads]") {
  // The README's DualPipeV example: 4 ranks (8 stages), 10 micro-batches. dualpipev.py runs the same eight loops
  // with the full counts n = 4, h = r, 10 micro-batches per phase; phase 0 is chunk 0 (the way down) and phase 1
  // chunk 1 (the way back) on every rank, and the fold, where the first pair is not overlapped, is rank 3. Rank 3
  // by hand: step 1 none; step 2 4 x (F0 F1): F0 F0.1 .. F3 F3.1; step 3 none; step 4 (10-8+3+1) = 6 iterations,
  // the first F4 B0.1 then F4.1&B0; step 5 none; step 6 4 x (B1, B0), the last two deferred (h = 3 is odd, so
  // from i = 2 on, before B1); step 7 none; step 8 four W.
  const auto s = make_schedule(ScheduleKind::dualpipe_v, 4, 10);
  CHECK(format_order(s, 3) ==
        "F0 F0.1 F1 F1.1 F2 F2.1 F3 F3.1 F4 B0.1 F4.1&B0 F5&B1.1 F5.1&B1 F6&B2.1 F6.1&B2 F7&B3.1 F7.1&B3 F8&B4.1 "
        "F8.1&B4 F9&B5.1 F9.1&B5 B6.1 B6 B7.1 B7 I8.1 I8 I9.1 I9 W8.1 W8 W9.1 W9");
  // Rank 0 (h = 0): step 1 six forwards down; step 2 F6 F0.1; step 3 three (I, W, F) on the way back; step 4 three
  // iterations; step 5 three (B1, F1&B0); step 6 B9.1 whole then I6 (h = 0 is even, switching after B1);
  // step 7 three (W, I); step 8 one W.
  CHECK(format_order(s, 0) ==
        "F0 F1 F2 F3 F4 F5 F6 F0.1 I0.1 W0.1 F1.1 I1.1 W1.1 F2.1 I2.1 W2.1 F3.1 F7&B3.1 F4.1&B0 F8&B4.1 F5.1&B1 "
        "F9&B5.1 F6.1&B2 B6.1 F7.1&B3 B7.1 F8.1&B4 B8.1 F9.1&B5 B9.1 I6 W6 I7 W7 I8 W8 I9 W9");
  CHECK(s.stages() == 8);
  CHECK(s.path(0) == std::vector<ChunkRef>{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {3, 1}, {2, 1}, {1, 1}, {0, 1}});
  CHECK(s.stage_of(7, {1, 1}) == 6);
}

}  // namespace dsim::workloads::schedules
