// SPDX-License-Identifier: Apache-2.0
// Parallel layout: validation of PP x EP x DP against the model and the batch, and the rank arithmetic.
#include "workloads/layout/parallel_layout.hpp"

#include <string>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"

namespace dsim::workloads {
namespace {

[[noreturn]] void layout_error(const char* field, const std::string& message) {
  throw InputError("layout", field, message);
}

void require_positive(const char* field, std::int64_t value) {
  if (value < 1) layout_error(field, fmt::format("must be at least 1, got {}", value));
}

}  // namespace

ParallelLayout::ParallelLayout(const LayoutSpec& spec, const ModelConfig& model) : spec_(spec) {
  require_positive("gpus", spec.gpus);
  require_positive("gpus_per_node", spec.gpus_per_node);
  require_positive("pp", spec.pp);
  require_positive("ep", spec.ep);
  require_positive("global_batch", spec.global_batch);
  require_positive("micro_batch", spec.micro_batch);
  require_positive("seq_len", spec.seq_len);
  if (spec.gpus % spec.gpus_per_node != 0) {
    layout_error("gpus", fmt::format("{} GPUs are not whole nodes of {}; use a multiple of {}", spec.gpus,
                                     spec.gpus_per_node, spec.gpus_per_node));
  }
  if (spec.chunks_per_rank != 1 && spec.chunks_per_rank != 2) {
    layout_error("chunks_per_rank", fmt::format("must be 1 (1F1B, ZB1P) or 2 (DualPipe, DualPipeV), got {}",
                                                spec.chunks_per_rank));
  }
  if (spec.gpus % spec.pp != 0) {
    layout_error("pp", fmt::format("{} GPUs do not split into {} pipeline ranks; pp must divide gpus", spec.gpus,
                                   spec.pp));
  }
  dp_ = spec.gpus / spec.pp;
  if (!model.is_moe() && spec.ep != 1) {
    layout_error("ep", fmt::format("{} is a dense model without experts; set ep to 1", model.name));
  }
  // An EP group is ep data-parallel replicas of one stage: it must tile the stage's dp GPUs.
  if (dp_ % spec.ep != 0) {
    layout_error("ep", fmt::format("ep {} does not divide the {} data-parallel GPUs of a pipeline rank "
                                   "(gpus / pp); choose ep among the divisors of {}",
                                   spec.ep, dp_, dp_));
  }
  if (model.is_moe() && model.routed_experts % spec.ep != 0) {
    layout_error("ep", fmt::format("{} routed experts of {} do not split evenly over ep {}; choose ep among the "
                                   "divisors of {}",
                                   model.routed_experts, model.name, spec.ep, model.routed_experts));
  }
  local_experts_ = model.is_moe() ? model.routed_experts / spec.ep : 0;
  const std::int64_t per_step = static_cast<std::int64_t>(dp_) * spec.micro_batch;
  if (spec.global_batch % per_step != 0) {
    layout_error("global_batch", fmt::format("{} sequences do not split into whole micro-batches: dp {} x "
                                             "micro_batch {} = {} must divide global_batch",
                                             spec.global_batch, dp_, spec.micro_batch, per_step));
  }
  microbatches_ = spec.global_batch / per_step;
}

int ParallelLayout::stage_rank(int rank) const {
  DSIM_CHECK(rank >= 0 && rank < spec_.gpus, "rank {} outside 0..{}", rank, spec_.gpus - 1);
  return rank / dp_;
}

int ParallelLayout::dp_index(int rank) const {
  DSIM_CHECK(rank >= 0 && rank < spec_.gpus, "rank {} outside 0..{}", rank, spec_.gpus - 1);
  return rank % dp_;
}

int ParallelLayout::ep_index(int rank) const { return dp_index(rank) % spec_.ep; }

int ParallelLayout::node_of(int rank) const {
  DSIM_CHECK(rank >= 0 && rank < spec_.gpus, "rank {} outside 0..{}", rank, spec_.gpus - 1);
  return rank / spec_.gpus_per_node;
}

int ParallelLayout::rank_of(int stage_rank, int dp_index) const {
  DSIM_CHECK(stage_rank >= 0 && stage_rank < spec_.pp, "stage rank {} outside 0..{}", stage_rank, spec_.pp - 1);
  DSIM_CHECK(dp_index >= 0 && dp_index < dp_, "dp index {} outside 0..{}", dp_index, dp_ - 1);
  return stage_rank * dp_ + dp_index;
}

int ParallelLayout::pipeline_peer(int rank, int stage_rank) const { return rank_of(stage_rank, dp_index(rank)); }

std::vector<int> ParallelLayout::ep_group(int rank) const {
  const int first = rank - ep_index(rank);
  std::vector<int> group(static_cast<std::size_t>(spec_.ep));
  for (int i = 0; i < spec_.ep; ++i) group[static_cast<std::size_t>(i)] = first + i;
  return group;
}

std::vector<int> ParallelLayout::dp_group(int rank) const {
  const int first = rank_of(stage_rank(rank), 0);
  std::vector<int> group(static_cast<std::size_t>(dp_));
  for (int i = 0; i < dp_; ++i) group[static_cast<std::size_t>(i)] = first + i;
  return group;
}

std::vector<int> ParallelLayout::expert_dp_group(int rank) const {
  const int first = rank_of(stage_rank(rank), ep_index(rank));
  std::vector<int> group(static_cast<std::size_t>(expert_dp()));
  for (int i = 0; i < expert_dp(); ++i) group[static_cast<std::size_t>(i)] = first + i * spec_.ep;
  return group;
}

int ParallelLayout::first_local_expert(int rank) const { return ep_index(rank) * local_experts_; }

}  // namespace dsim::workloads
