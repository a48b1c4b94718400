// SPDX-License-Identifier: Apache-2.0
// Send/recv as nccl-tests' sendrecv runs it: a ring shift, every rank sending to the next one at once.
#include "models/collectives/algorithms/algorithm_parts.hpp"

namespace dsim::models::collectives::detail {

// Rank r sends size to rank (r+1) mod n, all n transfers at once (pipeline stages send their activations to the
// next stage this way). Each rank's out- and in-link carry one transfer, so with link bandwidth B:
//   T = a + size / B
void build_send_recv(CommPlan& plan, const CollectiveRequest& request) {
  const std::uint32_t phase = plan.phase("send-recv");
  const auto& group = request.group;
  for (std::size_t r = 0; r < group.size(); ++r) {
    plan.transfer(group[r], group[(r + 1) % group.size()], request.size, {}, phase);
  }
}

}  // namespace dsim::models::collectives::detail
