// SPDX-License-Identifier: Apache-2.0
// The shared pieces of the collective algorithms: dependency lists, even splits, reduction times.
#include "models/collectives/algorithms/algorithm_parts.hpp"

#include <algorithm>

#include "sim/core/check.hpp"

namespace dsim::models::collectives::detail {

void Deps::add(StepId id) {
  if (std::find(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(count_), id) !=
      ids_.begin() + static_cast<std::ptrdiff_t>(count_)) {
    return;
  }
  DSIM_CHECK(count_ < ids_.size(), "a collective step waits for more than {} steps", ids_.size());
  ids_[count_++] = id;
}

std::vector<Bytes> split_evenly(Bytes size, int parts) {
  DSIM_CHECK(parts >= 1, "cannot split {} bytes into {} parts", size.count(), parts);
  const auto count = static_cast<std::uint64_t>(parts);
  const std::uint64_t base = size.count() / count;
  const std::uint64_t extra = size.count() % count;
  std::vector<Bytes> out;
  out.reserve(static_cast<std::size_t>(parts));
  for (std::uint64_t i = 0; i < count; ++i) out.emplace_back(base + (i < extra ? 1 : 0));
  return out;
}

Time reduction_time(Bytes input, Bandwidth reduce_bandwidth) {
  return reduce_bandwidth.Bps() > 0 ? units::transfer_time(input, reduce_bandwidth) : Time::zero();
}

std::uint32_t reduce_phase(CommPlan& plan, const CollectiveRequest& request) {
  return request.reduce_bandwidth.Bps() > 0 ? plan.phase("reduce") : 0;
}

}  // namespace dsim::models::collectives::detail
