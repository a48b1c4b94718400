// SPDX-License-Identifier: Apache-2.0
// DualPipeV: DualPipe "cut in half" (Sea AI Lab's Cut-in-half schedule, as adopted in deepseek-ai/DualPipe,
// dualpipev.py). The same step loops as DualPipe on half the devices, each holding two of 2P stages.
#include "workloads/schedules/schedule_orders.hpp"

#include <fmt/format.h>

#include "workloads/schedules/dualpipe_steps.hpp"

namespace dsim::workloads::schedules::detail {

// All micro-batches enter at rank 0, run down chunk 0 (stage r on rank r), turn round at rank P-1 without leaving
// it, and run back up chunk 1 (stage 2P-1-r on rank r), so the loss is computed on rank 0. Phase 0 is chunk 0 and
// phase 1 chunk 1 on every rank, both phases see the same N micro-batches, and the fold is the last rank.
// dualpipev.py asserts N >= 2P and nothing about parity.
RankOrders dualpipe_v_orders(int ranks, int microbatches, std::string_view where) {
  if (microbatches < 2 * ranks) {
    refuse(where, fmt::format("dualpipe_v needs at least twice as many micro-batches as ranks (got {} micro-batches "
                              "for {} ranks)",
                              microbatches, ranks));
  }
  RankOrders orders;
  for (int r = 0; r < ranks; ++r) {
    DualStepsInput in;
    in.ranks = ranks;
    in.position = r;
    in.microbatches = microbatches;
    in.fold = r == ranks - 1;
    orders.push_back(dual_steps(in));
  }
  return orders;
}

}  // namespace dsim::workloads::schedules::detail
