// SPDX-License-Identifier: Apache-2.0
// Stage split: fill pipeline stages with contiguous layers up to a common weight, embedding and head counted as
// one layer each (the rule and its reasons are in stage_split.hpp).
#include "workloads/layout/stage_split.hpp"

#include <algorithm>
#include <cstddef>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"

namespace dsim::workloads {
namespace {

// Stage indices in the order they receive a layer left over once every stage is filled to one below the level:
// the middle stages, then the last, then the first.
std::vector<int> extra_layer_order(int stages) {
  std::vector<int> order;
  for (int s = 1; s + 1 < stages; ++s) order.push_back(s);
  if (stages > 1) order.push_back(stages - 1);
  order.push_back(0);
  return order;
}

}  // namespace

std::vector<StageContent> split_stages(const ModelConfig& model, int stages) {
  if (stages < 1) {
    throw InputError("layout", "pp", fmt::format("the model needs at least one pipeline stage, got {}", stages));
  }
  DSIM_CHECK(model.layers >= 1 && model.mtp_modules >= 0, "model {} has {} layers and {} MTP modules", model.name,
             model.layers, model.mtp_modules);
  const auto count = static_cast<std::size_t>(stages);
  // Weight fixed on each stage before any layer: the embedding on the first, MTP modules and head on the last.
  std::vector<int> fixed(count, 0);
  fixed.front() += 1;
  fixed.back() += model.mtp_modules + 1;

  // The lowest level (in layer units) that the stages can hold all layers under.
  const auto room_below = [&](int level) {
    int room = 0;
    for (int f : fixed) room += std::max(0, level - f);
    return room;
  };
  int level = 1;
  while (room_below(level) < model.layers) ++level;

  std::vector<int> layers(count, 0);
  int placed = 0;
  for (std::size_t s = 0; s < count; ++s) {
    layers[s] = std::max(0, level - 1 - fixed[s]);
    placed += layers[s];
  }
  for (int s : extra_layer_order(stages)) {
    if (placed == model.layers) break;
    const auto i = static_cast<std::size_t>(s);
    if (level - fixed[i] > layers[i]) {
      ++layers[i];
      ++placed;
    }
  }
  DSIM_CHECK(placed == model.layers, "placed {} of {} layers", placed, model.layers);

  std::vector<StageContent> result(count);
  int next_layer = 0;
  for (std::size_t s = 0; s < count; ++s) {
    StageContent& stage = result[s];
    stage.embedding = s == 0;
    stage.first_layer = next_layer;
    stage.layer_count = layers[s];
    stage.mtp = s + 1 == count && model.mtp_modules > 0;
    stage.head = s + 1 == count;
    next_layer += layers[s];
    if (!stage.embedding && !stage.head && stage.layer_count == 0) {
      throw InputError("layout", "pp",
                       fmt::format("{} has {} layers, too few to give each of {} pipeline stages a layer; lower pp",
                                   model.name, model.layers, stages));
    }
  }
  return result;
}

std::string describe(const StageContent& stage) {
  std::vector<std::string> parts;
  if (stage.embedding) parts.emplace_back("embedding");
  if (stage.layer_count == 1) parts.push_back(fmt::format("layer {}", stage.first_layer));
  if (stage.layer_count > 1) {
    parts.push_back(fmt::format("layers {}-{}", stage.first_layer, stage.first_layer + stage.layer_count - 1));
  }
  if (stage.mtp) parts.emplace_back("mtp");
  if (stage.head) parts.emplace_back("head");
  return fmt::format("{}", fmt::join(parts, " + "));
}

}  // namespace dsim::workloads
