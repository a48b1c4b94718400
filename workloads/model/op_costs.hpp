// SPDX-License-Identifier: Apache-2.0
// What one GPU computes for one transformer layer (or the embedding, output head, an MTP module) in one micro-batch
// and one training pass: a list of ops with FLOPs, HBM bytes and numeric format, for the compute model to time; and
// the training FLOPs per token that Table 2 of [P] (Zhao et al., ISCA 2025) tabulates.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/dtype.hpp"
#include "sim/core/enum_names.hpp"
#include "sim/core/kernel.hpp"
#include "workloads/model/model_config.hpp"

namespace dsim::workloads {

// backward_input is the activation gradient (dgrad), backward_weight the weight gradient (wgrad): DualPipe and
// ZB1P schedule them apart.
enum class Pass : std::uint8_t { forward, backward_input, backward_weight };
inline constexpr std::array<std::string_view, 3> pass_names = {"forward", "backward_input", "backward_weight"};
constexpr std::string_view to_string(Pass p) { return pass_names[static_cast<std::size_t>(p)]; }
constexpr std::optional<Pass> parse_pass(std::string_view name) { return parse_enum<Pass>(pass_names, name); }

// Which part of a layer an op belongs to: DualPipe splits a chunk into attention, dispatch, MLP and combine.
// Norms go with what follows them; the router with the MLP. An MTP module's embedding lookup, norms and projection
// are its `embedding` part, its block has attention and MLP, its shared head is `head`.
enum class LayerPart : std::uint8_t { attention, mlp, embedding, head };
inline constexpr std::array<std::string_view, 4> layer_part_names = {"attention", "mlp", "embedding", "head"};
constexpr std::string_view to_string(LayerPart p) { return layer_part_names[static_cast<std::size_t>(p)]; }
constexpr std::optional<LayerPart> parse_layer_part(std::string_view name) {
  return parse_enum<LayerPart>(layer_part_names, name);
}

// A GEMM as it runs: C[m x n] = A[m x k] B[k x n], `groups` times (one per local expert; one per head for MLA's
// absorbed decode projections). Forward and backward_input have m = token rows; backward_weight reduces over the
// tokens (k = token rows). For grouped expert GEMMs the row count is the busiest expert's (LayerBatch), while
// OpCost::flops counts the rows every expert really has.
struct GemmShape {
  std::int64_t m = 0, n = 0, k = 0;
  int groups = 1;
};

// softmax(q k^T) v over `batch` sequences; kv_heads distinct key/value heads (GQA groups; 1 for MLA's absorbed
// decode, whose latent is shared by all heads).
struct AttentionShape {
  std::int64_t batch = 0, heads = 0, kv_heads = 0, q_len = 0, kv_len = 0, qk_dim = 0, v_dim = 0;
  bool causal = true;
};

struct OpCost {
  std::string name;  // "q_down", "core_attention", "experts.up_gate", ...; MTP ops carry "mtp1." etc. in front
  LayerPart part = LayerPart::attention;
  Pass pass = Pass::forward;
  Dtype dtype = Dtype::bf16;
  double flops = 0.0;       // a multiply-add is 2 FLOPs
  std::uint64_t bytes = 0;  // HBM bytes read + written (weights, activations, KV cache), for a roofline
  std::optional<GemmShape> gemm;
  std::optional<AttentionShape> attention;
};

// The kernel an op runs, for the trace's catalog: a GEMM or attention shape where the op has one, otherwise a
// memory-bound kernel of the op's bytes.
Kernel kernel_of(const OpCost& op);

// What one GPU computes for one layer in one micro-batch.
struct LayerBatch {
  std::int64_t tokens = 0;   // through attention, router and shared expert: sequences x seq_len
  std::int64_t seq_len = 0;  // training/prefill: the sequence length; decode: new tokens per sequence (1, or 2
                             // with one MTP draft)
  std::int64_t kv_len = 0;   // decode: context each new token attends to, read from the KV cache; 0: training or
                             // prefill, attention over the seq_len tokens themselves
  bool causal = true;        // training/prefill mask
  std::int64_t routed_tokens = 0;      // token-expert pairs this GPU's local experts process (EP: received)
  int local_experts = 0;               // routed experts on this GPU
  std::int64_t max_expert_tokens = 0;  // busiest local expert's pairs (0: routed_tokens / local_experts, rounded up)
};

// Everything on one GPU: all routed experts local and perfectly balanced (tokens x top-k pairs).
LayerBatch unsharded_batch(const ModelConfig& config, std::int64_t sequences, std::int64_t seq_len);

// Numeric format of each kind of op. v3_fp8() follows [R] 3.3.1 (DeepSeek-V3 report, mixed precision framework):
// all three GEMMs of every linear operator (Fprop, Dgrad, Wgrad) run in FP8 with BF16 output, which covers the MLA
// projections, the dense FFN, shared and routed experts and the MTP projection; the embedding module, the output
// head, the MoE gating (router), normalization and attention operators keep BF16; weight gradients accumulate in
// FP32 (the "higher precision" of master weights and gradients). The KV cache is BF16, as Table 1 of [P] counts it.
struct Precision {
  Dtype linear_forward = Dtype::fp8;
  Dtype linear_backward_input = Dtype::fp8;
  Dtype linear_backward_weight = Dtype::fp8;
  Dtype embedding_head = Dtype::bf16;
  Dtype router = Dtype::bf16;
  Dtype norm = Dtype::bf16;       // normalization and the other elementwise ops (SwiGLU)
  Dtype attention = Dtype::bf16;  // also MLA's absorbed decode projections (DeepSeek's inference code runs them
                                  // with the dequantized BF16 kv_up weight)
  Dtype kv_cache = Dtype::bf16;

