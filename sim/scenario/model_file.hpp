// SPDX-License-Identifier: Apache-2.0
// A model from its public config.json (the Hugging Face format DeepSeek, Qwen and Meta publish), so a user can run any
// model of the supported shapes without a built-in entry: /workload/model/config_file.
#pragma once

#include <filesystem>

#include "workloads/model/model_config.hpp"

namespace dsim::scenario {

// Reads the architecture keys of a config.json and ignores the rest (tokenizer, dtype and serving keys are not dsim's
// to judge). Keys read, by kind:
//   all: hidden_size, num_hidden_layers, vocab_size, num_attention_heads, intermediate_size
//   MLA (kv_lora_rank present): q_lora_rank (null: uncompressed queries), kv_lora_rank, qk_nope_head_dim,
//     qk_rope_head_dim, v_head_dim
//   GQA otherwise: num_key_value_heads (default num_attention_heads), head_dim (default hidden / heads)
//   MoE (n_routed_experts present and not null): n_routed_experts, num_experts_per_tok, moe_intermediate_size,
//     n_shared_experts (default 0), first_k_dense_replace (default 0), n_group, topk_group (default 1)
//   num_nextn_predict_layers: MTP modules (default 0)
// Refused: other MoE layouts (num_local_experts, num_experts) and tied embeddings, which would be read wrong.
// Throws InputError naming the file and the JSON pointer (or line and column) of a missing or ill-typed key.
workloads::ModelConfig read_model_file(const std::filesystem::path& file);

}  // namespace dsim::scenario
