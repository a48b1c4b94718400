// SPDX-License-Identifier: Apache-2.0
// Where the routed experts live: the GPUs of one EP group, each hosting a contiguous block of experts, plus optional
// redundant replicas of the hottest experts (DeepSeek-V3 section 3.4, redundant experts for inference).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "sim/core/ids.hpp"

namespace dsim::models::collectives::moe {

// Experts over the GPUs of one EP group: GPU i of the group hosts experts [i*E/n, (i+1)*E/n) (E divisible by n), as
// DeepEP and V3 lay them out, so with groups = nodes each expert group sits on one node. Optional redundant experts:
// the `redundant` experts with the highest expected load (ties: lower index) each get one more replica, placed one
// per GPU on the GPUs hosting the least expected load (greedy, ties by lower index), as V3's EPLB does for inference.
// Details of the greedy: the hottest expert goes first; a GPU's load counts each expert it hosts at load / replicas
// (an expert's traffic splits over its replicas), and is updated after each placement; a replica never goes to the
// GPU already hosting the expert; a GPU takes at most ceil(redundant / n) replicas (one when redundant <= n), a cap
// dropped only when every GPU under it already hosts the expert. An empty expected_load counts every expert alike.
// GPU ids are global and node-major: the node of a GPU is gpu / gpus_per_node.
class ExpertPlacement {
 public:
  // Throws InputError (source "placement", the argument named as the place) for E not divisible by n, an empty
  // group or one naming a GPU twice, gpus_per_node < 1, redundant < 0 or > experts (or > 0 with one GPU),
  // expected_load of the wrong size or with a negative or non-finite entry.
  ExpertPlacement(int experts, std::vector<GpuId> group, int gpus_per_node, int redundant = 0,
                  std::span<const double> expected_load = {});

  // The GPU serving `expert` for the `token`-th token sent by `src`: a replica on src's node if any (the first
  // such), else the replicas taken in turn by token index (round robin).
  GpuId gpu_for(int expert, GpuId src, int token) const;
  // The GPUs hosting `expert`: its primary first, then its redundant replica if it has one.
  std::span<const GpuId> replicas(int expert) const;
  const std::vector<GpuId>& group() const { return group_; }
  int node_of(GpuId gpu) const;  // gpu / gpus_per_node
  int experts() const { return experts_; }

  int gpus_per_node() const { return gpus_per_node_; }
  int redundant() const { return redundant_; }
  // The position of `gpu` in the group, or -1 when it is not in it.
  int index_of(GpuId gpu) const;
  // The experts hosted by the group's `index`-th GPU: its primary block in order, then its redundant replicas.
  std::span<const int> hosted(int index) const;

 private:
  int experts_;
  std::vector<GpuId> group_;
  int gpus_per_node_;
  int redundant_;
  std::vector<std::uint32_t> replica_begin_;  // replicas of e: replica_pool_[replica_begin_[e], replica_begin_[e + 1])
  std::vector<GpuId> replica_pool_;
  std::vector<std::uint32_t> hosted_begin_;  // same layout per group index
  std::vector<int> hosted_pool_;
  std::vector<std::pair<GpuId, int>> by_gpu_;  // (gpu, group index), sorted, for index_of
};

}  // namespace dsim::models::collectives::moe
