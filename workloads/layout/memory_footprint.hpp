// SPDX-License-Identifier: Apache-2.0
// Memory one GPU needs to train: its share of weights, gradients and optimizer state under PP x EP x DP with
// ZeRO-1, plus the activations its pipeline schedule keeps in flight. The fit check against a GPU's HBM belongs
// to the layer that knows the GPU; memory_shortfall() words its message.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "workloads/layout/parallel_layout.hpp"
#include "workloads/layout/stage_split.hpp"
#include "workloads/model/model_config.hpp"

namespace dsim::workloads {

// Bytes per stored number. The defaults are DeepSeek-V3's recipe ([R] 3.3): FP32 master weights and FP32 gradients
// "retained ... to ensure numerical stability", AdamW moments in BF16 (3.3.3, low-precision optimizer states),
// cached activations in FP8 with one FP32 scale per 1x128 tile (3.3.2, 3.3.3), except the inputs of the linear
// after attention, kept in E5M6 (12 bits). The BF16 working copy of the weights is our assumption: the report does
// not say how the copy the GEMMs quantize from is stored; BF16 is the format of its high-precision operators.
struct TrainingPrecision {
  std::uint64_t weight_bytes = 2;         // working copy, every held parameter (BF16)
  std::uint64_t gradient_bytes = 4;       // accumulated over micro-batches (FP32); ZeRO-1 does not shard them
  std::uint64_t master_weight_bytes = 4;  // optimizer's master copy (FP32), sharded by ZeRO-1
  std::uint64_t moment_bytes = 2;         // each of AdamW's two moments (BF16), sharded by ZeRO-1
  double fp8_bytes = 1.0 + 4.0 / 128.0;   // a cached FP8 activation with its share of the tile's FP32 scale
  double attention_output_bytes = 1.5;    // E5M6
  double bf16_bytes = 2.0;                // activations kept in BF16 (residual stream, MLA latents)
  double logit_bytes = 4.0;               // logits the loss backward needs (FP32)
};

// Activation bytes one token leaves cached for the backward pass of `layer` (0-based), with RMSNorm and the MLA
// up-projections recomputed and the SwiGLU output recomputed from its cached inputs ([R] 3.2.3, 3.3.3):
//   layer input x                         h x bf16      (to recompute the attention RMSNorm)
//   MLA: latents c_q, c_kv, k_rope        (q_lora + kv_lora + rope) x bf16   (to recompute norms, up-projections)
//   GQA: q, k, v                          (heads + 2 kv_heads) x head_dim x bf16   (no recomputation assumed)
//   attention output                      heads x v_head_dim x e5m6   (input of the output projection)
//   softmax log-sum-exp                   heads x 4     (flash-attention backward)
//   residual after attention              h x bf16      (to recompute the FFN RMSNorm)
//   dense FFN: SwiGLU inputs              2 x I x fp8   (the GEMM inputs are recomputed from the residual)
//   MoE: shared experts' SwiGLU inputs    shared x 2 x I_e x fp8
//        routed copies on expert GPUs     top_k x (h + 2 x I_e) x fp8   (dispatched inputs, SwiGLU inputs)
//        routing                          top_k x 8     (FP32 weight and int32 id per chosen expert)
// Expert outputs are not cached: the gate weight's gradient is the dot product of the down-projection's input
// gradient with the recomputed SwiGLU output. Balanced routing is assumed (each GPU receives top_k copies per
// token it sends). Dispatch/combine buffers and workspaces are transient and not counted.
// DeepSeek-V3, MoE layer: 14,336 + 4,224 + 24,576 + 512 + 14,336 + 4,224 + 92,928 + 64 = 155,200 B per token.
double layer_activation_bytes_per_token(const ModelConfig& model, int layer, const TrainingPrecision& precision);

// One stage's cached activations per token: its layers; per MTP module one more block (MoE in a MoE model) plus its
// projection's input (2h x fp8); with the head, the final hidden state of the model and of each MTP module
// (h x bf16 each, to recompute the final norms). The embedding keeps only token ids, not counted.
double stage_activation_bytes_per_token(const ModelConfig& model, const StageContent& stage,
                                        const TrainingPrecision& precision);

// Parameters a GPU holds for the stages `held`: dense ones (replicated over data parallelism) and its share of
// the routed experts (each layer's experts split over layout.ep()), the MTP modules' included.
struct HeldParameters {
  std::uint64_t dense = 0;
  std::uint64_t expert = 0;
};
HeldParameters held_parameters(const ModelConfig& model, const ParallelLayout& layout,
                               std::span<const StageContent> held);

struct MemoryFootprint {
  std::uint64_t parameters = 0;   // working weights
  std::uint64_t gradients = 0;
  std::uint64_t optimizer = 0;    // master weights and moments, this GPU's shard
  std::uint64_t activations = 0;  // at the schedule's peak
  std::uint64_t total = 0;
  std::string detail;  // how the figures arise, for reports
};

// Memory of one GPU holding the model stages `held` (one for 1F1B and ZB1P; for DualPipe the stages r and PP-1-r of
// a PP-stage split) when `in_flight_microbatches` micro-batches have cached their activations on it: PP on the first
// rank for 1F1B and ZB1P, PP + 1 for DualPipe ([R] 3.2.2 table). Activations are in-flight x tokens per micro-batch x
// the largest held stage's bytes per token (a conservative bound when two stages differ), plus, on the GPU holding
// the head, the logits of one micro-batch (the last stage runs each micro-batch's loss backward right after its
// forward, so only one is alive). Dense parameters' optimizer state is sharded over dp, routed experts' over the
// expert-DP group (layout.expert_dp()), the MTP modules' routed experts included.
// Not counted: communication buffers (DeepEP, NCCL), the allocator's fragmentation, the CUDA context.
MemoryFootprint memory_per_gpu(const ModelConfig& model, const ParallelLayout& layout,
                               std::span<const StageContent> held, int in_flight_microbatches,
                               const TrainingPrecision& precision = {});

// Nothing when `need` fits in `capacity_bytes`; otherwise a message naming the need, its parts, the capacity and
// the fixes, largest part first: "needs 93.1 GB per GPU (parameters 12.3, gradients 24.6, optimizer 3.1,
// activations 53.1), the GPU has 80 GB; lower micro_batch or seq_len, or raise pp".
std::optional<std::string> memory_shortfall(const MemoryFootprint& need, const ParallelLayout& layout,
                                            std::uint64_t capacity_bytes);

}  // namespace dsim::workloads
