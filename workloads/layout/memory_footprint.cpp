// SPDX-License-Identifier: Apache-2.0
// Memory per GPU: the parameters a GPU's stages hold (experts split over EP), the bytes each copy of them costs
// under the training recipe, and the activations the schedule keeps in flight.
#include "workloads/layout/memory_footprint.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "workloads/model/param_count.hpp"

namespace dsim::workloads {
namespace {

// Shared experts' SwiGLU inputs, routed copies' inputs and SwiGLU inputs, and per chosen expert its FP32 weight and
// int32 id.
double moe_ffn_activation(const ModelConfig& m, const TrainingPrecision& p) {
  const double h = m.hidden;
  const double ie = m.expert_intermediate;
  const double k = m.experts_per_token;
  return m.shared_experts * 2.0 * ie * p.fp8_bytes + k * (h + 2.0 * ie) * p.fp8_bytes + k * 8.0;
}

// Parameters one GPU holds: those every data-parallel replica holds in full, and its share of routed experts.
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

double gb(std::uint64_t bytes) { return static_cast<double>(bytes) / 1e9; }

// "80" for a whole number of GB, "93.1" otherwise.
std::string gb_text(std::uint64_t bytes) {
  const double v = gb(bytes);
  return v == std::floor(v) ? fmt::format("{:.0f}", v) : fmt::format("{:.1f}", v);
}

// One transformer block, dense FFN or MoE (the formula is in the header).
double block_activation_bytes_per_token(const ModelConfig& m, bool moe, const TrainingPrecision& p) {
  const double h = m.hidden;
  double bytes = 2.0 * h * p.bf16_bytes;  // layer input and residual after attention
  if (m.attention == AttentionKind::mla) {
    bytes += static_cast<double>(m.q_lora_rank + m.kv_lora_rank + m.qk_rope_head_dim) * p.bf16_bytes;
    bytes += static_cast<double>(m.heads) * m.v_head_dim * p.attention_output_bytes;
  } else {
    bytes += static_cast<double>(m.heads + 2 * m.kv_heads) * m.head_dim * p.bf16_bytes;
    bytes += static_cast<double>(m.heads) * m.head_dim * p.attention_output_bytes;
  }
  bytes += m.heads * 4.0;  // log-sum-exp, FP32
  if (moe) return bytes + moe_ffn_activation(m, p);
  return bytes + 2.0 * m.dense_intermediate * p.fp8_bytes;
}

}  // namespace

HeldParameters held_parameters(const ModelConfig& m, const ParallelLayout& layout,
                               std::span<const StageContent> held) {
  const auto ep = static_cast<std::uint64_t>(layout.ep());
  HeldParameters out;
  const auto add_layer = [&](int layer, std::uint64_t all, std::uint64_t experts) {
    DSIM_CHECK(experts <= all && experts % ep == 0, "layer {}: {} expert parameters of {} do not split over ep {}",
               layer, experts, all, ep);
    out.dense += all - experts;
    out.expert += experts / ep;
  };
  for (const StageContent& stage : held) {
    if (stage.embedding) out.dense += embedding_parameters(m);
    for (int l = stage.first_layer; l < stage.first_layer + stage.layer_count; ++l) {
      add_layer(l, layer_parameters(m, l), layer_expert_parameters(m, l));
    }
    if (stage.mtp) {  // numbered after the main layers, as the public checkpoint numbers it
      const auto modules = static_cast<std::uint64_t>(m.mtp_modules);
      add_layer(m.layers, mtp_parameters(m), modules * block_parameter_breakdown(m, m.is_moe()).routed_experts);
    }
    if (stage.head) out.dense += head_parameters(m);
  }
  return out;
}

double layer_activation_bytes_per_token(const ModelConfig& m, int layer, const TrainingPrecision& p) {
  DSIM_CHECK(layer >= 0 && layer < m.layers, "layer {} outside 0..{}", layer, m.layers - 1);
  return block_activation_bytes_per_token(m, m.is_moe() && layer >= m.dense_layers, p);
}

double stage_activation_bytes_per_token(const ModelConfig& m, const StageContent& stage,
                                        const TrainingPrecision& p) {
  double bytes = 0.0;
  for (int l = stage.first_layer; l < stage.first_layer + stage.layer_count; ++l) {
    bytes += layer_activation_bytes_per_token(m, l, p);
  }
  if (stage.mtp) {
    bytes += m.mtp_modules * (block_activation_bytes_per_token(m, m.is_moe(), p) + 2.0 * m.hidden * p.fp8_bytes);
  }
  if (stage.head) bytes += (1.0 + m.mtp_modules) * m.hidden * p.bf16_bytes;
  return bytes;
}

MemoryFootprint memory_per_gpu(const ModelConfig& m, const ParallelLayout& layout,
                               std::span<const StageContent> held, int in_flight_microbatches,
                               const TrainingPrecision& p) {
  DSIM_CHECK(!held.empty(), "a GPU must hold at least one stage");
  DSIM_CHECK(in_flight_microbatches >= 1, "in-flight micro-batches must be at least 1, got {}",
             in_flight_microbatches);
  const HeldParameters params = held_parameters(m, layout, held);
  const std::uint64_t count = params.dense + params.expert;

  MemoryFootprint f;
  f.parameters = count * p.weight_bytes;
  f.gradients = count * p.gradient_bytes;
  // ZeRO-1: each member of a group keeps 1/group of the optimizer state of the parameters the group shares.
  const std::uint64_t per_param = p.master_weight_bytes + 2 * p.moment_bytes;
  const bool zero1 = layout.spec().zero1;
  const auto dense_shards = static_cast<std::uint64_t>(zero1 ? layout.dp() : 1);
  const auto expert_shards = static_cast<std::uint64_t>(zero1 ? layout.expert_dp() : 1);
  f.optimizer = ceil_div(params.dense * per_param, dense_shards) + ceil_div(params.expert * per_param, expert_shards);

  const auto tokens = static_cast<double>(layout.tokens_per_microbatch());
  double per_token = 0.0;
  bool head = false;
  for (const StageContent& stage : held) {
    per_token = std::max(per_token, stage_activation_bytes_per_token(m, stage, p));
    head = head || stage.head;
  }
  const double cached = in_flight_microbatches * tokens * per_token;
  const double logits = head ? tokens * (1.0 + m.mtp_modules) * m.vocab * p.logit_bytes : 0.0;
  f.activations = static_cast<std::uint64_t>(std::ceil(cached + logits));
  f.total = f.parameters + f.gradients + f.optimizer + f.activations;

  std::vector<std::string> stages;
  for (const StageContent& stage : held) stages.push_back(describe(stage));
  f.detail = fmt::format(
      "stages {}: {:.3f}B parameters ({:.3f}B replicated over dp {}, {:.3f}B of routed experts over expert-dp {}); "
      "weights {:.1f} GB at {} B, gradients {:.1f} GB at {} B, optimizer {:.1f} GB ({} B per parameter{}); "
      "activations {:.1f} GB = {} micro-batches in flight x {} tokens x {:.0f} B{}",
      fmt::join(stages, " | "), static_cast<double>(count) / 1e9, static_cast<double>(params.dense) / 1e9,
      layout.dp(), static_cast<double>(params.expert) / 1e9, layout.expert_dp(), gb(f.parameters), p.weight_bytes,
      gb(f.gradients), p.gradient_bytes, gb(f.optimizer), per_param, zero1 ? ", ZeRO-1 sharded" : ", not sharded",
      gb(f.activations), in_flight_microbatches, layout.tokens_per_microbatch(), per_token,
      head ? fmt::format(" + logits of one micro-batch {:.1f} GB", logits / 1e9) : std::string());
  return f;
}

std::optional<std::string> memory_shortfall(const MemoryFootprint& need, const ParallelLayout& layout,
                                            std::uint64_t capacity_bytes) {
  if (need.total <= capacity_bytes) return std::nullopt;
  const bool experts = layout.local_experts() > 0;
  // Each part with the change that shrinks it; the fixes are offered largest part first.
  std::array<std::pair<std::uint64_t, std::string>, 3> parts = {{
      {need.parameters + need.gradients,
       experts ? "raise pp (fewer layers per GPU) or ep (fewer experts per GPU)" : "raise pp (fewer layers per GPU)"},
      {need.optimizer, layout.spec().zero1 ? "add data-parallel GPUs (ZeRO-1 shards the optimizer state over dp)"
                                           : "turn on zero1 (shards the optimizer state over dp)"},
      {need.activations, "lower micro_batch or seq_len (fewer cached activations)"},
  }};
  std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> fixes;
  for (const auto& part : parts) {
    if (part.first > 0) fixes.push_back(part.second);
  }
  return fmt::format("needs {} GB per GPU (parameters {}, gradients {}, optimizer {}, activations {}), the GPU has "
                     "{} GB; {}",
                     gb_text(need.total), gb_text(need.parameters), gb_text(need.gradients), gb_text(need.optimizer),
                     gb_text(need.activations), gb_text(capacity_bytes), fmt::join(fixes, ", or "));
}

}  // namespace dsim::workloads
