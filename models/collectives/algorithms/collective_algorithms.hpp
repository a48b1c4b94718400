// SPDX-License-Identifier: Apache-2.0
// The collective algorithms (all-to-all, ring / double-binary-tree / hierarchical all-reduce, reduce-scatter,
// all-gather, send/recv) as builders of communication plans. Sizes follow nccl-tests, so simulated algorithm and
// bus bandwidths compare with measured ones. Each algorithm's ideal time is stated beside its code.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "models/collectives/comm_plan.hpp"
#include "sim/core/enum_names.hpp"
#include "sim/core/ids.hpp"
#include "sim/core/units.hpp"

namespace dsim::models::collectives {

enum class CollectiveKind : std::uint8_t { all_to_all, all_reduce, reduce_scatter, all_gather, send_recv };
inline constexpr std::array<std::string_view, 5> collective_kind_names = {"all_to_all", "all_reduce",
                                                                          "reduce_scatter", "all_gather",
                                                                          "send_recv"};
constexpr std::string_view to_string(CollectiveKind k) { return collective_kind_names[static_cast<std::size_t>(k)]; }
constexpr std::optional<CollectiveKind> parse_collective_kind(std::string_view name) {
  return parse_enum<CollectiveKind>(collective_kind_names, name);
}

enum class AllReduceAlgorithm : std::uint8_t { ring, tree, hierarchical };
inline constexpr std::array<std::string_view, 3> all_reduce_algorithm_names = {"ring", "tree", "hierarchical"};
constexpr std::string_view to_string(AllReduceAlgorithm a) {
  return all_reduce_algorithm_names[static_cast<std::size_t>(a)];
}
constexpr std::optional<AllReduceAlgorithm> parse_all_reduce_algorithm(std::string_view name) {
  return parse_enum<AllReduceAlgorithm>(all_reduce_algorithm_names, name);
}

struct CollectiveRequest {
  CollectiveKind kind = CollectiveKind::all_reduce;
  std::vector<GpuId> group;  // the ranks, in ring order; at least 2, distinct
  // nccl-tests' size. all_reduce: each rank's buffer; all_gather: the output per rank; reduce_scatter: the input
  // per rank; all_to_all: each rank's send buffer (size/n to each rank, itself included; nothing moves for
  // itself); send_recv: the bytes each rank sends to the next rank of the group (a ring shift, as nccl-tests'
  // sendrecv). all_gather, reduce_scatter and all_to_all need a multiple of n; all_reduce splits any size as
  // evenly as it can (chunks differ by at most one byte).
  Bytes size;
  AllReduceAlgorithm algorithm = AllReduceAlgorithm::ring;
  // For hierarchical: the ranks of one node are the GPUs with the same gpu / gpus_per_node.
  int gpus_per_node = 8;
  // Speed of a local reduction, in bytes of received input per second (0: free). Folding k received chunks of c
  // bytes into a rank's own is one local step of k * c / reduce_bandwidth.
  Bandwidth reduce_bandwidth;
  // tree and hierarchical pipeline the buffer in this many chunks (at least 1).
  int pipeline_chunks = 1;
};

// Builds the plan. Throws InputError (source "collective", where the request field at fault: "group", "size",
// "gpus_per_node", "pipeline_chunks", "reduce_bandwidth") for a request that cannot be planned.
CommPlan plan_collective(const CollectiveRequest& request);

// nccl-tests' bus-bandwidth factor, busbw = algbw x factor: all_reduce 2(n-1)/n; reduce_scatter, all_gather and
// all_to_all (n-1)/n; send_recv 1. Throws InputError (where "group") for fewer than 1 rank.
double bus_bandwidth_factor(CollectiveKind kind, int ranks);

}  // namespace dsim::models::collectives
