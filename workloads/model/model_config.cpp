// SPDX-License-Identifier: Apache-2.0
// Sources: the models' public config.json files on Hugging Face ([C] deepseek-ai/DeepSeek-V3, deepseek-ai/
// DeepSeek-V2, Qwen/Qwen2.5-72B, meta-llama/Llama-3.1-405B) and the DeepSeek-V3 technical report [R].
#include "workloads/model/model_config.hpp"

#include <array>
#include <string>
#include <utility>

namespace dsim::workloads {
namespace {

ModelConfig base_config(std::string name, std::string source, int hidden, int layers, int vocab, int heads) {
  ModelConfig c;
  c.name = std::move(name);
  c.source = std::move(source);
  c.hidden = hidden;
  c.layers = layers;
  c.vocab = vocab;
  c.heads = heads;
  return c;
}

// DeepSeek-V2 and V3 share their MLA shape: 128 heads, q rank 1536, kv rank 512, head dims 128 + 64 (RoPE), v 128.
ModelConfig deepseek_mla(std::string name, std::string source, int hidden, int layers, int vocab) {
  ModelConfig c = base_config(std::move(name), std::move(source), hidden, layers, vocab, 128);
  c.attention = AttentionKind::mla;
  c.q_lora_rank = 1536;
  c.kv_lora_rank = 512;
  c.qk_nope_head_dim = 128;
  c.qk_rope_head_dim = 64;
  c.v_head_dim = 128;
  return c;
}

ModelConfig deepseek_v3() {
  ModelConfig c = deepseek_mla("deepseek-v3", "[C] DeepSeek-V3 config.json; [R] section 4.2", 7168, 61, 129280);
  c.dense_layers = 3;  // first_k_dense_replace
  c.dense_intermediate = 18432;
  c.routed_experts = 256;
  c.shared_experts = 1;
  c.experts_per_token = 8;
  c.expert_intermediate = 2048;
  c.expert_groups = 8;
  c.topk_groups = 4;
  c.mtp_modules = 1;
  return c;
}

ModelConfig deepseek_v2() {
  ModelConfig c = deepseek_mla("deepseek-v2", "[C] DeepSeek-V2 config.json", 5120, 60, 102400);
  c.dense_layers = 1;
  c.dense_intermediate = 12288;
  c.routed_experts = 160;
  c.shared_experts = 2;
  c.experts_per_token = 6;
  c.expert_intermediate = 1536;
  c.expert_groups = 8;
  c.topk_groups = 3;
  return c;
}

ModelConfig dense_gqa(std::string name, std::string source, int hidden, int layers, int vocab, int heads,
                      int kv_heads, int intermediate) {
  ModelConfig c = base_config(std::move(name), std::move(source), hidden, layers, vocab, heads);
  c.attention = AttentionKind::gqa;
  c.kv_heads = kv_heads;
  c.head_dim = hidden / heads;
  c.dense_layers = layers;
  c.dense_intermediate = intermediate;
  return c;
}

// A tiny DeepSeek-V3-shaped MoE for fast tests: every feature of V3 (MLA with a q rank, a dense first layer,
// shared + routed experts with group-limited routing, one MTP module) at sizes a test runs in microseconds.
ModelConfig small_moe() {
  ModelConfig c = base_config("small-moe", "dsim test model", 256, 4, 1024, 4);
  c.attention = AttentionKind::mla;
  c.q_lora_rank = 64;
  c.kv_lora_rank = 32;
  c.qk_nope_head_dim = 32;
  c.qk_rope_head_dim = 16;
  c.v_head_dim = 32;
  c.dense_layers = 1;
  c.dense_intermediate = 512;
  c.routed_experts = 16;
  c.shared_experts = 1;
  c.experts_per_token = 4;
  c.expert_intermediate = 128;
  c.expert_groups = 4;
  c.topk_groups = 2;
  c.mtp_modules = 1;
  return c;
}

const std::array<ModelConfig, 5>& configs() {
  static const std::array<ModelConfig, 5> all = {
      deepseek_v3(),
      deepseek_v2(),
      dense_gqa("qwen2.5-72b", "[C] Qwen2.5-72B config.json", 8192, 80, 152064, 64, 8, 29568),
      dense_gqa("llama3.1-405b", "[C] Llama-3.1-405B config.json", 16384, 126, 128256, 128, 8, 53248),
      small_moe(),
  };
  return all;
}

}  // namespace

std::uint64_t kv_cache_bytes_per_token(const ModelConfig& config, int bytes_per_element) {
  const auto layers = static_cast<std::uint64_t>(config.layers);
  const auto bytes = static_cast<std::uint64_t>(bytes_per_element);
  if (config.attention == AttentionKind::mla) {
    return static_cast<std::uint64_t>(config.kv_lora_rank + config.qk_rope_head_dim) * layers * bytes;
  }
  return 2 * static_cast<std::uint64_t>(config.kv_heads) * static_cast<std::uint64_t>(config.head_dim) * layers *
         bytes;
}

std::span<const ModelConfig> model_configs() { return configs(); }

std::optional<ModelConfig> find_model_config(std::string_view name) {
  for (const ModelConfig& c : configs()) {
    if (c.name == name) return c;
  }
  return std::nullopt;
}

}  // namespace dsim::workloads
