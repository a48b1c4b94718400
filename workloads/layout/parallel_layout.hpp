// SPDX-License-Identifier: Apache-2.0
// The parallel layout of a training job: pipeline (PP) x data (DP, ZeRO-1) parallelism, with expert parallelism
// (EP) inside each stage's data-parallel group and no tensor parallelism, as DeepSeek-V3 trains ([R] 3.2: PP16,
// EP64 over 8 nodes, ZeRO-1 DP, 2,048 GPUs). It numbers the GPUs and answers which ranks form each group.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/model/model_config.hpp"

namespace dsim::workloads {

struct LayoutSpec {
  int gpus = 0;
  int gpus_per_node = 8;
  int pp = 1;                   // pipeline ranks
  int ep = 1;                   // GPUs sharing one copy of each MoE layer's routed experts
  int chunks_per_rank = 1;      // model stages per pipeline rank: 2 for DualPipe (parameters x2) and DualPipeV
  std::int64_t global_batch = 0;  // sequences per optimizer step, over all pipelines
  std::int64_t micro_batch = 1;   // sequences per micro-batch of one pipeline
  std::int64_t seq_len = 0;       // tokens per sequence
  bool zero1 = true;              // optimizer state sharded over the data-parallel group (ZeRO stage 1)
};

// Rank numbering (rank = GPU id): rank = stage_rank x dp + dp_index. One pipeline rank thus occupies dp
// consecutive GPUs (whole nodes when dp is a multiple of gpus_per_node), an EP group is ep consecutive GPUs of one
// pipeline rank, and a rank's peer on the next pipeline rank has the same local GPU index, i.e. the same NIC plane.
// V3: PP16 x DP128 on 2,048 GPUs; EP64 = 8 nodes, two EP groups per pipeline rank, each expert held by 2 GPUs.
class ParallelLayout {
 public:
  // Validates the spec against the model; throws InputError (source "layout", where = the LayoutSpec field at
  // fault, e.g. "ep") with a message giving the fix.
  ParallelLayout(const LayoutSpec& spec, const ModelConfig& model);

  const LayoutSpec& spec() const { return spec_; }
  int gpus() const { return spec_.gpus; }
  int pp() const { return spec_.pp; }
  int dp() const { return dp_; }
  int ep() const { return spec_.ep; }
  int expert_dp() const { return dp_ / spec_.ep; }  // GPUs holding the same experts of one stage
  int chunks_per_rank() const { return spec_.chunks_per_rank; }

  int stage_rank(int rank) const;
  int dp_index(int rank) const;
  int ep_index(int rank) const;  // position inside its EP group
  int node_of(int rank) const;
  int rank_of(int stage_rank, int dp_index) const;
  // The rank on pipeline rank `stage_rank` that carries the same data-parallel replica as `rank`.
  int pipeline_peer(int rank, int stage_rank) const;

  std::vector<int> ep_group(int rank) const;         // the ep consecutive ranks exchanging tokens with `rank`
  std::vector<int> dp_group(int rank) const;         // same pipeline rank, every dp index (dense gradients)
  std::vector<int> expert_dp_group(int rank) const;  // same pipeline rank and ep index, one per EP group

  int local_experts() const { return local_experts_; }  // routed experts per GPU and MoE layer (0: dense model)
  // Routed experts rank holds are [first_local_expert, first_local_expert + local_experts()), in every MoE layer.
  int first_local_expert(int rank) const;

  std::int64_t microbatches() const { return microbatches_; }  // per pipeline and step
  std::int64_t tokens_per_microbatch() const { return spec_.micro_batch * spec_.seq_len; }

 private:
  LayoutSpec spec_;
  int dp_ = 1;
  int local_experts_ = 0;
  std::int64_t microbatches_ = 0;
};

}  // namespace dsim::workloads
