// SPDX-License-Identifier: Apache-2.0
// Memory per GPU: DeepSeek-V3's production layout fits an 80 GB H800, a dense 405B on PP1 x DP8 does not and says
// why, and ZeRO-1 shards what it should.
#include <catch2/catch.hpp>

#include "tests/workloads/model_fixtures.hpp"

#include "workloads/layout/memory_footprint.hpp"

namespace dsim::workloads {
namespace {

using testing::model;

ParallelLayout v3_layout(bool zero1 = true) {
  LayoutSpec spec = testing::v3_layout_spec();
  spec.zero1 = zero1;
  return ParallelLayout(spec, model("deepseek-v3"));
}

constexpr std::uint64_t h800_hbm = 80'000'000'000;

}  // namespace

TEST_CASE("memory: a DeepSeek-V3 MoE layer caches 155,200 B of activations per token", "[workloads]") {
  // x 7168 x 2 = 14,336; latents (1536 + 512 + 64) x 2 = 4,224; attention output 128 x 128 x 1.5 (E5M6) = 24,576;
  // log-sum-exp 128 x 4 = 512; residual 14,336; shared expert SwiGLU input 2 x 2048 x 1.03125 (FP8 + 1/128 FP32
  // scale) = 4,224; 8 routed copies of (7168 + 4096) x 1.03125 = 92,928; routing 8 x 8 = 64. Sum 155,200.
  // A dense layer: 57,984 (all up to the residual) + 2 x 18432 x 1.03125 = 96,000.
  const ModelConfig v3 = model("deepseek-v3");
  const TrainingPrecision p;
  CHECK(layer_activation_bytes_per_token(v3, 3, p) == Approx(155'200.0).epsilon(1e-12));
  CHECK(layer_activation_bytes_per_token(v3, 0, p) == Approx(96'000.0).epsilon(1e-12));
}

TEST_CASE("memory: DeepSeek-V3 on PP16 x EP64 x DP128 with DualPipe fits in 80 GB, 71.7 GB on the first rank",
          "[workloads]") {
  // Rank 0 holds stage 0 (embedding + dense layers 0-2) and stage 15 (MoE layers 59-60, MTP, head).
  // Parameters (param_count's shapes): embedding 129,280 x 7,168 = 926,679,040; head + final norm 926,686,208;
  // dense layer 583,483,392; MoE layer 232,996,864 outside the routed experts + 256 experts of 44,040,192, of which
  // 4 (= 256 / 64) are local: 176,160,768; MTP module 102,781,952 + a MoE block.
  //   replicated: 926,679,040 + 3 x 583,483,392 + 3 x 232,996,864 + 102,781,952 + 926,686,208 = 4,405,587,968
  //   experts:    3 x 176,160,768 = 528,482,304;  in all 4,934,070,272
  // weights 2 B: 9.868 GB; gradients 4 B: 19.736 GB; optimizer 8 B per parameter (FP32 master + 2 BF16 moments)
  // over dp 128 for the replicated ones (275,349,248) and over expert-dp 2 for the experts (2,113,929,216).
  // Activations per token: stage 0 = 3 x 96,000 = 288,000; stage 15 = 2 x 155,200 + (155,200 + 2 x 7168 x
  // 1.03125) + 2 x 7168 x 2 = 509,056, the larger. DualPipe keeps PP + 1 = 17 micro-batches in flight:
  // 17 x 4,096 x 509,056 = 35,446,587,392; plus one micro-batch's logits, 4,096 x 2 heads x 129,280 x 4 B =
  // 4,236,247,040. Total 71,676,534,528 B = 71.7 GB: under 80 GB with some 8 GB left for DeepEP and NCCL buffers
  // and fragmentation, which is plausible for a run that trained on 80 GB H800s without tensor parallelism.
  const ModelConfig v3 = model("deepseek-v3");
  const ParallelLayout layout = v3_layout();
  const std::vector<StageContent> stages = split_stages(v3, 16);
  const std::vector<StageContent> rank0 = {stages[0], stages[15]};
  const MemoryFootprint first = memory_per_gpu(v3, layout, rank0, 17);
  CHECK(first.parameters == 2 * 4'934'070'272ULL);
  CHECK(first.gradients == 4 * 4'934'070'272ULL);
  CHECK(first.optimizer == 275'349'248ULL + 2'113'929'216ULL);
  CHECK(static_cast<double>(first.activations) == Approx(35'446'587'392.0 + 4'236'247'040.0).epsilon(1e-12));
  CHECK(static_cast<double>(first.total) == Approx(71'676'534'528.0).epsilon(1e-12));
  CHECK_FALSE(memory_shortfall(first, layout, h800_hbm).has_value());
  INFO(first.detail);
  CHECK(first.detail.find("stages embedding + layers 0-2 | layers 59-60 + mtp + head") == 0);

  // Rank 1 holds stages 1 and 14, 8 MoE layers: 1,863,974,912 replicated + 1,409,286,144 expert parameters;
  // weights 6.547 GB, gradients 13.093 GB, optimizer 0.116 + 5.637 GB; activations 17 x 4,096 x 4 x 155,200 =
  // 43.228 GB. Total 68,620,754,944 B = 68.6 GB: the middle ranks trade the head's weights for activations.
  const std::vector<StageContent> rank1 = {stages[1], stages[14]};
  const MemoryFootprint middle = memory_per_gpu(v3, layout, rank1, 17);
  CHECK(static_cast<double>(middle.total) == Approx(68'620'754'944.0).epsilon(1e-12));
  CHECK_FALSE(memory_shortfall(middle, layout, h800_hbm).has_value());
}

TEST_CASE("memory: ZeRO-1 divides the optimizer state by dp, and the experts' by the expert-DP group", "[workloads]") {
  // Rank 1 of V3 without ZeRO-1 keeps 8 B for each of its 3,273,261,056 parameters (26.19 GB); with it,
  // 1,863,974,912 x 8 / 128 + 1,409,286,144 x 8 / 2 = 116,498,432 + 5,637,144,576.
  const ModelConfig v3 = model("deepseek-v3");
  const std::vector<StageContent> stages = split_stages(v3, 16);
  const std::vector<StageContent> rank1 = {stages[1], stages[14]};
  CHECK(memory_per_gpu(v3, v3_layout(false), rank1, 17).optimizer == 8 * 3'273'261'056ULL);
  CHECK(memory_per_gpu(v3, v3_layout(true), rank1, 17).optimizer == 116'498'432ULL + 5'637'144'576ULL);
}

TEST_CASE("memory: a dense 405B on PP1 x DP8 does not fit in 80 GB and says its weights are the reason",
          "[workloads]") {
  // LLaMA-3.1 405B: 405,853,388,800 parameters on every GPU (no pipeline, no experts). Weights 2 B each: 811.7 GB,
  // gradients 1,623.4 GB, optimizer 8 B / 8 GPUs: 405.9 GB. Activations with one micro-batch in flight: 126 layers
  // x 237,312 B (65,536 x and residual + 36,864 q, k, v + 24,576 attention output + 512 + 109,824 SwiGLU inputs)
  // + 32,768 for the final norm = 29,934,080 B per token x 4,096 = 122.6 GB, and 4,096 x 128,256 x 4 B logits
  // = 2.1 GB: 124.7 GB. Needs 2,965.7 GB; the weights and gradients dominate, so the first fix is a larger pp.
  const ModelConfig llama = model("llama3.1-405b");
  LayoutSpec spec;
  spec.gpus = 8;
  spec.pp = 1;
  spec.global_batch = 64;
  spec.micro_batch = 1;
  spec.seq_len = 4096;
  const ParallelLayout layout(spec, llama);
  const std::vector<StageContent> stages = split_stages(llama, 1);
  const MemoryFootprint need = memory_per_gpu(llama, layout, stages, 1);
  CHECK(need.parameters == 2 * 405'853'388'800ULL);
  const auto message = memory_shortfall(need, layout, h800_hbm);
  REQUIRE(message.has_value());
  CHECK(*message == "needs 2965.7 GB per GPU (parameters 811.7, gradients 1623.4, optimizer 405.9, activations "
                    "124.7), the GPU has 80 GB; raise pp (fewer layers per GPU), or add data-parallel GPUs (ZeRO-1 "
                    "shards the optimizer state over dp), or lower micro_batch or seq_len (fewer cached "
                    "activations)");
}

}  // namespace dsim::workloads
