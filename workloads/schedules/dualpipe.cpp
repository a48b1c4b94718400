// SPDX-License-Identifier: Apache-2.0
// DualPipe: DeepSeek-AI, "DeepSeek-V3 Technical Report" (arXiv 2412.19437), section 3.2.1, and the public
// deepseek-ai/DualPipe repository (dualpipe.py), whose per-rank step loops dual_steps() follows.
#include "workloads/schedules/schedule_orders.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "workloads/schedules/dualpipe_steps.hpp"

namespace dsim::workloads::schedules::detail {

// Micro-batches enter from both ends: the first N/2 at rank 0 (chunk 0, stage r on rank r), the other N/2 at rank
// P-1 (chunk 1, stage P-1-r on rank r). Each half of the ranks sees the pipe from its own end: for ranks 0..P/2-1
// phase 0 is chunk 0 (the direction that enters at their end) and phase 1 is chunk 1; for ranks P/2..P-1 the two
// swap (dualpipe.py's `phase ^= is_in_second_half`). Both directions meet at the two middle ranks, the fold.
RankOrders dualpipe_orders(int ranks, int microbatches, std::string_view where) {
  if (ranks % 2 != 0) refuse(where, fmt::format("dualpipe needs an even number of ranks (got {})", ranks));
  if (microbatches % 2 != 0 || microbatches < 2 * ranks) {
    refuse(where, fmt::format("dualpipe needs an even number of micro-batches, at least twice the ranks, half entering "
                              "at each end (got {} micro-batches for {} ranks)",
                              microbatches, ranks));
  }
  RankOrders orders;
  const int half = microbatches / 2;
  for (int r = 0; r < ranks; ++r) {
    const bool second_half = r >= ranks / 2;
    DualStepsInput in;
    in.ranks = ranks / 2;
    in.position = std::min(r, ranks - 1 - r);
    in.microbatches = half;
    in.fold = r == ranks / 2 - 1 || r == ranks / 2;
    in.chunk_of_phase = second_half ? std::array<int, 2>{1, 0} : std::array<int, 2>{0, 1};
    in.first_microbatch = {in.chunk_of_phase[0] * half, in.chunk_of_phase[1] * half};
    orders.push_back(dual_steps(in));
  }
  return orders;
}

}  // namespace dsim::workloads::schedules::detail
