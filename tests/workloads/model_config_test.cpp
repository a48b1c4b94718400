// SPDX-License-Identifier: Apache-2.0
// Model configs: the KV cache per token of Table 1 of [P] (Zhao et al., ISCA 2025), exactly, in BF16.
#include <catch2/catch.hpp>

#include "workloads/model/model_config.hpp"

namespace dsim::workloads {

TEST_CASE("model configs: KV cache per token reproduces Table 1 of Zhao et al. exactly", "[workloads]") {
  // DeepSeek-V3 (MLA): (512 + 64) x 61 layers x 2 B = 70,272 B. Qwen-2.5 72B (GQA): 2 x 8 KV heads x 128 x 80 layers
  // x 2 B = 327,680 B (4.66x). LLaMA-3.1 405B (GQA): 2 x 8 x 128 x 126 x 2 B = 516,096 B. The table prints 7.28x for
  // LLaMA, but its own bytes give 516,096 / 70,272 = 7.34x: the bytes are reproduced exactly and the ratio checked
  // as it follows from them (a slip in the paper's multiple, not a difference of model).
  const auto kv = [](std::string_view name) {
    const auto config = find_model_config(name);
    REQUIRE(config.has_value());
    return kv_cache_bytes_per_token(*config, 2);
  };
  CHECK(kv("deepseek-v3") == 70'272);
  CHECK(kv("qwen2.5-72b") == 327'680);
  CHECK(kv("llama3.1-405b") == 516'096);
  CHECK(static_cast<double>(kv("qwen2.5-72b")) / static_cast<double>(kv("deepseek-v3")) == Approx(4.66).margin(0.005));
  CHECK(static_cast<double>(kv("llama3.1-405b")) / static_cast<double>(kv("deepseek-v3")) ==
        Approx(7.344).margin(0.001));
}

TEST_CASE("model configs: DeepSeek-V3 has the published MoE shape", "[workloads]") {
  // [R]: 61 layers, the first 3 dense; 1 shared + 256 routed experts, 8 per token, 8 groups, top-4 groups; 1 MTP.
  const auto v3 = find_model_config("deepseek-v3");
  REQUIRE(v3.has_value());
  CHECK(v3->is_moe());
  CHECK(v3->moe_layers() == 58);
  CHECK(v3->routed_experts / v3->expert_groups == 32);
  CHECK(v3->topk_groups == 4);
  CHECK(v3->mtp_modules == 1);
  CHECK_FALSE(find_model_config("qwen2.5-72b")->is_moe());
  CHECK_FALSE(find_model_config("gpt-5").has_value());
}

}  // namespace dsim::workloads
