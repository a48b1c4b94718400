// SPDX-License-Identifier: Apache-2.0
// Per-op costs: training FLOPs per token against Table 2 of [P] (Zhao et al., ISCA 2025), the op lists against that
// count, the FP8 recipe of [R] 3.3.1, backward conventions, expert-parallel GEMMs and MLA's absorbed decode.
#include <catch2/catch.hpp>

#include "tests/workloads/model_fixtures.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "workloads/model/model_config.hpp"
#include "workloads/model/op_costs.hpp"

namespace dsim::workloads {
namespace {

using testing::model;

const OpCost& op(const std::vector<OpCost>& ops, std::string_view name) {
  const auto it = std::find_if(ops.begin(), ops.end(), [&](const OpCost& o) { return o.name == name; });
  REQUIRE(it != ops.end());
  return *it;
}

bool has(const std::vector<OpCost>& ops, std::string_view name) {
  return std::any_of(ops.begin(), ops.end(), [&](const OpCost& o) { return o.name == name; });
}

// FLOPs of the GEMMs and core attention (what the FLOPs-per-token count covers), over every pass.
double matmul_flops(const std::vector<OpCost>& ops) {
  double sum = 0.0;
  for (const OpCost& o : ops) {
    if (o.gemm || o.attention) sum += o.flops;
  }
  return sum;
}

// One training step of `batch` through the whole model on one GPU: every layer, embedding, head and MTP module.
double model_matmul_flops(const ModelConfig& c, const LayerBatch& batch) {
  const Precision p = Precision::v3_fp8();
  double sum = 0.0;
  for (const Pass pass : {Pass::forward, Pass::backward_input, Pass::backward_weight}) {
    for (int layer = 0; layer < c.layers; ++layer) sum += matmul_flops(layer_ops(c, layer, batch, p, pass));
    sum += matmul_flops(embedding_ops(c, batch, p, pass)) + matmul_flops(head_ops(c, batch, p, pass));
    for (int m = 0; m < c.mtp_modules; ++m) sum += matmul_flops(mtp_ops(c, m, batch, p, pass));
  }
  return sum;
}

}  // namespace

TEST_CASE("op costs: training FLOPs per token reproduce Table 2 of Zhao et al.", "[workloads]") {
  // [P] does not state its convention; the one that fits: 6 x activated matmul weights (output head included,
  // embedding lookup and MTP not) + causal core attention at 3x its forward FLOPs, sequence length 4096.
  // V3: weights 61 x 187,105,280 + 3 x 396,361,728 + 58 x (9 x 44,040,192 + 1,835,008) + 926,679,040 head =
  // 36,624,596,992, x6 = 219.75 G; attention 61 x 3 x 2 x 128 heads x (192 + 128) x 4097/2 keys = 30.71 G;
  // 250.46 G against 250 (+0.18%). V2: 6 x 20,850,769,920 = 125.10 G + 30.21 G = 155.31 G against 155 (+0.20%).
  // LLaMA-3.1-405B: 6 x 403,747,897,344 = 2422.49 G + 126 x 3 x 2 x 128 x 256 x 4097/2 = 50.75 G = 2473.23 G
  // against 2448 (+1.03%; without the head it would be 2460.6, +0.5%, but V3 and V2 then fall 2% short; the paper
  // gives no breakdown). Tolerances: 0.5% for the DeepSeek rows, 1.5% for LLaMA.
  const FlopsCounting table = FlopsCounting::table2();
  const auto gflops = [&](std::string_view name) {
    return training_flops_per_token(model(name), 4096, table) / 1e9;
  };
  CHECK(gflops("deepseek-v3") == Approx(250.457).epsilon(1e-5));
  CHECK(gflops("deepseek-v3") == Approx(250.0).epsilon(0.005));
  CHECK(gflops("deepseek-v2") == Approx(155.0).epsilon(0.005));
  CHECK(gflops("llama3.1-405b") == Approx(2448.0).epsilon(0.015));

  // Qwen: 6 x 71,458,357,248 = 428.75 G + 80 x 3 x 2 x 64 x 256 x 4097/2 = 16.11 G = 444.86 G, 12.9% above the
  // table's 394. The table's Qwen row cannot be reached from Qwen2.5-72B's config under any convention that fits
  // the other rows: 6 x its non-embedding weights alone is 421 G. Checked against the hand count instead, with
  // the paper's value pinned as a ratio so a change of convention shows.
  const double qwen = gflops("qwen2.5-72b");
  CHECK(qwen == Approx(444.860).epsilon(1e-5));
  CHECK(qwen / 394.0 == Approx(1.129).margin(0.001));
}

TEST_CASE("op costs: full attention, no output head or an added MTP module would miss Table 2 for V3",
          "[workloads]") {
  // Full attention doubles the 30.71 G attention term (281.2 G, +12%); dropping the head loses 6 x 926,679,040 =
  // 5.56 G (244.9 G, -2.0%); adding the MTP module adds 6 x (102,760,448 projection + 585,302,016 MoE block +
  // 926,679,040 head) + 0.50 G attention = 10.19 G (260.6 G, +4.3%).
  const ModelConfig v3 = model("deepseek-v3");
  FlopsCounting full = FlopsCounting::table2();
  full.attention = AttentionFlops::full;
  FlopsCounting no_head = FlopsCounting::table2();
  no_head.output_head = false;
  FlopsCounting with_mtp = FlopsCounting::table2();
  with_mtp.mtp = true;
  CHECK(training_flops_per_token(v3, 4096, full) / 1e9 == Approx(281.17).epsilon(1e-4));
  CHECK(training_flops_per_token(v3, 4096, no_head) / 1e9 == Approx(244.90).epsilon(1e-4));
  CHECK(training_flops_per_token(v3, 4096, with_mtp) / 1e9 == Approx(260.65).epsilon(1e-4));
}

TEST_CASE("op costs: the op lists of a whole training step add up to the FLOPs-per-token count", "[workloads]") {
  // Same quantity two ways: summing every GEMM and core-attention op of all layers, passes, embedding, head and
  // MTP, against training_flops_per_token x tokens counted from parameter counts, with attention backward at the
  // 2.5x the kernels run and MTP included (FlopsCounting::executed()). Equal to rounding (1e-12 relative).
  for (const std::string_view name : {"small-moe", "deepseek-v3", "llama3.1-405b"}) {
    const ModelConfig c = model(name);
    const std::int64_t seq_len = name == "small-moe" ? 64 : 4096;
    const LayerBatch batch = unsharded_batch(c, 2, seq_len);
    const double tokens = 2.0 * static_cast<double>(seq_len);
    const double expected = training_flops_per_token(c, seq_len, FlopsCounting::executed()) * tokens;
    INFO(name);
    CHECK(model_matmul_flops(c, batch) == Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("op costs: the V3 FP8 recipe runs linear GEMMs in FP8 and keeps the rest in BF16", "[workloads]") {
  // [R] 3.3.1: Fprop, Dgrad and Wgrad of linear operators in FP8; embedding, output head, MoE gating, normalization
  // and attention operators in their original precision (BF16 here). Precision::bf16() runs everything in BF16.
  const ModelConfig small = model("small-moe");
  const LayerBatch batch = unsharded_batch(small, 1, 64);
  for (const Pass pass : {Pass::forward, Pass::backward_input, Pass::backward_weight}) {
    const auto ops = layer_ops(small, 1, batch, Precision::v3_fp8(), pass);
    for (const char* fp8 : {"q_down", "q_up", "kv_down", "kv_up", "o_proj", "shared_expert.down", "experts.up_gate"}) {
      CHECK(op(ops, fp8).dtype == Dtype::fp8);
    }
    CHECK(op(ops, "router").dtype == Dtype::bf16);
    CHECK(op(head_ops(small, batch, Precision::v3_fp8(), pass), "head").dtype == Dtype::bf16);
    for (const OpCost& o : layer_ops(small, 1, batch, Precision::bf16(), pass)) CHECK(o.dtype == Dtype::bf16);
  }
  const auto forward = layer_ops(small, 1, batch, Precision::v3_fp8(), Pass::forward);
  CHECK(op(forward, "core_attention").dtype == Dtype::bf16);
  CHECK(op(forward, "attn_norm").dtype == Dtype::bf16);
  CHECK(op(embedding_ops(small, batch, Precision::v3_fp8(), Pass::forward), "embedding").dtype == Dtype::bf16);
}

TEST_CASE("op costs: a V3 expert GEMM under EP32 has the hand-derived FLOPs, bytes and shape", "[workloads]") {
  // One 4096-token sequence, EP32: 8 local experts receive 4096 x 8 / 32 = 1024 token-expert pairs, the busiest
  // 200. experts.up_gate (7168 -> 2 x 2048) forward: 2 x 1024 x 7168 x 4096 = 60.13 GFLOPs; bytes: FP8 weights
  // 8 x 7168 x 4096 = 234,881,024 + FP8 input 1024 x 7168 = 7,340,032 + BF16 output 1024 x 4096 x 2 = 8,388,608 =
  // 250,609,664; grouped GEMM m = 200 rows, n = 4096, k = 7168, 8 groups. Wgrad reduces over the rows: m = 7168,
  // n = 4096, k = 200; its bytes read both FP8 operands (7,340,032 + 4,194,304) and read + write the FP32
  // gradient (2 x 4 x 234,881,024).
  const ModelConfig v3 = model("deepseek-v3");
  LayerBatch batch;
  batch.tokens = 4096;
  batch.seq_len = 4096;
  batch.routed_tokens = 1024;
  batch.local_experts = 8;
  batch.max_expert_tokens = 200;
  const OpCost fwd = op(layer_ops(v3, 3, batch, Precision::v3_fp8(), Pass::forward), "experts.up_gate");
  CHECK(fwd.flops == Approx(2.0 * 1024 * 7168 * 4096).epsilon(1e-12));
  CHECK(fwd.bytes == 250'609'664);
  REQUIRE(fwd.gemm.has_value());
  CHECK(fwd.gemm->m == 200);
  CHECK(fwd.gemm->n == 4096);
  CHECK(fwd.gemm->k == 7168);
  CHECK(fwd.gemm->groups == 8);
  CHECK(fwd.part == LayerPart::mlp);
  const OpCost wgrad = op(layer_ops(v3, 3, batch, Precision::v3_fp8(), Pass::backward_weight), "experts.up_gate");
  CHECK(wgrad.flops == fwd.flops);
  CHECK(wgrad.gemm->m == 7168);
  CHECK(wgrad.gemm->k == 200);
  CHECK(wgrad.bytes == 7'340'032 + 4'194'304 + 8ULL * 234'881'024);
}

TEST_CASE("op costs: backward passes follow the stated conventions and run back to front", "[workloads]") {
  // Each linear op's dgrad and wgrad equal its forward FLOPs; core attention's backward (all backward_input) is
  // 2.5x forward; norms and SwiGLU have backward_input only; the embedding's gradient is a backward_weight scatter.
  const ModelConfig small = model("small-moe");
  const LayerBatch batch = unsharded_batch(small, 2, 64);
  const Precision p = Precision::v3_fp8();
  const auto fwd = layer_ops(small, 2, batch, p, Pass::forward);
  const auto bin = layer_ops(small, 2, batch, p, Pass::backward_input);
  const auto bw = layer_ops(small, 2, batch, p, Pass::backward_weight);
  for (const OpCost& o : fwd) {
    INFO(o.name);
    if (o.gemm) {
      CHECK(op(bin, o.name).flops == o.flops);
      CHECK(op(bw, o.name).flops == o.flops);
    } else {
      CHECK(has(bin, o.name));
      CHECK_FALSE(has(bw, o.name));
    }
  }
  CHECK(op(bin, "core_attention").flops == Approx(2.5 * op(fwd, "core_attention").flops).epsilon(1e-12));
  CHECK(fwd.front().name == "attn_norm");
  CHECK(bin.front().name == "experts.down");
  CHECK(bin.back().name == "attn_norm");
  CHECK(embedding_ops(small, batch, p, Pass::backward_input).empty());
  CHECK(embedding_ops(small, batch, p, Pass::backward_weight).size() == 1);
}

TEST_CASE("op costs: MLA decode attends in the absorbed latent space and reads the cache", "[workloads]") {
  // V3, 32 sequences x 1 new token, 4096 cached tokens. q_absorb folds kv_up's key half into the queries: 128
  // per-head GEMMs of 32 x 128 -> 512. Core attention over the 512 + 64 latent with 512-wide values: 2 x 32 x 128
  // heads x 4096 keys x (576 + 512) = 36.51 GFLOPs; bytes: the cache 32 x 4096 x 576 x 2 = 150,994,944 plus q and
  // o 32 x 128 x (576 + 512) x 2 = 8,912,896. No kv_up: the latent is never expanded.
  const ModelConfig v3 = model("deepseek-v3");
  LayerBatch batch = unsharded_batch(v3, 32, 1);
  batch.kv_len = 4096;
  const auto ops = layer_ops(v3, 10, batch, Precision::v3_fp8(), Pass::forward);
  CHECK_FALSE(has(ops, "kv_up"));
  const OpCost& absorb = op(ops, "q_absorb");
  CHECK(absorb.gemm->groups == 128);
  CHECK(absorb.gemm->m == 32);
  CHECK(absorb.gemm->k == 128);
  CHECK(absorb.gemm->n == 512);
  const OpCost& attention = op(ops, "core_attention");
  CHECK(attention.flops == Approx(2.0 * 32 * 128 * 4096 * 1088).epsilon(1e-12));
  CHECK(attention.bytes == 150'994'944 + 8'912'896);
  REQUIRE(attention.attention.has_value());
  CHECK(attention.attention->kv_heads == 1);
  CHECK(attention.attention->qk_dim == 576);
  CHECK(attention.attention->v_dim == 512);
  CHECK(has(ops, "v_absorb"));
}

TEST_CASE("op costs: GQA decode reads the KV cache Table 1 of Zhao et al. sizes", "[workloads]") {
  // LLaMA-3.1-405B caches 516,096 B per token over 126 layers (Table 1), 4,096 B per layer: 2 x 8 KV heads x 128
  // x 2 B. One sequence, one new token, 1000 cached: the cache read is 4,096,000 B, plus q and o 2 x 128 x 128 x 2
  // = 65,536 B.
  const ModelConfig llama = model("llama3.1-405b");
  LayerBatch batch = unsharded_batch(llama, 1, 1);
  batch.kv_len = 1000;
  const OpCost attention = op(layer_ops(llama, 0, batch, Precision::bf16(), Pass::forward), "core_attention");
  CHECK(kv_cache_bytes_per_token(llama, 2) / 126 == 4'096);
  CHECK(attention.bytes == 4'096'000 + 65'536);
  CHECK(attention.flops == Approx(2.0 * 128 * 1000 * 256).epsilon(1e-12));
}

TEST_CASE("op costs: an MTP module is a projection, one MoE block and the shared head", "[workloads]") {
  // [R] 2.2: RMSNorm the hidden state and the next token's embedding, project 2h -> h (256 x 2 -> 256 in the test
  // model), run one transformer block, predict through the shared head. Names carry the depth k = 1.
  const ModelConfig small = model("small-moe");
  const LayerBatch batch = unsharded_batch(small, 1, 64);
  const auto ops = mtp_ops(small, 0, batch, Precision::v3_fp8(), Pass::forward);
  const OpCost& proj = op(ops, "mtp1.proj");
  CHECK(proj.gemm->k == 512);
  CHECK(proj.gemm->n == 256);
  CHECK(proj.part == LayerPart::embedding);
  CHECK(op(ops, "mtp1.experts.up_gate").part == LayerPart::mlp);
  CHECK(op(ops, "mtp1.core_attention").part == LayerPart::attention);
  CHECK(op(ops, "mtp1.head").part == LayerPart::head);
  CHECK(ops.front().name == "mtp1.embedding");
  CHECK(ops.back().name == "mtp1.cross_entropy");
  CHECK(to_string(Pass::backward_weight) == "backward_weight");
  CHECK(parse_layer_part("mlp") == LayerPart::mlp);
  CHECK_FALSE(parse_pass("sideways").has_value());
}

TEST_CASE("op costs: a batch that cannot run is a broken invariant with a message", "[workloads]") {
  // Generators build LayerBatch; a wrong one is a bug in dsim, reported by DSIM_CHECK (InternalError).
  const ModelConfig small = model("small-moe");
  LayerBatch decode = unsharded_batch(small, 4, 1);
  decode.kv_len = 100;
  CHECK_THROWS_WITH(layer_ops(small, 1, decode, Precision::v3_fp8(), Pass::backward_input),
                    Catch::Contains("decode (kv_len 100) has no backward"));
  LayerBatch ragged = unsharded_batch(small, 1, 64);
  ragged.tokens = 100;
  CHECK_THROWS_WITH(layer_ops(small, 0, ragged, Precision::v3_fp8(), Pass::forward),
                    Catch::Contains("a layer batch needs whole sequences: 100 tokens of length 64"));
  LayerBatch no_experts = unsharded_batch(small, 1, 64);
  no_experts.local_experts = 0;
  CHECK_THROWS_WITH(layer_ops(small, 1, no_experts, Precision::v3_fp8(), Pass::forward),
                    Catch::Contains("256 routed tokens but 0 local experts"));
  CHECK_THROWS_WITH(layer_ops(small, 4, unsharded_batch(small, 1, 64), Precision::v3_fp8(), Pass::forward),
                    Catch::Contains("layer 4 outside [0, 4)"));
}

}  // namespace dsim::workloads
