// SPDX-License-Identifier: Apache-2.0
// Architecture of a transformer model, field for field as its public config.json gives it: the input every per-op
// cost, memory figure and step generator of issue 6 starts from. Built-in configs (model_configs()) carry their
// sources; a scenario will be able to name one and override fields, as it does for node templates.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dsim::workloads {

// How attention keeps its keys and values: MLA caches one compressed latent (kv_lora_rank) plus the decoupled RoPE
// key per token and layer; GQA caches a key and a value per KV head.
enum class AttentionKind : std::uint8_t { mla, gqa };

struct ModelConfig {
  std::string name;
  std::string source;  // where the numbers come from
  int hidden = 0;
  int layers = 0;
  int vocab = 0;
  int heads = 0;
  AttentionKind attention = AttentionKind::gqa;
  // GQA
  int kv_heads = 0;
  int head_dim = 0;
  // MLA
  int q_lora_rank = 0;  // 0: queries are not compressed
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
  // FFN: dense layers first, then MoE layers (moe_layers() of them)
  int dense_layers = 0;             // layers with a dense FFN (all of them for a dense model)
  int dense_intermediate = 0;       // dense FFN width
  int routed_experts = 0;           // 0: a dense model
  int shared_experts = 0;
  int experts_per_token = 0;        // routed experts each token uses (top-k)
  int expert_intermediate = 0;      // width of one expert's FFN
  int expert_groups = 1;            // node-limited routing: groups (n_group) ...
  int topk_groups = 1;              // ... and how many a token may use (topk_group)
  int mtp_modules = 0;              // multi-token-prediction depth

  bool is_moe() const { return routed_experts > 0; }
  int moe_layers() const { return layers - dense_layers; }
};

// Bytes of KV cache one token adds across all layers, at `bytes_per_element` (2 for BF16):
//   MLA: (kv_lora_rank + qk_rope_head_dim) x layers x bytes
//   GQA: 2 (key and value) x kv_heads x head_dim x layers x bytes
// The MTP module's cache is not counted, as Table 1 of [P] does not count it.
std::uint64_t kv_cache_bytes_per_token(const ModelConfig& config, int bytes_per_element);

// The built-in configs: deepseek-v3, deepseek-v2, qwen2.5-72b, llama3.1-405b, and small-moe (a tiny V3-shaped
// model for tests).
std::span<const ModelConfig> model_configs();
std::optional<ModelConfig> find_model_config(std::string_view name);

}  // namespace dsim::workloads
