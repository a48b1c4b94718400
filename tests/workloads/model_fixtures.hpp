// SPDX-License-Identifier: Apache-2.0
// What the workloads tests share: a built-in model by name, and DeepSeek-V3's production layout.
#pragma once

#include <catch2/catch.hpp>

#include <string_view>

#include "workloads/layout/parallel_layout.hpp"
#include "workloads/model/model_config.hpp"

namespace dsim::testing {

inline workloads::ModelConfig model(std::string_view name) {
  const auto config = workloads::find_model_config(name);
  REQUIRE(config.has_value());
  return *config;
}

// [R] 3.2: 2,048 GPUs, PP16, EP64, ZeRO-1 DP, DualPipe (two stages per rank); 15,360 sequences of 4,096 tokens per
// step. The micro-batch of one sequence is our assumption (the report does not give it).
inline workloads::LayoutSpec v3_layout_spec() {
  workloads::LayoutSpec spec;
  spec.gpus = 2048;
  spec.pp = 16;
  spec.ep = 64;
  spec.chunks_per_rank = 2;
  spec.global_batch = 15360;
  spec.micro_batch = 1;
  spec.seq_len = 4096;
  return spec;
}

}  // namespace dsim::testing