  Dtype linear(Pass pass) const;
  static Precision v3_fp8();
  static Precision bf16();
};

// Core-attention backward FLOPs relative to forward: FlashAttention's backward recomputes q k^T and runs four more
// matmuls (dV, dP, dQ, dK) against the forward's two. All of it is backward_input (attention has no weights).
inline constexpr double attention_backward_factor = 2.5;

// The ops of layer `layer` (0-based, < config.layers) in forward order for `pass`. Training and prefill run MLA in
// its plain form (kv_up expands the latent to per-head keys and values; attention with 192-wide q/k, 128-wide v);
// decode (kv_len > 0, forward only) runs the weight-absorbed form: q_absorb folds kv_up's key half into the
// queries, attention runs over the cached 512 + 64 latent (one shared "kv head"), v_absorb applies the value half.
// GQA decode reads kv_heads keys and values per cached token. Decode ignores the mask among the new tokens.
// Not listed: RoPE, residual adds, router top-k and FP8 (de)quantization, which the kernels fuse.
std::vector<OpCost> layer_ops(const ModelConfig& config, int layer, const LayerBatch& batch,
                              const Precision& precision, Pass pass);
std::vector<OpCost> embedding_ops(const ModelConfig& config, const LayerBatch& batch, const Precision& precision,
                                  Pass pass);
// final_norm, head (hidden -> vocab GEMM) and cross_entropy over the logits.
std::vector<OpCost> head_ops(const ModelConfig& config, const LayerBatch& batch, const Precision& precision,
                             Pass pass);
// MTP module `module` (0-based; names carry its depth k = module + 1) as [R] 2.2 builds it: the next token's
// embedding from the shared table, RMSNorms of it and of the previous depth's hidden state, the 2h -> h
// projection, one transformer block (MoE in a MoE model), and the shared output head with its own final norm.
std::vector<OpCost> mtp_ops(const ModelConfig& config, int module, const LayerBatch& batch,
                            const Precision& precision, Pass pass);

enum class AttentionFlops : std::uint8_t { causal, full };

// How training FLOPs per token are counted. Weights: 2 FLOPs per multiply-add in forward, as many in each of
// backward_input and backward_weight: 6 x the activated matmul weights (attention projections, dense FFN, shared
// and top-k routed experts, router, and the output head if counted; the embedding lookup and norms do no matmul).
// Core attention: 2 x heads x (qk_dim + v_dim) FLOPs per (query, key) pair forward, times (1 + backward factor);
// causal counts the (S + 1) / 2 keys an average query sees, full counts S.
struct FlopsCounting {
  AttentionFlops attention = AttentionFlops::causal;
  double attention_backward = 2.0;  // 2: model FLOPs (as for weights); attention_backward_factor: what runs
  bool output_head = true;
  bool mtp = false;  // add the MTP modules (projection, block, and their shared head if output_head)

  // The convention that reproduces Table 2 of [P]: causal attention at 2x backward, output head, no MTP.
  static FlopsCounting table2() { return {}; }
  // What layer_ops + head_ops + mtp_ops execute in GEMMs and core attention.
  static FlopsCounting executed() { return {AttentionFlops::causal, attention_backward_factor, true, true}; }
};

double training_flops_per_token(const ModelConfig& config, std::int64_t seq_len, const FlopsCounting& counting);

}  // namespace dsim::workloads
