// SPDX-License-Identifier: Apache-2.0
// Per-op costs of a transformer layer. A linear op of R token rows, k inputs and n outputs does 2 R k n FLOPs in
// each pass; its bytes are the weight and input at the compute format's width plus the output in BF16 (FP8 GEMMs
// write BF16, [R] 3.3.1); backward_weight reads both operands and accumulates into the FP32 gradient (read and
// write). Elementwise ops count BF16 activations and a rough FLOP count per element (stated where they are built):
// they are memory-bound, so only their bytes matter to a roofline.
#include "workloads/model/op_costs.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "workloads/model/param_count.hpp"

namespace dsim::workloads {
namespace {

using I = std::int64_t;
using U = std::uint64_t;

double d(I v) { return static_cast<double>(v); }
U u(I v) { return static_cast<U>(v); }

constexpr U activation_bytes = 2;      // BF16 activations between kernels
constexpr U gradient_accumulator = 4;  // FP32 weight gradients

U width(Dtype t) { return t == Dtype::fp8 ? 1 : t == Dtype::bf16 ? 2 : 4; }

// Collects one pass's ops, in forward order, for one part of the model at a time.
class OpList {
 public:
  OpList(const Precision& precision, Pass pass, std::string prefix)
      : precision_(precision), pass_(pass), prefix_(std::move(prefix)) {}

  void part(LayerPart p) { part_ = p; }

  // `rows` token rows in all through `groups` weight matrices of in x out; the busiest group has group_rows.
  void matmul(std::string_view name, Dtype dtype, I rows, I in, I out, int groups = 1, I group_rows = 0) {
    if (group_rows == 0) group_rows = rows;
    const U weights = u(groups) * u(in) * u(out);
    const U w = width(dtype);
    const U out_w = std::max(w, activation_bytes);
    const double flops = 2.0 * d(rows) * d(in) * d(out);
    if (pass_ == Pass::forward) {
      add(name, dtype, flops, weights * w + u(rows) * (u(in) * w + u(out) * out_w)).gemm =
          GemmShape{group_rows, out, in, groups};
    } else if (pass_ == Pass::backward_input) {
      add(name, dtype, flops, weights * w + u(rows) * (u(out) * w + u(in) * out_w)).gemm =
          GemmShape{group_rows, in, out, groups};
    } else {
      add(name, dtype, flops, u(rows) * (u(in) + u(out)) * w + 2 * weights * gradient_accumulator).gemm =
          GemmShape{in, out, group_rows, groups};
    }
  }
  void linear(std::string_view name, I rows, I in, I out, int groups = 1, I group_rows = 0) {
    matmul(name, precision_.linear(pass_), rows, in, out, groups, group_rows);
  }

  // RMSNorm: ~4 FLOPs per element forward (square, sum, scale twice), ~8 backward; the scale's gradient is
  // reduced in the same kernel, so there is no backward_weight op.
  void norm(std::string_view name, I rows, I cols) {
    elementwise(name, precision_.norm, rows * cols, 4.0, 2, 8.0, 3);
  }
  // SwiGLU silu(gate) x up over `cols` outputs: ~5 FLOPs per output forward, ~10 backward; it reads 2 cols and
  // writes cols forward, reads 3 cols and writes 2 backward. Like the norms it stays in Precision::norm's format.
  void swiglu(std::string_view name, I rows, I cols) {
    elementwise(name, precision_.norm, rows * cols, 5.0, 3, 10.0, 5);
  }
  // Softmax cross-entropy over the logits: ~5 FLOPs per logit forward (max, exp, sum, log), ~3 backward.
  void cross_entropy(std::string_view name, I rows, I vocab) {
    elementwise(name, precision_.embedding_head, rows * vocab, 5.0, 1, 3.0, 2);
  }

  // Row gather forward; its gradient is a scatter-add into the FP32 table gradient (backward_weight).
  void embedding(std::string_view name, I rows, I hidden) {
    const U elements = u(rows) * u(hidden);
    if (pass_ == Pass::forward) {
      add(name, precision_.embedding_head, 0.0, 2 * elements * activation_bytes);
    } else if (pass_ == Pass::backward_weight) {
      add(name, precision_.embedding_head, d(rows * hidden),
          elements * (activation_bytes + 2 * gradient_accumulator));
    }
  }

