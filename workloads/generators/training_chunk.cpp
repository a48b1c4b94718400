// SPDX-License-Identifier: Apache-2.0
#include "workloads/generators/training_chunk.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace dsim::workloads::generators::detail {
namespace {

using schedules::ChunkPass;

void add_kernel(Segment& segment, const Kernel& kernel) {
  for (auto& [k, count] : segment.kernels) {
    if (k == kernel) {
      ++count;
      return;
    }
  }
  segment.kernels.emplace_back(kernel, 1);
}

// Sums ops of one part into one compute segment per numeric format, in the order formats first appear.
void add_compute(std::vector<Segment>& out, const std::vector<OpCost>& ops, LayerPart part, const std::string& name,
                 int layer) {
  const std::size_t first = out.size();
  for (const OpCost& op : ops) {
    if (op.part != part) continue;
    auto it = std::find_if(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                           [&](const Segment& s) { return s.dtype == op.dtype; });
    if (it == out.end()) {
      Segment s;
      s.name = fmt::format("{}.{}", name, to_string(op.dtype));
      s.layer = layer;
      s.dtype = op.dtype;
      out.push_back(std::move(s));
      it = out.end() - 1;
    }
    it->flops += op.flops;
    it->bytes += op.bytes;
    add_kernel(*it, kernel_of(op));
  }
}

Segment comm(Segment::Kind kind, const std::string& name, int layer, Dtype payload) {
  Segment s;
  s.kind = kind;
  s.name = name;
  s.layer = layer;
  s.payload = payload;
  return s;
}

// One block (a transformer layer or an MTP module's block) in one pass. `weights_after` appends each part's
// weight gradient right after it (full backward).
void add_block(std::vector<Segment>& out, const std::vector<OpCost>& ops, const std::vector<OpCost>& weight_ops,
               const std::string& prefix, int layer, bool moe, Pass pass, const ChunkShape& shape) {
  const bool backward = pass != Pass::forward;
  const auto part = [&](LayerPart p, const char* label) {
    add_compute(out, ops, p, fmt::format("{}.{}", prefix, label), layer);
    if (!weight_ops.empty()) add_compute(out, weight_ops, p, fmt::format("{}.{}.w", prefix, label), layer);
  };
  if (!backward) {
    part(LayerPart::attention, "attn");
    if (moe) out.push_back(comm(Segment::Kind::dispatch, prefix + ".dispatch", layer, shape.dispatch_payload));
    part(LayerPart::mlp, "mlp");
    if (moe) out.push_back(comm(Segment::Kind::combine, prefix + ".combine", layer, shape.combine_payload));
    return;
  }
  // [R] 3.3.3: the activation gradient before the MoE down-projections is quantized like the forward dispatch
  // (FP8 under the FP8 recipe); both combine directions stay BF16.
  if (moe) out.push_back(comm(Segment::Kind::dispatch, prefix + ".combine_grad", layer, shape.dispatch_payload));
  part(LayerPart::mlp, "mlp");
  if (moe) out.push_back(comm(Segment::Kind::combine, prefix + ".dispatch_grad", layer, shape.combine_payload));
  part(LayerPart::attention, "attn");
}

}  // namespace

