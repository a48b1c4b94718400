// SPDX-License-Identifier: Apache-2.0
// Which pieces of the model (embedding, transformer layers, MTP modules, output head) each pipeline stage holds.
// Which rank holds which stage is the schedule's business (DualPipe puts stages r and PP-1-r on rank r).
#pragma once

#include <string>
#include <vector>

#include "workloads/model/model_config.hpp"

namespace dsim::workloads {

struct StageContent {
  bool embedding = false;  // the input embedding (first stage)
  int first_layer = 0;     // layers [first_layer, first_layer + layer_count) of the main model
  int layer_count = 0;
  bool mtp = false;   // the model's mtp_modules multi-token-prediction modules (last stage)
  bool head = false;  // the final norm and output head (last stage)

  auto operator<=>(const StageContent&) const = default;
};

// Cuts the model into `stages` contiguous stages of balanced weight, counted in layers: each transformer layer and
// each MTP module weighs one, and so do the embedding and the output head. Why one each: the head's forward is
// 2 x hidden x vocab FLOPs per token (1.85 GFLOP for V3, some 1.2 MoE layers of activated compute) and the
// embedding, nearly free in FLOPs, holds as many unsharded parameters (and FP32 gradients) as the head; counting
// each as a layer is what Megatron-LM's account-for-embedding/loss-in-pipeline-split options do, and it reproduces
// the LLaMA 3 split (Dubey et al. 2024, 3.3.2: one layer fewer on the first and last stages). The MTP modules sit
// with the head on the last stage, because they share the output head ([R] 3.2.3).
// The embedding fixes one unit on the first stage and MTP plus head fix mtp_modules + 1 on the last; layers fill
// the stages up to a common level, and when the level cannot be met exactly the middle stages get the extra layer
// first, then the last, then the first (under 1F1B the first rank keeps the most micro-batches in flight).
// V3 (61 layers, 1 MTP, 64 units) on 16 stages: embedding + layers 0-2 | 4 layers x 14 | layers 59-60 + MTP + head.
// Throws InputError (source "layout", where "pp") when stages < 1 or a stage would be left empty.
std::vector<StageContent> split_stages(const ModelConfig& model, int stages);

// "embedding + layers 0-2", "layers 59-60 + mtp + head": for reports and messages.
std::string describe(const StageContent& stage);

}  // namespace dsim::workloads
