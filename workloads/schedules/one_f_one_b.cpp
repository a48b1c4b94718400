// SPDX-License-Identifier: Apache-2.0
// 1F1B (PipeDream-Flush): Narayanan et al., "Memory-Efficient Pipeline-Parallel DNN Training", ICML 2021, and the
// non-interleaved schedule of Megatron-LM (Narayanan et al., SC 2021, section 2.2.1).
#include "workloads/schedules/schedule_orders.hpp"

#include <algorithm>

namespace dsim::workloads::schedules::detail {

// Rank r runs min(P-1-r, N) warm-up forwards, so that the first backward reaches it just as it would otherwise go
// idle; then alternates one forward and one full backward; then drains the backwards still owed. At most P-r
// micro-batches are in flight on rank r, which is what bounds 1F1B's activation memory to PP micro-batches.
RankOrders one_f_one_b_orders(int ranks, int microbatches, std::string_view /*where*/) {
  RankOrders orders(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    auto& order = orders[static_cast<std::size_t>(r)];
    const int warmup = std::min(ranks - 1 - r, microbatches);
    int forwards = 0;
    int backwards = 0;
    for (; forwards < warmup; ++forwards) order.push_back({ChunkPass::forward, forwards, 0});
    while (forwards < microbatches) {
      order.push_back({ChunkPass::forward, forwards++, 0});
      order.push_back({ChunkPass::backward, backwards++, 0});
    }
    while (backwards < microbatches) order.push_back({ChunkPass::backward, backwards++, 0});
  }
  return orders;
}

}  // namespace dsim::workloads::schedules::detail
