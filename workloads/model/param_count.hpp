// SPDX-License-Identifier: Apache-2.0
// Parameter counts of a model config: per layer and part, embedding, output head, MTP modules, and the totals and
// per-token activated counts that model cards quote. Counted from the config's shapes, weight matrices and norm
// scales only (no biases: none of the built-in models has any but Qwen2.5's 0.8M QKV biases).
#pragma once

#include <cstdint>

#include "workloads/model/model_config.hpp"

namespace dsim::workloads {

// One transformer layer's parameters by part. Only one of dense_ffn and the MoE parts is non-zero.
struct LayerParameters {
  std::uint64_t attention = 0;       // projection matrices: MLA q/kv down and up, o; or GQA q, k, v, o
  std::uint64_t norms = 0;           // RMSNorm scales: before attention and FFN, MLA's q and kv latent norms
  std::uint64_t dense_ffn = 0;       // SwiGLU: up, gate, down
  std::uint64_t shared_experts = 0;  // all shared experts of the layer
  std::uint64_t routed_expert = 0;   // one routed expert
  std::uint64_t routed_experts = 0;  // all routed experts (what expert parallelism shards)
  std::uint64_t router = 0;          // gate: experts x hidden (V3's routing bias, 256 per layer, not counted)

  std::uint64_t total() const {
    return attention + norms + dense_ffn + shared_experts + routed_experts + router;
  }
  // What one token uses: everything but the routed experts it is not sent to.
  std::uint64_t activated(int experts_per_token) const {
    return total() - routed_experts + routed_expert * static_cast<std::uint64_t>(experts_per_token);
  }
};

// Layer `layer` in [0, config.layers): dense for layer < dense_layers, MoE after.
LayerParameters layer_parameter_breakdown(const ModelConfig& config, int layer);
// The same for a layer of the given kind (an MTP module's block is a MoE layer in a MoE model).
LayerParameters block_parameter_breakdown(const ModelConfig& config, bool moe);

std::uint64_t layer_parameters(const ModelConfig& config, int layer);         // everything in the layer
std::uint64_t layer_expert_parameters(const ModelConfig& config, int layer);  // routed experts only (EP-sharded)

std::uint64_t embedding_parameters(const ModelConfig& config);  // vocab x hidden (none of the models ties it)
std::uint64_t head_parameters(const ModelConfig& config);       // final norm + vocab x hidden output projection
// All MTP modules ([R] 2.2): per module two RMSNorms (of the hidden state and of the next token's embedding), the
// 2h -> h projection, one transformer block and the norm before the shared head. The embedding and output head
// are shared with the main model and not counted again.
std::uint64_t mtp_parameters(const ModelConfig& config);

struct ParamTotals {
  std::uint64_t total = 0;
  std::uint64_t activated = 0;  // per token: embedding and head included, routed experts only the top-k
};
ParamTotals count_parameters(const ModelConfig& config, bool with_mtp);

}  // namespace dsim::workloads
