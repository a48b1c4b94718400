// SPDX-License-Identifier: Apache-2.0
#include "models/collectives/moe/moe_traffic.hpp"

#include <algorithm>
#include <map>

#include "sim/core/check.hpp"

namespace dsim::models::collectives::moe {
namespace {

// Dense counters over (from rank index, to index), turned into sorted PairCounts at the end.
class PairCounter {
 public:
  PairCounter(std::size_t from, std::size_t to) : to_(to), counts_(from * to, 0) {}
  void add(std::size_t from, std::size_t to) { ++counts_[from * to_ + to]; }
  template <class ToGpu>
  std::vector<PairCount> pairs(const std::vector<GpuId>& from_gpus, ToGpu to_gpu) const {
    std::vector<PairCount> out;
    for (std::size_t f = 0; f < from_gpus.size(); ++f) {
      for (std::size_t t = 0; t < to_; ++t) {
        const std::uint64_t n = counts_[f * to_ + t];
        if (n > 0) out.push_back({from_gpus[f], to_gpu(f, t), n});
      }
    }
    return out;
  }

 private:
  std::size_t to_;
  std::vector<std::uint32_t> counts_;
};

}  // namespace

MoeTraffic aggregate_traffic(const Router& router, const ExpertPlacement& placement, int tokens_per_rank) {
  const std::vector<GpuId>& group = placement.group();
  const int per_node = placement.gpus_per_node();
  const std::size_t ranks = group.size();
  const int top_k = router.spec().top_k;
  DSIM_CHECK(tokens_per_rank >= 0, "negative token count {}", tokens_per_rank);

  // The group's nodes, numbered in order of node id, and each GPU's rank index.
  std::map<std::uint32_t, std::size_t> node_index;
  for (const GpuId g : group) node_index.emplace(g.value() / static_cast<std::uint32_t>(per_node), 0);
  std::vector<std::uint32_t> node_ids;
  for (auto& [node, index] : node_index) {
    index = node_ids.size();
    node_ids.push_back(node);
  }
  std::uint32_t max_gpu = 0;
  for (const GpuId g : group) max_gpu = std::max(max_gpu, g.value());
  std::vector<std::uint32_t> rank_of(max_gpu + 1, UINT32_MAX);
  for (std::size_t r = 0; r < ranks; ++r) rank_of[group[r].value()] = static_cast<std::uint32_t>(r);
  const auto upn = static_cast<std::uint32_t>(per_node);
  auto local = [&](GpuId g) { return g.value() % upn; };
  auto node_slot = [&](GpuId g) { return node_index.at(g.value() / upn); };

  MoeTraffic traffic;
  traffic.group = group;
  traffic.gpus_per_node = per_node;
  traffic.tokens_per_rank = tokens_per_rank;
  traffic.top_k = top_k;
  traffic.nodes = static_cast<int>(node_ids.size());
  traffic.node_tokens.assign(ranks, 0);
  traffic.received_tokens.assign(ranks, 0);
  traffic.nodes_per_token_max.assign(ranks, 0);

  // rdma: (sender rank, target node slot); nvlink: (relay rank, target GPU rank); direct: (sender, target rank).
  PairCounter rdma(ranks, node_ids.size());
  PairCounter nvlink(ranks, ranks);
  PairCounter direct(ranks, ranks);
  std::vector<std::uint32_t> targets;  // rank indices of one token's GPUs, deduplicated
  std::vector<std::size_t> nodes;

  for (std::size_t r = 0; r < ranks; ++r) {
    const GpuId src = group[r];
    const std::vector<std::uint16_t> experts = router.route(static_cast<int>(r), tokens_per_rank);
    DSIM_CHECK(experts.size() == static_cast<std::size_t>(tokens_per_rank) * static_cast<std::size_t>(top_k),
               "router gave {} experts for {} tokens of top-{}", experts.size(), tokens_per_rank, top_k);
    for (int t = 0; t < tokens_per_rank; ++t) {
      targets.clear();
      for (int j = 0; j < top_k; ++j) {
        const GpuId dst = placement.gpu_for(experts[static_cast<std::size_t>(t * top_k + j)], src, t);
        const std::uint32_t d = rank_of[dst.value()];
        direct.add(r, d);
        targets.push_back(d);
      }
      std::sort(targets.begin(), targets.end());
      targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
      nodes.clear();
      for (const std::uint32_t d : targets) {
        const GpuId dst = group[d];
        ++traffic.received_tokens[d];
        const std::size_t slot = node_slot(dst);
        if (std::find(nodes.begin(), nodes.end(), slot) == nodes.end()) nodes.push_back(slot);
        // The relay: the target node's GPU with the sender's local index (the sender itself on its own node).
        const GpuId relay(node_ids[slot] * upn + local(src));
        const std::uint32_t relay_rank = relay.value() < rank_of.size() ? rank_of[relay.value()] : UINT32_MAX;
        DSIM_CHECK(relay_rank != UINT32_MAX, "GPU {} relays for node {} but is not in the EP group", relay.value(),
                   node_ids[slot]);
        if (dst != relay) nvlink.add(relay_rank, d);
      }
      const std::size_t own = node_slot(src);
      for (const std::size_t slot : nodes) {
        if (slot != own) rdma.add(r, slot);
      }
      traffic.node_tokens[r] += nodes.size();
      traffic.nodes_per_token_max[r] = std::max<std::uint64_t>(traffic.nodes_per_token_max[r], nodes.size());
    }
  }
  traffic.rdma = rdma.pairs(group, [&](std::size_t f, std::size_t slot) {
    return GpuId(node_ids[slot] * upn + local(group[f]));
  });
  traffic.nvlink = nvlink.pairs(group, [&](std::size_t, std::size_t t) { return group[t]; });
  traffic.direct = direct.pairs(group, [&](std::size_t, std::size_t t) { return group[t]; });
  return traffic;
}

}  // namespace dsim::models::collectives::moe
