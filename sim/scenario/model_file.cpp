// SPDX-License-Identifier: Apache-2.0
#include "sim/scenario/model_file.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sim/core/errors.hpp"
#include "sim/scenario/json_source.hpp"

namespace dsim::scenario {
namespace {

class Keys {
 public:
  Keys(const nlohmann::json& root, std::string file) : root_(root), file_(std::move(file)) {}

  bool has(const char* key) const { return root_.contains(key) && !root_.at(key).is_null(); }

  int integer(const char* key) const {
    if (!root_.contains(key)) throw InputError(file_, fmt::format("/{}", key), "missing: the model needs it");
    return checked(key, root_.at(key));
  }
  int integer_or(const char* key, int fallback) const { return has(key) ? checked(key, root_.at(key)) : fallback; }

 private:
  int checked(const char* key, const nlohmann::json& v) const {
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 100'000'000) {
      throw InputError(file_, fmt::format("/{}", key),
                       fmt::format("expected a non-negative integer, got {}", describe_json_value(v)));
    }
    return static_cast<int>(v.get<std::int64_t>());
  }

  const nlohmann::json& root_;
  std::string file_;
};

}  // namespace

workloads::ModelConfig read_model_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file.string(), "", "cannot read the model config file");
  std::stringstream text;
  text << in.rdbuf();
  const JsonParseResult parsed = parse_json_strict(text.str());
  if (!parsed.value) throw InputError(file.string(), parsed.where, parsed.message);
  if (!parsed.value->is_object()) throw InputError(file.string(), "", "a model config is a JSON object");
  const Keys k(*parsed.value, file.string());

  // Shapes dsim does not model are refused rather than read as something else.
  for (const char* key : {"num_local_experts", "num_experts"}) {
    if (k.has(key)) {
      throw InputError(file.string(), fmt::format("/{}", key),
                       "only DeepSeekMoE's expert keys (n_routed_experts, ...) are read; this MoE layout is not "
                       "modelled");
    }
  }
  if (parsed.value->value("tie_word_embeddings", false)) {
    throw InputError(file.string(), "/tie_word_embeddings",
                     "tied input and output embeddings are not modelled (dsim counts them as two matrices)");
  }
  workloads::ModelConfig c;
  c.name = file.stem().string();
  c.source = file.string();
  c.hidden = k.integer("hidden_size");
  c.layers = k.integer("num_hidden_layers");
  c.vocab = k.integer("vocab_size");
  c.heads = k.integer("num_attention_heads");
  c.dense_intermediate = k.integer("intermediate_size");
  if (k.has("kv_lora_rank")) {
    c.attention = workloads::AttentionKind::mla;
    c.q_lora_rank = k.integer_or("q_lora_rank", 0);
    c.kv_lora_rank = k.integer("kv_lora_rank");
    c.qk_nope_head_dim = k.integer("qk_nope_head_dim");
    c.qk_rope_head_dim = k.integer("qk_rope_head_dim");
    c.v_head_dim = k.integer("v_head_dim");
  } else {
    c.attention = workloads::AttentionKind::gqa;
    c.kv_heads = k.integer_or("num_key_value_heads", c.heads);
    if (c.heads == 0) throw InputError(file.string(), "/num_attention_heads", "a model needs attention heads");
    c.head_dim = k.integer_or("head_dim", c.hidden / c.heads);
  }
  if (k.has("n_routed_experts")) {
    c.routed_experts = k.integer("n_routed_experts");
    c.experts_per_token = k.integer("num_experts_per_tok");
    c.expert_intermediate = k.integer("moe_intermediate_size");
    c.shared_experts = k.integer_or("n_shared_experts", 0);
    c.dense_layers = k.integer_or("first_k_dense_replace", 0);
    c.expert_groups = k.integer_or("n_group", 1);
    c.topk_groups = k.integer_or("topk_group", 1);
  } else {
    c.dense_layers = c.layers;
  }
  c.mtp_modules = k.integer_or("num_nextn_predict_layers", 0);
  if (c.hidden == 0 || c.layers == 0 || c.heads == 0) {
    throw InputError(file.string(), "", "hidden_size, num_hidden_layers and num_attention_heads must be positive");
  }
  if (c.dense_layers > c.layers) {
    throw InputError(file.string(), "/first_k_dense_replace",
                     fmt::format("{} dense layers in a {}-layer model", c.dense_layers, c.layers));
  }
  return c;
}

}  // namespace dsim::scenario
