// SPDX-License-Identifier: Apache-2.0
// Who sends how many tokens to whom in one MoE dispatch, worked out from the router and the expert placement and
// aggregated per pair of GPUs (a dispatch of 4,096 tokens per rank is a few hundred transfers, not millions), in
// both of DeepEP's layouts:
// - normal (training, prefill): a token crosses InfiniBand at most once per target node, to the GPU of that node
//   with the sender's local index (the relay; on a multi-plane fabric, the same plane), and the relay forwards it
//   over NVLink to each other GPU of the node that holds one of its experts. Tokens for the sender's own node go
//   from the sender over NVLink directly: the sender is its own relay.
// - low latency (decode): one message per (token, selected expert), straight from the sender to the expert's GPU.
// Combine moves the same tokens back (normal: expert GPU -> relay over NVLink, relay -> sender over InfiniBand,
// reduced on the way; low latency: expert GPU -> sender).
#pragma once

#include <cstdint>
#include <vector>

#include "models/collectives/moe/expert_placement.hpp"
#include "models/collectives/moe/router.hpp"
#include "sim/core/ids.hpp"

namespace dsim::models::collectives::moe {

struct PairCount {
  GpuId from;
  GpuId to;
  std::uint64_t tokens = 0;
};

struct MoeTraffic {
  std::vector<GpuId> group;
  int gpus_per_node = 8;
  int tokens_per_rank = 0;
  int top_k = 0;
  // normal mode, sorted by (from, to)
  std::vector<PairCount> rdma;    // sender -> relay on another node, one per (token, target node)
  std::vector<PairCount> nvlink;  // relay -> expert GPU on the relay's node, one per (token, target GPU)
  // low-latency mode, sorted by (from, to); `from == to` counts copies that stay on the sender
  std::vector<PairCount> direct;  // one per (token, selected expert)
  // DeepEP's tests' logical counts, per rank of the group (its index in `group`):
  std::vector<std::uint64_t> node_tokens;      // sum over tokens of distinct target nodes, own node included
  std::vector<std::uint64_t> received_tokens;  // tokens received, one per (token, target GPU), own included
  std::vector<std::uint64_t> nodes_per_token_max;  // most distinct nodes any one token of the rank went to
  int nodes = 0;                                    // nodes the group spans

  bool single_node() const { return nodes == 1; }
};

// Routes `tokens_per_rank` tokens on every rank of the placement's group and aggregates the transfers. Rank i of
// the group sends the router's tokens for rank i. Every GPU of the group must sit on a node whose GPUs are
// consecutive ids (node = gpu / gpus_per_node).
MoeTraffic aggregate_traffic(const Router& router, const ExpertPlacement& placement, int tokens_per_rank);

}  // namespace dsim::models::collectives::moe
