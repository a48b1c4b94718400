// SPDX-License-Identifier: Apache-2.0
// Parameter counts from the shapes of the public configs: MLA as in DeepSeek-V2/V3's modeling code ([R] 2.1.1),
// GQA as in Qwen2.5 / LLaMA-3.1, SwiGLU FFNs (three matrices), DeepSeekMoE layers ([R] 2.1.2).
#include "workloads/model/param_count.hpp"

#include "sim/core/check.hpp"

namespace dsim::workloads {
namespace {

using U = std::uint64_t;

U u(int v) { return static_cast<U>(v); }

// MLA: q_down (h x q_rank) + q norm + q_up (q_rank x heads (nope + rope)), or one h x heads (nope + rope) matrix
// without a q rank; kv_down (h x (kv_rank + rope)) + kv norm + kv_up (kv_rank x heads (nope + v)); o (heads v x h).
// GQA: q and o (h x heads head_dim each), k and v (h x kv_heads head_dim each).
void attention_parameters(const ModelConfig& c, LayerParameters& p) {
  const U h = u(c.hidden);
  const U heads = u(c.heads);
  if (c.attention == AttentionKind::mla) {
    const U qk = u(c.qk_nope_head_dim + c.qk_rope_head_dim);
    const U q_rank = u(c.q_lora_rank);
    const U kv_rank = u(c.kv_lora_rank);
    p.attention = (q_rank > 0 ? h * q_rank + q_rank * heads * qk : h * heads * qk) +
                  h * (kv_rank + u(c.qk_rope_head_dim)) +
                  kv_rank * heads * u(c.qk_nope_head_dim + c.v_head_dim) + heads * u(c.v_head_dim) * h;
    p.norms += q_rank + kv_rank;
  } else {
    const U hd = u(c.head_dim);
    p.attention = 2 * h * heads * hd + 2 * h * u(c.kv_heads) * hd;
  }
}

// What an MTP module adds around its transformer block: the norms of the hidden state and of the next token's
// embedding, the 2h -> h projection, and the norm before the shared head.
U mtp_module_extra(const ModelConfig& c) {
  const U h = u(c.hidden);
  return 2 * h + 2 * h * h + h;
}

}  // namespace

LayerParameters block_parameter_breakdown(const ModelConfig& c, bool moe) {
  LayerParameters p;
  const U h = u(c.hidden);
  attention_parameters(c, p);
  p.norms += 2 * h;  // before attention and before the FFN
  if (moe) {
    DSIM_CHECK(c.is_moe(), "model '{}' has no experts", c.name);
    const U expert = 3 * h * u(c.expert_intermediate);  // up, gate, down of one expert
    p.routed_expert = expert;
    p.routed_experts = expert * u(c.routed_experts);
    p.shared_experts = expert * u(c.shared_experts);
    p.router = u(c.routed_experts) * h;
  } else {
    p.dense_ffn = 3 * h * u(c.dense_intermediate);
  }
  return p;
}

LayerParameters layer_parameter_breakdown(const ModelConfig& c, int layer) {
  DSIM_CHECK(layer >= 0 && layer < c.layers, "layer {} outside [0, {})", layer, c.layers);
  return block_parameter_breakdown(c, c.is_moe() && layer >= c.dense_layers);
}

U layer_parameters(const ModelConfig& c, int layer) { return layer_parameter_breakdown(c, layer).total(); }

U layer_expert_parameters(const ModelConfig& c, int layer) {
  return layer_parameter_breakdown(c, layer).routed_experts;
}

U embedding_parameters(const ModelConfig& c) { return u(c.vocab) * u(c.hidden); }

U head_parameters(const ModelConfig& c) { return u(c.hidden) + u(c.vocab) * u(c.hidden); }

U mtp_parameters(const ModelConfig& c) {
  return u(c.mtp_modules) * (mtp_module_extra(c) + block_parameter_breakdown(c, c.is_moe()).total());
}

ParamTotals count_parameters(const ModelConfig& c, bool with_mtp) {
  ParamTotals t;
  t.total = embedding_parameters(c) + head_parameters(c);
  t.activated = t.total;
  for (int layer = 0; layer < c.layers; ++layer) {
    const LayerParameters p = layer_parameter_breakdown(c, layer);
    t.total += p.total();
    t.activated += p.activated(c.experts_per_token);
  }
  if (with_mtp && c.mtp_modules > 0) {
    t.total += mtp_parameters(c);
    t.activated += u(c.mtp_modules) * (mtp_module_extra(c) +
                                       block_parameter_breakdown(c, c.is_moe()).activated(c.experts_per_token));
  }
  return t;
}

}  // namespace dsim::workloads
