// SPDX-License-Identifier: Apache-2.0
// All-to-all as direct pairwise transfers, all started at once.
#include "models/collectives/algorithms/algorithm_parts.hpp"

namespace dsim::models::collectives::detail {

// Every rank sends size/n to each of the n-1 others, all at once: n(n-1) transfers, no dependencies. Cross-plane
// pairs on multi-plane fabrics take PXN through the cluster's routing; the plan needs nothing for them.
// Ideal time, with each rank's link of bandwidth B the bottleneck:
//   T = a + (n-1)/n * size / B
// (Thakur, Rabenseifner & Gropp 2005 give (n-1)(a + size/(nB)) for a pairwise exchange that talks to one peer at a
// time; NCCL posts all n-1 sends at once, so the latencies overlap and only one is paid.)
// On a mixed cluster each link class bounds it: T = max over a rank's links l of a_l + bytes_l / B_l (e.g. the
// NIC carrying size/n to each rank of the other nodes).
void build_all_to_all(CommPlan& plan, const CollectiveRequest& request) {
  const std::uint32_t phase = plan.phase("all-to-all");
  const auto& group = request.group;
  const Bytes block(request.size.count() / group.size());
  for (const GpuId src : group) {
    for (const GpuId dst : group) {
      if (src != dst) plan.transfer(src, dst, block, {}, phase);
    }
  }
}

}  // namespace dsim::models::collectives::detail
