// SPDX-License-Identifier: Apache-2.0
// One optimizer step of pipeline-parallel MoE training (DeepSeek-V3's setting, [R] 3.2: PP x EP x ZeRO-1 DP, no
// tensor parallelism) as a StepTrace: every rank's schedule of chunk passes, each expanded into compute kernels and
// MoE dispatch/combine calls over its EP group, activations and gradients sent between pipeline stages, and at the
// end the ZeRO-1 gradient reduce-scatter, the optimizer update of the rank's shard and the parameter all-gather.
// Bubbles, exposed all-to-all and DualPipe's overlap come from replaying it, never from a formula.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/layout/memory_footprint.hpp"
#include "workloads/layout/parallel_layout.hpp"
#include "workloads/layout/stage_split.hpp"
#include "workloads/model/model_config.hpp"
#include "workloads/model/op_costs.hpp"
#include "workloads/schedules/pipeline_schedule.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::workloads::generators {

struct TrainingSpec {
  LayoutSpec layout;
  schedules::ScheduleKind schedule = schedules::ScheduleKind::dualpipe;
  Precision precision = Precision::v3_fp8();
  // SMs the communication kernels hold for the whole step ([R] 3.2.2: 20 of 132 on H800); compute gets the rest.
  int comm_sms = 20;
  Dtype dispatch_payload = Dtype::fp8;
  Dtype combine_payload = Dtype::bf16;
  // Distinct token routings, cycled over (layer, micro-batch): each is routed once per EP group shape.
  std::uint32_t routing_samples = 4;
  // Bytes per element of activations and their gradients sent between stages (BF16).
  int pipeline_bytes_per_element = 2;
  // ZeRO-1 at the end of the step: gradients reduce-scattered in this width (FP32 accumulation, [R] 3.3),
  // parameters all-gathered in BF16.
  int gradient_bytes_per_element = 4;
  bool data_parallel_sync = true;
};

// What the report needs besides the replay.
struct TrainingFigures {
  int microbatches = 0;             // per pipeline
  int stages = 0;                   // model stages (pp, or 2 x pp for DualPipeV)
  std::int64_t tokens_per_step = 0;
  double model_flops_per_token_causal = 0;  // Table 2 counting, causal attention
  double model_flops_per_token_full = 0;    // the same with non-causal attention (the usual MFU convention)
  std::vector<StageContent> stage_contents;
};

struct TrainingStep {
  StepTrace trace;
  TrainingFigures figures;
};

// Builds the step; throws InputError (source "layout" or "schedule", where naming the spec field) for a spec the
// layout or schedule refuse.
TrainingStep make_training_step(const ModelConfig& config, const TrainingSpec& spec);

// Memory of each pipeline rank (index = pipeline rank) at its schedule's peak: the stages it holds and the most
// micro-batches whose forward it has run and whose backward it has not (counted on its own order). Cheap: builds
// the layout and the schedule, not the trace.
struct PipelineRankMemory {
  MemoryFootprint footprint;
  int in_flight = 0;
  std::vector<int> stages;
};
std::vector<PipelineRankMemory> training_memory(const ModelConfig& config, const TrainingSpec& spec);

}  // namespace dsim::workloads::generators