std::vector<Segment> chunk_segments(const ModelConfig& config, const StageContent& stage, ChunkPass chunk_pass,
                                    const ChunkShape& shape) {
  std::vector<Segment> out;
  const LayerBatch& b = shape.batch;
  const Precision& p = shape.precision;
  if (chunk_pass == ChunkPass::backward_weight) {
    // Every weight gradient of the chunk, one segment per format: nothing waits for them but the optimizer.
    std::vector<OpCost> all;
    auto take = [&](std::vector<OpCost> ops) { all.insert(all.end(), ops.begin(), ops.end()); };
    if (stage.embedding) take(embedding_ops(config, b, p, Pass::backward_weight));
    for (int l = stage.first_layer; l < stage.first_layer + stage.layer_count; ++l) {
      take(layer_ops(config, l, b, p, Pass::backward_weight));
    }
    if (stage.mtp) {
      for (int m = 0; m < config.mtp_modules; ++m) take(mtp_ops(config, m, b, p, Pass::backward_weight));
    }
    if (stage.head) take(head_ops(config, b, p, Pass::backward_weight));
    for (const LayerPart part : {LayerPart::embedding, LayerPart::attention, LayerPart::mlp, LayerPart::head}) {
      add_compute(out, all, part, fmt::format("w.{}", to_string(part)), -1);
    }
    if (out.empty()) {
      Segment marker;
      marker.name = "nothing";
      out.push_back(std::move(marker));
    }
    return out;
  }
  const bool full = chunk_pass == ChunkPass::backward;
  const Pass pass = chunk_pass == ChunkPass::forward ? Pass::forward : Pass::backward_input;
  const auto w_of = [&](auto&& make) { return full ? make(Pass::backward_weight) : std::vector<OpCost>{}; };

  std::vector<std::vector<Segment>> pieces;  // in forward order; reversed for backward
  if (stage.embedding) {
    std::vector<Segment> s;
    add_compute(s, embedding_ops(config, b, p, pass), LayerPart::embedding, "embed", -1);
    if (full) add_compute(s, embedding_ops(config, b, p, Pass::backward_weight), LayerPart::embedding, "embed.w", -1);
    pieces.push_back(std::move(s));
  }
  for (int l = stage.first_layer; l < stage.first_layer + stage.layer_count; ++l) {
    std::vector<Segment> s;
    add_block(s, layer_ops(config, l, b, p, pass), w_of([&](Pass q) { return layer_ops(config, l, b, p, q); }),
              fmt::format("L{}", l), l, config.is_moe() && l >= config.dense_layers, pass, shape);
    pieces.push_back(std::move(s));
  }
  if (stage.mtp) {
    for (int m = 0; m < config.mtp_modules; ++m) {
      std::vector<Segment> s;
      const auto ops = mtp_ops(config, m, b, p, pass);
      const auto w = w_of([&](Pass q) { return mtp_ops(config, m, b, p, q); });
      const std::string prefix = fmt::format("mtp{}", m + 1);
      const auto outer = [&](LayerPart part, const char* label) {
        add_compute(s, ops, part, fmt::format("{}.{}", prefix, label), config.layers + m);
        if (full) add_compute(s, w, part, fmt::format("{}.{}.w", prefix, label), config.layers + m);
      };
      if (pass == Pass::forward) outer(LayerPart::embedding, "proj");
      if (pass != Pass::forward) outer(LayerPart::head, "head");
      add_block(s, ops, w, prefix, config.layers + m, config.is_moe(), pass, shape);
      if (pass == Pass::forward) outer(LayerPart::head, "head");
      if (pass != Pass::forward) outer(LayerPart::embedding, "proj");
      pieces.push_back(std::move(s));
    }
  }
  if (stage.head) {
    std::vector<Segment> s;
    add_compute(s, head_ops(config, b, p, pass), LayerPart::head, "head", -1);
    if (full) add_compute(s, head_ops(config, b, p, Pass::backward_weight), LayerPart::head, "head.w", -1);
    pieces.push_back(std::move(s));
  }
  if (pass != Pass::forward) std::reverse(pieces.begin(), pieces.end());
  for (auto& piece : pieces) out.insert(out.end(), piece.begin(), piece.end());
  // Segments without work (a part with no ops in this pass) are dropped.
  std::erase_if(out, [](const Segment& s) { return s.kind == Segment::Kind::compute && s.flops == 0 && s.bytes == 0; });
  if (out.empty()) {
    // A pass with no work (the embedding's backward_input): one empty op keeps the pipeline chained through it.
    Segment marker;
    marker.name = "nothing";
    out.push_back(std::move(marker));
  }
  return out;
}

}  // namespace dsim::workloads::generators::detail
