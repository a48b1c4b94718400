// SPDX-License-Identifier: Apache-2.0
// Parameter counts: totals and activated parameters of the built-in models against their model cards and reports.
#include <catch2/catch.hpp>

#include "tests/workloads/model_fixtures.hpp"

#include "workloads/model/model_config.hpp"
#include "workloads/model/param_count.hpp"

namespace dsim::workloads {
namespace {

using testing::model;

double billions(std::uint64_t n) { return static_cast<double>(n) / 1e9; }

}  // namespace

TEST_CASE("parameter counts: DeepSeek-V3 has 671B parameters, 685B with the MTP module as its card counts it",
          "[workloads]") {
  // h = 7168. MLA per layer: q_down 7168 x 1536 = 11,010,048; q_up 1536 x 128 x 192 = 37,748,736; kv_down
  // 7168 x 576 = 4,128,768; kv_up 512 x 128 x 256 = 16,777,216; o 16384 x 7168 = 117,440,512; sum 187,105,280.
  // Norms 2 x 7168 + 1536 + 512 = 16,384. Dense FFN 3 x 7168 x 18432 = 396,361,728. One expert 3 x 7168 x 2048 =
  // 44,040,192; 256 of them 11,274,289,152; shared 44,040,192; router 256 x 7168 = 1,835,008.
  // Dense layer 583,483,392; MoE layer 11,507,286,016. Embedding 129280 x 7168 = 926,679,040; head + final norm
  // 926,686,208. Total 3 x 583,483,392 + 58 x 11,507,286,016 + 926,679,040 + 926,686,208 = 671,026,404,352 ([R]:
  // 671B). MTP ([R] 2.2): 2 norms + 2h x h projection (102,760,448) + one MoE layer + head norm = 11,610,067,968,
  // so 682,636,472,320 with unique weights. The Hugging Face card's 685B (671B + 14B MTP) counts the copies of the
  // embedding and head its checkpoint stores again for the MTP layer: + 2 x 926,679,040 = 684,489,830,400 (its
  // safetensors also hold ~41M FP8 scales); checked against 685B within 0.1%.
  const ModelConfig v3 = model("deepseek-v3");
  CHECK(layer_parameters(v3, 0) == 583'483'392);
  CHECK(layer_parameters(v3, 3) == 11'507'286'016);
  CHECK(layer_expert_parameters(v3, 3) == 11'274'289'152);
  CHECK(layer_expert_parameters(v3, 2) == 0);
  CHECK(embedding_parameters(v3) == 926'679'040);
  CHECK(head_parameters(v3) == 926'686'208);
  CHECK(mtp_parameters(v3) == 11'610'067'968);
  const ParamTotals main = count_parameters(v3, false);
  CHECK(main.total == 671'026'404'352);
  CHECK(billions(main.total) == Approx(671.0).epsilon(0.001));
  const ParamTotals with_mtp = count_parameters(v3, true);
  CHECK(with_mtp.total == 682'636'472'320);
  const std::uint64_t checkpoint = with_mtp.total + embedding_parameters(v3) + embedding_parameters(v3);
  CHECK(billions(checkpoint) == Approx(685.0).epsilon(0.001));
}

TEST_CASE("parameter counts: DeepSeek-V3 activates about 37B parameters per token", "[workloads]") {
  // Per token: 61 x (187,105,280 + 16,384) attention and norms + 3 x 396,361,728 dense FFN + 58 x (9 experts x
  // 44,040,192 + 1,835,008 router) + embedding and head 1,853,365,248 = 37,552,282,624. [R] says 37B: 1.5% below,
  // as it rounds or leaves out the input embedding (without it 36.63B, 1.0% below); tolerance 2%.
  const ParamTotals v3 = count_parameters(model("deepseek-v3"), false);
  CHECK(v3.activated == 37'552'282'624);
  CHECK(billions(v3.activated) == Approx(37.0).epsilon(0.02));
}

TEST_CASE("parameter counts: DeepSeek-V2 has 236B parameters and 21B activated", "[workloads]") {
  // h = 5120. MLA 5120 x 1536 + 1536 x 128 x 192 + 5120 x 576 + 512 x 128 x 256 + 128 x 128 x 5120 = 149,225,472
  // (+ 12,288 norms). Dense FFN 3 x 5120 x 12288; one expert 3 x 5120 x 1536 = 23,592,960; 160 routed + 2 shared;
  // router 160 x 5120. One dense and 59 MoE layers, embedding and head 102400 x 5120 each: 235,741,434,880 in all
  // (236B, 0.1%); per token 6 routed + 2 shared experts: 21,375,800,320 (21B: 1.8% above, the same rounding as V3;
  // tolerance 2%).
  const ParamTotals v2 = count_parameters(model("deepseek-v2"), false);
  CHECK(v2.total == 235'741'434'880);
  CHECK(billions(v2.total) == Approx(236.0).epsilon(0.002));
  CHECK(v2.activated == 21'375'800'320);
  CHECK(billions(v2.activated) == Approx(21.0).epsilon(0.02));
}

TEST_CASE("parameter counts: the dense baselines match their model cards", "[workloads]") {
  // Qwen2.5-72B: 80 x (2 x 8192^2 + 2 x 8192 x 1024 + 3 x 8192 x 29568 + 2 x 8192) + 2 x 152064 x 8192 + 8192 =
  // 72,705,384,448; the card's 72.7B also holds 0.8M QKV biases, which dsim does not model (tolerance 0.05%).
  // LLaMA-3.1-405B: 126 x (2 x 16384^2 + 2 x 16384 x 1024 + 3 x 16384 x 53248 + 2 x 16384) + 2 x 128256 x 16384
  // + 16384 = 405,853,388,800, the 405.85B of its checkpoint. Dense: activated = total.
  const ParamTotals qwen = count_parameters(model("qwen2.5-72b"), true);
  CHECK(qwen.total == 72'705'384'448);
  CHECK(billions(qwen.total) == Approx(72.7).epsilon(0.0005));
  CHECK(qwen.activated == qwen.total);
  const ParamTotals llama = count_parameters(model("llama3.1-405b"), true);
  CHECK(llama.total == 405'853'388'800);
  CHECK(billions(llama.total) == Approx(405.9).epsilon(0.0005));
  CHECK(llama.activated == llama.total);
}

TEST_CASE("parameter counts: the small test MoE adds up by hand", "[workloads]") {
  // h = 256, 4 heads. MLA: q_down 256 x 64 = 16,384; q_up 64 x 4 x 48 = 12,288; kv_down 256 x 48 = 12,288;
  // kv_up 32 x 4 x 64 = 8,192; o 128 x 256 = 32,768: 81,920, norms 512 + 64 + 32 = 608. Dense FFN 3 x 256 x 512 =
  // 393,216 (layer 475,744). Expert 3 x 256 x 128 = 98,304: 16 routed 1,572,864 + 1 shared + router 16 x 256 = 4,096
  // (layer 1,757,792). Embedding 262,144, head 262,400. Total 475,744 + 3 x 1,757,792 + 524,544 = 6,273,664.
  // Activated MoE layer: 1,757,792 - 1,572,864 + 4 x 98,304 = 578,144; total 475,744 + 3 x 578,144 + 524,544 =
  // 2,734,720. MTP: 3 x 256 norms + 2 x 256^2 projection + one MoE layer = 1,889,632, activated 131,840 +
  // 578,144 = 709,984.
  const ModelConfig small = model("small-moe");
  const LayerParameters moe = layer_parameter_breakdown(small, 1);
  CHECK(moe.attention == 81'920);
  CHECK(moe.norms == 608);
  CHECK(moe.routed_experts == 1'572'864);
  CHECK(moe.shared_experts == 98'304);
  CHECK(moe.router == 4'096);
  CHECK(moe.activated(small.experts_per_token) == 578'144);
  CHECK(layer_parameters(small, 0) == 475'744);
  CHECK(count_parameters(small, false).total == 6'273'664);
  CHECK(count_parameters(small, false).activated == 2'734'720);
  CHECK(mtp_parameters(small) == 1'889'632);
  CHECK(count_parameters(small, true).total == 6'273'664 + 1'889'632);
  CHECK(count_parameters(small, true).activated == 2'734'720 + 131'840 + 578'144);
}

}  // namespace dsim::workloads