  // Core attention: 2 FLOPs per multiply-add of q k^T and of p v for every unmasked (query, key) pair; backward
  // attention_backward_factor times that, reading q, k, v, o, dO and writing dq, dk, dv (twice forward's bytes).
  void attention(std::string_view name, const AttentionShape& s, U forward_bytes) {
    const double pairs = s.causal ? d(s.q_len) * d(s.q_len + 1) / 2.0 : d(s.q_len) * d(s.kv_len);
    const double flops = 2.0 * d(s.batch) * d(s.heads) * pairs * d(s.qk_dim + s.v_dim);
    if (pass_ == Pass::forward) {
      add(name, precision_.attention, flops, forward_bytes).attention = s;
    } else if (pass_ == Pass::backward_input) {
      add(name, precision_.attention, attention_backward_factor * flops, 2 * forward_bytes).attention = s;
    }
  }

  const Precision& precision() const { return precision_; }
  Pass pass() const { return pass_; }

  std::vector<OpCost> take() {
    // Backward runs the layer back to front.
    if (pass_ != Pass::forward) std::reverse(ops_.begin(), ops_.end());
    return std::move(ops_);
  }

 private:
  OpCost& add(std::string_view name, Dtype dtype, double flops, U bytes) {
    OpCost op;
    op.name = prefix_ + std::string(name);
    op.part = part_;
    op.pass = pass_;
    op.dtype = dtype;
    op.flops = flops;
    op.bytes = bytes;
    ops_.push_back(std::move(op));
    return ops_.back();
  }
  void elementwise(std::string_view name, Dtype dtype, I elements, double fwd_flops, U fwd_passes,
                   double bwd_flops, U bwd_passes) {
    if (pass_ == Pass::forward) {
      add(name, dtype, fwd_flops * d(elements), fwd_passes * u(elements) * activation_bytes);
    } else if (pass_ == Pass::backward_input) {
      add(name, dtype, bwd_flops * d(elements), bwd_passes * u(elements) * activation_bytes);
    }
  }

