// SPDX-License-Identifier: Apache-2.0
// What one pipeline stage does for one micro-batch in one pass, as a chain of segments: compute kernels (one per
// layer part and numeric format) and MoE communication (dispatch, combine and their backward twins). Internal to
// generators/: training_step.cpp turns segments into trace ops on the ranks of a stage.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "workloads/layout/stage_split.hpp"
#include "workloads/model/model_config.hpp"
#include "workloads/model/op_costs.hpp"
#include "workloads/schedules/pipeline_schedule.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::workloads::generators::detail {

struct Segment {
  enum class Kind : std::uint8_t { compute, dispatch, combine };
  Kind kind = Kind::compute;
  std::string name;  // "L12.attn.fp8", "L12.dispatch", "mtp1.mlp.bf16", "head.bf16"
  int layer = -1;    // model layer (MTP module: layers + module), for routing samples; -1 for embedding / head
  // compute
  double flops = 0.0;
  Dtype dtype = Dtype::bf16;
  std::uint64_t bytes = 0;
  std::vector<std::pair<Kernel, std::uint32_t>> kernels;  // what runs, with repeat counts
  KernelMixId mix;  // the kernels as the trace's mix (set by the step generator when it first meets the segment)
  // dispatch / combine: the payload on the wire
  Dtype payload = Dtype::fp8;
};

struct ChunkShape {
  LayerBatch batch;  // one micro-batch on one GPU
  Precision precision;
  Dtype dispatch_payload = Dtype::fp8;  // forward dispatch and the combine's gradient (sent like a dispatch)
  Dtype combine_payload = Dtype::bf16;  // forward combine and the dispatch's gradient (sent like a combine)
};

// The segments of `stage` for `pass`, in execution order. Forward: per layer attention, dispatch, MLP, combine (a
// dense layer has no communication). backward_input: the reverse, with the gradient of the combine travelling like
// a dispatch (to the experts, in the dispatch payload: FP8 under V3's recipe, [R] 3.3.3) and the gradient of the
// dispatch like a combine (back to the token's rank, BF16). backward_weight: the weight-gradient GEMMs of the whole chunk, one segment per format (they need no
// communication). backward (1F1B's full backward): backward_input's segments, each layer part followed by its
// weight gradient.
std::vector<Segment> chunk_segments(const ModelConfig& config, const StageContent& stage, schedules::ChunkPass pass,
                                    const ChunkShape& shape);

}  // namespace dsim::workloads::generators::detail
