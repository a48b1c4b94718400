// SPDX-License-Identifier: Apache-2.0
// Stage split: DeepSeek-V3 on 16 and 32 stages, LLaMA-3.1 405B on 16, balance over every stage count, errors.
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/workloads/model_fixtures.hpp"

#include "tests/sim/scenario/input_error_of.hpp"
#include "workloads/layout/stage_split.hpp"

namespace dsim::workloads {
namespace {

using testing::input_error_of;

using testing::model;

// Layer units a stage weighs: its layers, one for the embedding, one per MTP module, one for the head.
int units(const ModelConfig& m, const StageContent& s) {
  return s.layer_count + (s.embedding ? 1 : 0) + (s.mtp ? m.mtp_modules : 0) + (s.head ? 1 : 0);
}

}  // namespace

TEST_CASE("stage split: DeepSeek-V3 on 16 stages puts 3 layers beside the embedding and 2 beside MTP and head",
          "[workloads]") {
  // 61 layers + embedding + MTP + head = 64 units = 16 x 4: the first stage holds the embedding and layers 0-2 (the
  // three dense layers), stages 1-14 hold 4 MoE layers each (as in DeepSeek's public training profile, where a
  // DualPipe chunk is 4 MoE layers), the last holds layers 59-60, the MTP module and the head.
  const ModelConfig v3 = model("deepseek-v3");
  const std::vector<StageContent> stages = split_stages(v3, 16);
  REQUIRE(stages.size() == 16);
  CHECK(describe(stages[0]) == "embedding + layers 0-2");
  CHECK(describe(stages[1]) == "layers 3-6");
  CHECK(describe(stages[14]) == "layers 55-58");
  CHECK(describe(stages[15]) == "layers 59-60 + mtp + head");
  for (int s = 1; s < 15; ++s) CHECK(stages[static_cast<std::size_t>(s)].layer_count == 4);
  for (const StageContent& s : stages) CHECK(units(v3, s) == 4);
}

TEST_CASE("stage split: DeepSeek-V3 on 32 stages (DualPipeV) leaves MTP and head a stage of their own",
          "[workloads]") {
  // 64 units / 32 stages = 2: embedding + layer 0, then 30 stages of 2 layers (layers 1-60), then MTP + head.
  const std::vector<StageContent> stages = split_stages(model("deepseek-v3"), 32);
  REQUIRE(stages.size() == 32);
  CHECK(describe(stages[0]) == "embedding + layer 0");
  CHECK(describe(stages[1]) == "layers 1-2");
  CHECK(describe(stages[30]) == "layers 59-60");
  CHECK(describe(stages[31]) == "mtp + head");
}

TEST_CASE("stage split: LLaMA-3.1 405B on 16 stages has one layer fewer on the first and last", "[workloads]") {
  // 126 layers + embedding + head = 128 units = 16 x 8: 7 layers beside the embedding, 8 on each middle stage,
  // 7 beside the head; the LLaMA 3 report (3.3.2) balances its pipeline the same way.
  const std::vector<StageContent> stages = split_stages(model("llama3.1-405b"), 16);
  CHECK(describe(stages[0]) == "embedding + layers 0-6");
  CHECK(describe(stages[1]) == "layers 7-14");
  CHECK(describe(stages[15]) == "layers 119-125 + head");
  CHECK(split_stages(model("qwen2.5-72b"), 1) ==
        std::vector<StageContent>{{.embedding = true, .first_layer = 0, .layer_count = 80, .mtp = false,
                                   .head = true}});
}

TEST_CASE("stage split: every stage count gives contiguous layers and loads within one unit", "[workloads]") {
  // For each model and 1..(layers + 2) stages: the layers come in order, each exactly once, and when the fixed
  // pieces fit under the common level (always, for these models, up to 32 stages) no stage outweighs another by
  // more than one unit.
  for (std::string_view name : {"deepseek-v3", "deepseek-v2", "qwen2.5-72b", "llama3.1-405b"}) {
    const ModelConfig m = model(name);
    const int max_stages = m.layers + 2;
    for (int count = 1; count <= max_stages; ++count) {
      CAPTURE(name, count);
      std::vector<StageContent> stages;
      try {
        stages = split_stages(m, count);
      } catch (const InputError&) {
        continue;  // too many stages: checked in the next test
      }
      int next = 0;
      int lightest = 1 << 30;
      int heaviest = 0;
      for (const StageContent& s : stages) {
        CHECK(s.first_layer == next);
        next += s.layer_count;
        lightest = std::min(lightest, units(m, s));
        heaviest = std::max(heaviest, units(m, s));
      }
      CHECK(next == m.layers);
      CHECK(stages.front().embedding);
      CHECK(stages.back().head);
      if (count <= 32) CHECK(heaviest - lightest <= 1);
    }
  }
}

TEST_CASE("stage split: more stages than pieces to fill them is refused with the fix", "[workloads]") {
  // V3 fills at most 63 stages: the embedding alone, 61 layers one per stage, MTP + head; a 64th would be empty.
  const ModelConfig v3 = model("deepseek-v3");
  CHECK(split_stages(v3, 63).size() == 63);
  InputError e = input_error_of([&] { split_stages(v3, 64); });
  CHECK(e.source() == "layout");
  CHECK(e.where() == "pp");
  CHECK(e.message() == "deepseek-v3 has 61 layers, too few to give each of 64 pipeline stages a layer; lower pp");
  e = input_error_of([&] { split_stages(v3, 0); });
  CHECK(e.message() == "the model needs at least one pipeline stage, got 0");
}

}  // namespace dsim::workloads
