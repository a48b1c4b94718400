// SPDX-License-Identifier: Apache-2.0
// The eight step loops that DualPipe and DualPipeV share (deepseek-ai/DualPipe, dualpipe.py and dualpipev.py,
// DualPipe.step / DualPipeV.step). Each rank sees two "phases", one per model chunk; the loops are written from the
// rank's own point of view, and dualpipe.cpp / dualpipe_v.cpp say which chunk and micro-batches each phase means.
#pragma once

#include <array>
#include <vector>

#include "workloads/schedules/pipeline_schedule.hpp"

namespace dsim::workloads::schedules::detail {

struct DualStepsInput {
  int ranks = 0;         // n: ranks along one phase's path (DualPipe: P/2 to the middle; DualPipeV: P)
  int position = 0;      // h: how far this rank is from where phase 0 enters (DualPipe: min(r, P-1-r); V: r)
  int microbatches = 0;  // micro-batches each phase runs (DualPipe: N/2; DualPipeV: N)
  bool fold = false;     // the rank where phase 0 turns into phase 1 (DualPipe: the two middle ranks; V: the last)
  std::array<int, 2> chunk_of_phase = {0, 1};
  std::array<int, 2> first_microbatch = {0, 0};  // id of the first micro-batch of each phase
};

// One rank's order. Requires microbatches >= 2 x ranks, so that the main step runs at least once.
std::vector<ScheduleItem> dual_steps(const DualStepsInput& in);

}  // namespace dsim::workloads::schedules::detail
