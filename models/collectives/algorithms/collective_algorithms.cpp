// SPDX-License-Identifier: Apache-2.0
// A collective request checked, then handed to its algorithm's builder; nccl-tests' bus-bandwidth factors.
#include "models/collectives/algorithms/collective_algorithms.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "models/collectives/algorithms/algorithm_parts.hpp"
#include "sim/core/errors.hpp"

namespace dsim::models::collectives {
namespace {

InputError bad_request(std::string where, std::string message) {
  return InputError("collective", std::move(where), std::move(message));
}

void check_group(const std::vector<GpuId>& group) {
  if (group.size() < 2) {
    throw bad_request("group", fmt::format("a collective needs at least 2 ranks, the group has {}; list 2 or more "
                                           "GPUs",
                                           group.size()));
  }
  std::vector<std::pair<GpuId, std::size_t>> sorted;  // (GPU, rank)
  sorted.reserve(group.size());
  for (std::size_t rank = 0; rank < group.size(); ++rank) {
    if (!group[rank].valid()) {
      throw bad_request("group", fmt::format("rank {} has no GPU id; give every rank a GPU", rank));
    }
    sorted.emplace_back(group[rank], rank);
  }
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].first == sorted[i - 1].first) {
      throw bad_request("group", fmt::format("GPU {} is listed twice in the group (ranks {} and {}); list each GPU "
                                             "once",
                                             sorted[i].first.value(), sorted[i - 1].second, sorted[i].second));
    }
  }
}

void check_request(const CollectiveRequest& request) {
  check_group(request.group);
  const std::uint64_t n = request.group.size();
  const std::uint64_t size = request.size.count();
  const bool blocks = request.kind == CollectiveKind::all_to_all || request.kind == CollectiveKind::reduce_scatter ||
                      request.kind == CollectiveKind::all_gather;
  if (blocks && size % n != 0) {
    throw bad_request("size", fmt::format("{} size {} B is not a multiple of the {} ranks (each rank's buffer is {} "
                                          "blocks of size/{}); use a multiple of {} B, e.g. {} or {}",
                                          to_string(request.kind), size, n, n, n, n, size / n * n,
                                          (size / n + 1) * n));
  }
  if (request.pipeline_chunks < 1) {
    throw bad_request("pipeline_chunks",
                      fmt::format("pipeline_chunks must be at least 1, got {}", request.pipeline_chunks));
  }
  const double reduce = request.reduce_bandwidth.Bps();
  if (!(reduce >= 0) || !std::isfinite(reduce)) {
    throw bad_request("reduce_bandwidth", fmt::format("reduce_bandwidth must be 0 (free reductions) or a positive "
                                                      "number of bytes/s, got {}",
                                                      reduce));
  }
  if (request.kind == CollectiveKind::all_reduce && request.algorithm == AllReduceAlgorithm::hierarchical &&
      request.gpus_per_node < 1) {
    throw bad_request("gpus_per_node", fmt::format("hierarchical all_reduce needs gpus_per_node of at least 1, got "
                                                   "{}",
                                                   request.gpus_per_node));
  }
}

}  // namespace

CommPlan plan_collective(const CollectiveRequest& request) {
  check_request(request);
  CommPlan plan;
  switch (request.kind) {
    case CollectiveKind::all_to_all:
      detail::build_all_to_all(plan, request);
      break;
    case CollectiveKind::reduce_scatter:
      detail::build_reduce_scatter(plan, request);
      break;
    case CollectiveKind::all_gather:
      detail::build_all_gather(plan, request);
      break;
    case CollectiveKind::send_recv:
      detail::build_send_recv(plan, request);
      break;
    case CollectiveKind::all_reduce:
      switch (request.algorithm) {
        case AllReduceAlgorithm::ring:
          detail::build_ring_all_reduce(plan, request);
          break;
        case AllReduceAlgorithm::tree:
          detail::build_tree_all_reduce(plan, request);
          break;
        case AllReduceAlgorithm::hierarchical:
          detail::build_hierarchical_all_reduce(plan, request);
          break;
      }
      break;
  }
  return plan;
}

double bus_bandwidth_factor(CollectiveKind kind, int ranks) {
  if (ranks < 1) {
    throw bad_request("group", fmt::format("a bus-bandwidth factor needs at least 1 rank, got {}", ranks));
  }
  const double n = ranks;
  switch (kind) {
    case CollectiveKind::all_reduce:
      return 2.0 * (n - 1) / n;
    case CollectiveKind::reduce_scatter:
    case CollectiveKind::all_gather:
    case CollectiveKind::all_to_all:
      return (n - 1) / n;
    case CollectiveKind::send_recv:
      return 1.0;
  }
  return 1.0;
}

}  // namespace dsim::models::collectives
