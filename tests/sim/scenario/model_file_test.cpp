// SPDX-License-Identifier: Apache-2.0
// Model configs read from config.json files: the shipped architecture files of the built-in models give exactly the
// built-in configs, and a bad file is refused naming the file and the key.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "sim/core/errors.hpp"
#include "sim/scenario/model_file.hpp"

namespace dsim::scenario {
namespace {

const std::filesystem::path configs = std::filesystem::path(DSIM_SOURCE_DIR) / "workloads/model/configs";

void check_same_architecture(const workloads::ModelConfig& a, const workloads::ModelConfig& b) {
  CHECK(a.hidden == b.hidden);
  CHECK(a.layers == b.layers);
  CHECK(a.vocab == b.vocab);
  CHECK(a.heads == b.heads);
  CHECK(a.attention == b.attention);
  CHECK(a.kv_heads == b.kv_heads);
  CHECK(a.head_dim == b.head_dim);
  CHECK(a.q_lora_rank == b.q_lora_rank);
  CHECK(a.kv_lora_rank == b.kv_lora_rank);
  CHECK(a.qk_nope_head_dim == b.qk_nope_head_dim);
  CHECK(a.qk_rope_head_dim == b.qk_rope_head_dim);
  CHECK(a.v_head_dim == b.v_head_dim);
  CHECK(a.dense_layers == b.dense_layers);
  CHECK(a.dense_intermediate == b.dense_intermediate);
  CHECK(a.routed_experts == b.routed_experts);
  CHECK(a.shared_experts == b.shared_experts);
  CHECK(a.experts_per_token == b.experts_per_token);
  CHECK(a.expert_intermediate == b.expert_intermediate);
  CHECK(a.expert_groups == b.expert_groups);
  CHECK(a.topk_groups == b.topk_groups);
  CHECK(a.mtp_modules == b.mtp_modules);
}

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("model file: each shipped config.json reads to the built-in model of the same name", "[scenario]") {
  for (const char* name : {"deepseek-v3", "deepseek-v2", "qwen2.5-72b", "llama3.1-405b"}) {
    INFO(name);
    const auto from_file = read_model_file(configs / (std::string(name) + ".json"));
    CHECK(from_file.name == name);
    check_same_architecture(from_file, *workloads::find_model_config(name));
  }
}

TEST_CASE("model file: a missing architecture key is refused naming the file and the key", "[scenario]") {
  const auto path = write_temp("dsim-model-missing.json", R"({"hidden_size": 4096, "num_hidden_layers": 32,
    "num_attention_heads": 32, "intermediate_size": 11008})");
  try {
    read_model_file(path);
    FAIL("accepted a config without vocab_size");
  } catch (const InputError& e) {
    CHECK(e.source() == path.string());
    CHECK(e.where() == "/vocab_size");
    CHECK(e.message() == "missing: the model needs it");
  }
}

TEST_CASE("model file: a key of the wrong type is refused with what was found", "[scenario]") {
  const auto path = write_temp("dsim-model-type.json", R"({"hidden_size": "big", "num_hidden_layers": 32,
    "num_attention_heads": 32, "intermediate_size": 11008, "vocab_size": 32000})");
  CHECK_THROWS_WITH(read_model_file(path), Catch::Contains("expected a non-negative integer"));
}

}  // namespace dsim::scenario

namespace dsim::scenario {

TEST_CASE("model file: an MoE layout dsim does not model is refused, not read as a dense model", "[scenario]") {
  // Mixtral's config names its experts num_local_experts; reading it with DeepSeek's keys would make it dense.
  const auto path = std::filesystem::temp_directory_path() / "dsim-model-mixtral.json";
  std::ofstream(path) << R"({"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
    "intermediate_size": 14336, "vocab_size": 32000, "num_local_experts": 8, "num_experts_per_tok": 2})";
  try {
    read_model_file(path);
    FAIL("read a Mixtral config");
  } catch (const InputError& e) {
    CHECK(e.where() == "/num_local_experts");
  }
}

}  // namespace dsim::scenario
