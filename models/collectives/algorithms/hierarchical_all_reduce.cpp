// SPDX-License-Identifier: Apache-2.0
// Hierarchical (2D) all-reduce: a ring reduce-scatter inside each node over NVLink, a ring all-reduce across nodes
// among the GPUs of one local index (one rail each, all rails at once), then a ring all-gather inside each node.
// The inter-node rings carry only size/gpus_per_node each, which is what makes it pay on slow scale-out links.
#include <map>

#include <fmt/format.h>

#include "models/collectives/algorithms/algorithm_parts.hpp"
#include "sim/core/errors.hpp"

namespace dsim::models::collectives::detail {

std::vector<std::vector<GpuId>> group_by_node(const std::vector<GpuId>& group, int gpus_per_node) {
  const auto m = static_cast<std::uint32_t>(gpus_per_node);
  std::vector<std::vector<GpuId>> nodes;
  std::map<std::uint32_t, std::size_t> index;  // node -> its place in `nodes`
  for (const GpuId gpu : group) {
    const auto [it, fresh] = index.emplace(gpu.value() / m, nodes.size());
    if (fresh) nodes.emplace_back();
    nodes[it->second].push_back(gpu);
  }
  for (const auto& node : nodes) {
    if (node.size() != m) {
      const std::uint32_t id = node.front().value() / m;
      throw InputError("collective", "group",
                       fmt::format("hierarchical all_reduce needs whole nodes of {} GPUs, but node {} (GPUs {}-{}) "
                                   "has {} in the group; add its other GPUs, or use the ring or tree algorithm",
                                   m, id, id * m, id * m + m - 1, node.size()));
    }
  }
  return nodes;
}

// With m = gpus_per_node GPUs on each of N nodes (n = N m), NVLink bandwidth B_nv and latency a_nv, NIC bandwidth
// B_ib and latency a_ib, and C = 1:
//   T = (m-1) (a_nv + size/(m B_nv)) + (m-1) r(size/m)             intra-node reduce-scatter
//     + 2(N-1) (a_ib + size/(m N B_ib)) + (N-1) r(size/(m N))      inter-node all-reduce, m rails at once
//     + (m-1) (a_nv + size/(m B_nv))                               intra-node all-gather
// In all, each rank moves 2(n-1)/n x size, as in the flat ring, but only 2(N-1)/(mN) x size crosses its NIC.
// With C > 1 the buffer goes through the three stages in C pieces, a rank taking piece k+1 into a stage once it
// is done with piece k there, so the stages overlap across pieces: T ~= T_1(size/C) + (C-1) x the slowest stage
// of a piece (the intra-node stages share NVLink when they overlap).
void build_hierarchical_all_reduce(CommPlan& plan, const CollectiveRequest& request) {
  const std::vector<std::vector<GpuId>> nodes = group_by_node(request.group, request.gpus_per_node);
  const std::size_t node_count = nodes.size();
  const auto m = static_cast<std::size_t>(request.gpus_per_node);
  // Phases in the order they run, so reports list them so; only those that will hold steps.
  RingPhases intra_rs;
  RingPhases inter;
  std::uint32_t intra_ag = 0;
  if (m > 1) intra_rs.transfer = plan.phase("intra-node reduce-scatter");
  const std::uint32_t reduce = reduce_phase(plan, request);
  intra_rs.reduce = reduce;
  if (node_count > 1) inter = {plan.phase("inter-node all-reduce"), reduce};
  if (m > 1) intra_ag = plan.phase("intra-node all-gather");

  const auto local = [m](GpuId gpu) { return gpu.value() % m; };
  // Rail j: the GPU of local index j on each node, nodes in order of first appearance.
  std::vector<std::vector<GpuId>> rails(m);
  for (const auto& node : nodes) {
    const std::uint32_t base = node.front().value() - static_cast<std::uint32_t>(local(node.front()));
    for (std::size_t j = 0; j < m; ++j) rails[j].emplace_back(base + static_cast<std::uint32_t>(j));
  }

  // By node and local index: the rank's position in its node's ring.
  std::vector<std::vector<std::size_t>> position(node_count, std::vector<std::size_t>(m));
  for (std::size_t i = 0; i < node_count; ++i) {
    for (std::size_t e = 0; e < m; ++e) position[i][local(nodes[i][e])] = e;
  }
  // Per node (by ring position) and per rail (by node): where each rank's last piece left each stage.
  std::vector<std::vector<Deps>> rs_done(node_count), ag_done(node_count), inter_done(m);
  std::vector<Deps> rail_start(node_count);
  std::vector<Deps> node_start(m);
  std::vector<Bytes> ring_chunks(m);
  const std::vector<Bytes> pieces = split_evenly(request.size, request.pipeline_chunks);
  for (const Bytes piece : pieces) {
    const std::vector<Bytes> chunk = split_evenly(piece, static_cast<int>(m));  // by local index
    // Each node's ring: position e ends the reduce-scatter with the chunk of its local index.
    for (std::size_t i = 0; i < node_count; ++i) {
      for (std::size_t e = 0; e < m; ++e) ring_chunks[e] = chunk[local(nodes[i][e])];
      rs_done[i] = ring_reduce_scatter(plan, nodes[i], ring_chunks, StageStart{{}, rs_done[i]}, intra_rs,
                                       request.reduce_bandwidth);
    }
    for (std::size_t j = 0; j < m; ++j) {
      for (std::size_t i = 0; i < node_count; ++i) rail_start[i] = rs_done[i][position[i][j]];
      inter_done[j] = ring_all_reduce(plan, rails[j], chunk[j], StageStart{rail_start, inter_done[j]}, inter,
                                      inter.transfer, request.reduce_bandwidth);
    }
    for (std::size_t i = 0; i < node_count; ++i) {
      for (std::size_t e = 0; e < m; ++e) {
        const std::size_t j = local(nodes[i][e]);
        ring_chunks[e] = chunk[j];
        node_start[e] = inter_done[j][i];
      }
      ag_done[i] = ring_all_gather(plan, nodes[i], ring_chunks, StageStart{node_start, ag_done[i]}, intra_ag);
    }
  }
}

}  // namespace dsim::models::collectives::detail
