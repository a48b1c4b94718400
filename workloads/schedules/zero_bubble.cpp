// SPDX-License-Identifier: Apache-2.0
// ZB1P, the memory-efficient zero-bubble schedule ZB-H1: Qi et al., "Zero Bubble (Almost) Pipeline Parallelism",
// ICLR 2024 (arXiv 2401.10241), section 2.1 and Figure 3 (top).
#include "workloads/schedules/schedule_orders.hpp"

#include <algorithm>
#include <deque>

namespace dsim::workloads::schedules::detail {

// The forwards and backwards run in 1F1B's order, but each backward is split: the backward_input, which the
// previous stage waits for, runs in the backward's place, and its backward_weight may wait. Rank r keeps up to r
// weight passes pending (run oldest first): the last rank, with no warm-up forwards, defers the most, so the input
// gradients travel back through the pipe at B-W per stage instead of B, and the deferred W passes fill the tail that
// 1F1B leaves idle. Warm-up forwards (P-1-r) plus deferred W passes (r) are P-1 on every rank, so activation memory
// stays within 1F1B's: a pending W holds less than a pending backward (Table 1 of the paper).
RankOrders zb1p_orders(int ranks, int microbatches, std::string_view /*where*/) {
  RankOrders orders(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    auto& order = orders[static_cast<std::size_t>(r)];
    const int warmup = std::min(ranks - 1 - r, microbatches);
    std::deque<int> pending;  // micro-batches whose backward_weight is owed, oldest first
    int forwards = 0;
    int backwards = 0;
    const auto backward = [&] {
      order.push_back({ChunkPass::backward_input, backwards, 0});
      pending.push_back(backwards++);
      if (static_cast<int>(pending.size()) > r) {
        order.push_back({ChunkPass::backward_weight, pending.front(), 0});
        pending.pop_front();
      }
    };
    for (; forwards < warmup; ++forwards) order.push_back({ChunkPass::forward, forwards, 0});
    while (forwards < microbatches) {
      order.push_back({ChunkPass::forward, forwards++, 0});
      backward();
    }
    while (backwards < microbatches) backward();
    for (const int m : pending) order.push_back({ChunkPass::backward_weight, m, 0});
  }
  return orders;
}

}  // namespace dsim::workloads::schedules::detail