  const Precision& precision_;
  Pass pass_;
  std::string prefix_;
  LayerPart part_ = LayerPart::attention;
  std::vector<OpCost> ops_;
};

}  // namespace

Kernel kernel_of(const OpCost& op) {
  Kernel kernel;
  kernel.flops = op.flops;
  kernel.bytes = op.bytes;
  if (op.gemm) {
    kernel.shape = gemm_shape(op.dtype, op.gemm->groups, op.gemm->m, op.gemm->n, op.gemm->k);
  } else if (op.attention) {
    const AttentionShape& a = *op.attention;
    kernel.shape = attention_shape(op.pass != Pass::forward, op.dtype, a.batch, a.heads, a.kv_heads, a.q_len,
                                   a.kv_len, a.qk_dim, a.v_dim, a.causal);
  } else {
    kernel.shape = memory_shape(op.bytes);
  }
  return kernel;
}

namespace {

void check_batch(const LayerBatch& b, Pass pass) {
  DSIM_CHECK(b.tokens > 0 && b.seq_len > 0 && b.tokens % b.seq_len == 0,
             "a layer batch needs whole sequences: {} tokens of length {}", b.tokens, b.seq_len);
  DSIM_CHECK(b.kv_len >= 0 && (b.kv_len == 0 || pass == Pass::forward), "decode (kv_len {}) has no backward",
             b.kv_len);
  DSIM_CHECK(b.routed_tokens >= 0 && (b.routed_tokens == 0 || b.local_experts > 0),
             "{} routed tokens but {} local experts", b.routed_tokens, b.local_experts);
  DSIM_CHECK(b.max_expert_tokens >= 0 && b.max_expert_tokens <= b.routed_tokens,
             "busiest expert has {} of {} routed tokens", b.max_expert_tokens, b.routed_tokens);
}

void add_attention(OpList& ops, const ModelConfig& c, const LayerBatch& b) {
  ops.part(LayerPart::attention);
  const I t = b.tokens;
  const I h = c.hidden;
  const I heads = c.heads;
  const I sequences = t / b.seq_len;
  const bool decode = b.kv_len > 0;
  const U cache_w = width(ops.precision().kv_cache);
  ops.norm("attn_norm", t, h);
  if (c.attention == AttentionKind::mla) {
    const I nope = c.qk_nope_head_dim;
    const I rope = c.qk_rope_head_dim;
    const I v = c.v_head_dim;
    const I latent = c.kv_lora_rank;
    if (c.q_lora_rank > 0) {
      ops.linear("q_down", t, h, c.q_lora_rank);
      ops.norm("q_norm", t, c.q_lora_rank);
      ops.linear("q_up", t, c.q_lora_rank, heads * (nope + rope));
    } else {
      ops.linear("q_proj", t, h, heads * (nope + rope));
    }
    ops.linear("kv_down", t, h, latent + rope);
    ops.norm("kv_norm", t, latent);
    if (decode) {
      const Dtype absorbed = ops.precision().attention;
      ops.matmul("q_absorb", absorbed, t * heads, nope, latent, static_cast<int>(heads), t);
      const AttentionShape s{sequences, heads, 1, b.seq_len, b.kv_len, latent + rope, latent, false};
      ops.attention("core_attention", s,
                    u(t * heads) * u(latent + rope + latent) * activation_bytes +
                        u(sequences * b.kv_len) * u(latent + rope) * cache_w);
      ops.matmul("v_absorb", absorbed, t * heads, latent, v, static_cast<int>(heads), t);
    } else {
      ops.linear("kv_up", t, latent, heads * (nope + v));
      const AttentionShape s{sequences, heads, heads, b.seq_len, b.seq_len, nope + rope, v, b.causal};
      ops.attention("core_attention", s, 2 * u(t * heads) * u(nope + rope + v) * activation_bytes);
    }
    ops.linear("o_proj", t, heads * v, h);
  } else {
    const I hd = c.head_dim;
    const I kv_heads = c.kv_heads;
    ops.linear("qkv_proj", t, h, (heads + 2 * kv_heads) * hd);
    if (decode) {
      const AttentionShape s{sequences, heads, kv_heads, b.seq_len, b.kv_len, hd, hd, false};
      ops.attention("core_attention", s,
                    2 * u(t * heads * hd) * activation_bytes +
                        u(sequences * b.kv_len) * u(2 * kv_heads * hd) * cache_w);
    } else {
      const AttentionShape s{sequences, heads, kv_heads, b.seq_len, b.seq_len, hd, hd, b.causal};
      ops.attention("core_attention", s, 2 * u(t * (heads + kv_heads) * hd) * activation_bytes);
    }
    ops.linear("o_proj", t, heads * hd, h);
  }
}

void add_ffn(OpList& ops, const ModelConfig& c, const LayerBatch& b, bool moe) {
  ops.part(LayerPart::mlp);
  const I t = b.tokens;
  const I h = c.hidden;
  ops.norm("ffn_norm", t, h);
  if (!moe) {
    ops.linear("dense_ffn.up_gate", t, h, 2 * I{c.dense_intermediate});
    ops.swiglu("dense_ffn.swiglu", t, c.dense_intermediate);
    ops.linear("dense_ffn.down", t, c.dense_intermediate, h);
    return;
  }
  ops.matmul("router", ops.precision().router, t, h, c.routed_experts);
  if (c.shared_experts > 0) {  // several shared experts run as one wider expert
    const I width_shared = I{c.shared_experts} * c.expert_intermediate;
    ops.linear("shared_expert.up_gate", t, h, 2 * width_shared);
    ops.swiglu("shared_expert.swiglu", t, width_shared);
    ops.linear("shared_expert.down", t, width_shared, h);
  }
  if (b.routed_tokens > 0) {
    const I busiest = b.max_expert_tokens > 0 ? b.max_expert_tokens
                                              : (b.routed_tokens + b.local_experts - 1) / b.local_experts;
    const I ei = c.expert_intermediate;
    ops.linear("experts.up_gate", b.routed_tokens, h, 2 * ei, b.local_experts, busiest);
    ops.swiglu("experts.swiglu", b.routed_tokens, ei);
    ops.linear("experts.down", b.routed_tokens, ei, h, b.local_experts, busiest);
  }
}

void add_head(OpList& ops, const ModelConfig& c, const LayerBatch& b) {
  ops.part(LayerPart::head);
  ops.norm("final_norm", b.tokens, c.hidden);
  ops.matmul("head", ops.precision().embedding_head, b.tokens, c.hidden, c.vocab);
  ops.cross_entropy("cross_entropy", b.tokens, c.vocab);
}

// Matmul weights one token goes through in a block: everything but the norms and the routed experts it skips.
double block_matmul_weights(const ModelConfig& c, bool moe) {
  const LayerParameters p = block_parameter_breakdown(c, moe);
  return static_cast<double>(p.activated(c.experts_per_token) - p.norms);
}

// Core-attention FLOPs one token costs in one block's forward pass.
double attention_forward_per_token(const ModelConfig& c, I seq_len, AttentionFlops mask) {
  const bool mla = c.attention == AttentionKind::mla;
  const double dims = mla ? d(I{c.qk_nope_head_dim} + c.qk_rope_head_dim + c.v_head_dim) : 2.0 * c.head_dim;
  const double keys = mask == AttentionFlops::causal ? d(seq_len + 1) / 2.0 : d(seq_len);
  return 2.0 * c.heads * dims * keys;
}

}  // namespace

Dtype Precision::linear(Pass pass) const {
  return pass == Pass::forward ? linear_forward
         : pass == Pass::backward_input ? linear_backward_input
                                        : linear_backward_weight;
}

Precision Precision::v3_fp8() { return Precision{}; }

Precision Precision::bf16() {
  Precision p;
  p.linear_forward = p.linear_backward_input = p.linear_backward_weight = Dtype::bf16;
  return p;
}

LayerBatch unsharded_batch(const ModelConfig& config, std::int64_t sequences, std::int64_t seq_len) {
  LayerBatch b;
  b.tokens = sequences * seq_len;
  b.seq_len = seq_len;
  if (config.is_moe()) {
    b.routed_tokens = b.tokens * config.experts_per_token;
    b.local_experts = config.routed_experts;
  }
  return b;
}

std::vector<OpCost> layer_ops(const ModelConfig& config, int layer, const LayerBatch& batch,
                              const Precision& precision, Pass pass) {
  DSIM_CHECK(layer >= 0 && layer < config.layers, "layer {} outside [0, {})", layer, config.layers);
  check_batch(batch, pass);
  OpList ops(precision, pass, "");
  add_attention(ops, config, batch);
  add_ffn(ops, config, batch, config.is_moe() && layer >= config.dense_layers);
  return ops.take();
}

std::vector<OpCost> embedding_ops(const ModelConfig& config, const LayerBatch& batch, const Precision& precision,
                                  Pass pass) {
  check_batch(batch, pass);
  OpList ops(precision, pass, "");
  ops.part(LayerPart::embedding);
  ops.embedding("embedding", batch.tokens, config.hidden);
  return ops.take();
}

std::vector<OpCost> head_ops(const ModelConfig& config, const LayerBatch& batch, const Precision& precision,
                             Pass pass) {
  check_batch(batch, pass);
  OpList ops(precision, pass, "");
  add_head(ops, config, batch);
  return ops.take();
}

std::vector<OpCost> mtp_ops(const ModelConfig& config, int module, const LayerBatch& batch,
                            const Precision& precision, Pass pass) {
  DSIM_CHECK(module >= 0 && module < config.mtp_modules, "MTP module {} outside [0, {})", module,
             config.mtp_modules);
  check_batch(batch, pass);
  OpList ops(precision, pass, fmt::format("mtp{}.", module + 1));
  const I t = batch.tokens;
  const I h = config.hidden;
  ops.part(LayerPart::embedding);
  ops.embedding("embedding", t, h);
  ops.norm("hnorm", t, h);
  ops.norm("enorm", t, h);
  ops.linear("proj", t, 2 * h, h);
  add_attention(ops, config, batch);
  add_ffn(ops, config, batch, config.is_moe());
  add_head(ops, config, batch);
  return ops.take();
}

double training_flops_per_token(const ModelConfig& config, std::int64_t seq_len, const FlopsCounting& counting) {
  DSIM_CHECK(seq_len > 0, "sequence length {} must be positive", seq_len);
  const double attention = (1.0 + counting.attention_backward) *
                           attention_forward_per_token(config, seq_len, counting.attention);
  const double head = counting.output_head ? d(I{config.vocab} * config.hidden) : 0.0;
  double weights = head;
  double flops = 0.0;
  for (int layer = 0; layer < config.layers; ++layer) {
    weights += block_matmul_weights(config, config.is_moe() && layer >= config.dense_layers);
    flops += attention;
  }
  if (counting.mtp) {
    for (int module = 0; module < config.mtp_modules; ++module) {
      weights += 2.0 * config.hidden * config.hidden + block_matmul_weights(config, config.is_moe()) + head;
      flops += attention;
    }
  }
  return flops + 6.0 * weights;
}

}  // namespace dsim::workloads
