// SPDX-License-Identifier: Apache-2.0
// One inference step of an expert-parallel pool (prefill or decode) as a StepTrace: data-parallel attention on every
// rank, MoE dispatch and combine over one EP group, and DeepSeek's dual micro-batch overlap as two streams.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/dtype.hpp"
#include "sim/core/enum_names.hpp"
#include "workloads/model/model_config.hpp"
#include "workloads/model/op_costs.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::workloads::generators {

enum class InferencePhase : std::uint8_t { prefill, decode };
inline constexpr std::array<std::string_view, 2> inference_phase_names = {"prefill", "decode"};
constexpr std::string_view to_string(InferencePhase p) { return inference_phase_names[static_cast<std::size_t>(p)]; }
constexpr std::optional<InferencePhase> parse_inference_phase(std::string_view name) {
  return parse_enum<InferencePhase>(inference_phase_names, name);
}

struct InferenceSpec {
  InferencePhase phase = InferencePhase::decode;
  int ranks = 0;  // the pool: ranks 0..ranks-1 form one EP group; attention is data parallel (each rank runs it for
                  // its own requests)
  std::int64_t batch_per_rank = 0;  // decode: sequences per rank per step; prefill: prompt tokens per rank per step
                                    // (whole prompts: a multiple of context_len)
  std::int64_t context_len = 0;     // decode: KV length each new token attends to; prefill: the prompt length
  int micro_batches = 2;            // 2: dual micro-batch overlap; 1 turns it off
  int layers = 0;                   // the first `layers` layers; 0: all of the model's
  bool compute_hidden = false;      // speed-limit analysis: no compute ops, only communication and its order
  Precision precision = Precision::v3_fp8();
  // Decode with MTP drafts ([R] 5.4.3): the step verifies 1 + depth tokens per sequence and emits on average
  // 1 + acceptance x depth; each MTP module runs over the verified tokens to draft the next step's.
  int mtp_depth = 0;
  double mtp_acceptance = 0.0;
  int normal_sms = 20;  // SMs of prefill's normal kernels; decode's low-latency kernels take all while sending
  std::uint32_t routing_samples = 1;  // distinct routings, cycled over the (layer, micro-batch) MoE calls
  Dtype dispatch_payload = Dtype::fp8;
  Dtype combine_payload = Dtype::bf16;
};

// What one step produces, for TTFT, TPOT and throughput: a decode step of replayed length T gives
// TPOT = T / emitted_per_sequence and emitted_per_rank / T tokens/s per GPU; a prefill step's T is the TTFT of its
// prompts (queueing aside) and processed_per_rank / T its prompt tokens/s per GPU.
struct InferenceFigures {
  std::int64_t sequences_per_rank = 0;  // decode: sequences; prefill: prompts
  std::int64_t processed_per_rank = 0;  // tokens through the model: decode sequences x (1 + depth), prefill the
                                        // prompt tokens
  double emitted_per_sequence = 0.0;    // decode: 1 + acceptance x depth; prefill: 1 (the first output token)
  double emitted_per_rank() const { return static_cast<double>(sequences_per_rank) * emitted_per_sequence; }
};

// The first thing wrong with `spec` for `config` on a trace of `rank_count` ranks, as a message naming the field
// ("micro_batches must be 1 or 2, not 3"), or nothing.
std::optional<std::string> find_inference_problem(const ModelConfig& config, const InferenceSpec& spec,
                                                  int rank_count);

InferenceFigures inference_figures(const InferenceSpec& spec);

// The step on ranks 0..spec.ranks-1 of a trace of rank_count ranks. Every rank runs the same program on streams
// "compute" and "comm" (inference_program.cpp explains the order): one compute op per part of a layer and numeric
// format ("L12.mb1.attn0.fp8", "L12.mb1.gate", "MTP1.mb0.experts.bf16"), a collective op per dispatch and combine
// ("L12.mb1.dispatch"), the embedding and head once for the whole batch ("embed", "head", "MTP1.head"); all
// Phase::forward. Throws InputError with the problem find_inference_problem gives.
StepTrace make_inference_step(const ModelConfig& config, const InferenceSpec& spec, int rank_count);

}  // namespace dsim::workloads::generators
