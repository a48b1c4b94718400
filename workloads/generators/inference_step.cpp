// SPDX-License-Identifier: Apache-2.0
// An inference step's program (inference_program.cpp) as trace ops: the rank's compute kernels on stream
// "compute", its dispatches and combines on stream "comm", with the dependencies CUDA events would give them.
#include "workloads/generators/inference_step.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/core/errors.hpp"
#include "workloads/generators/inference_program.hpp"

namespace dsim::workloads::generators {

std::optional<std::string> find_inference_problem(const ModelConfig& config, const InferenceSpec& spec,
                                                  int rank_count) {
  if (spec.ranks < 1) return fmt::format("ranks must be at least 1, not {}", spec.ranks);
  if (spec.ranks > rank_count) {
    return fmt::format("ranks ({}) exceed the {} ranks of the trace", spec.ranks, rank_count);
  }
  if (spec.batch_per_rank < 1) return fmt::format("batch_per_rank must be at least 1, not {}", spec.batch_per_rank);
  if (spec.context_len < 1) return fmt::format("context_len must be at least 1, not {}", spec.context_len);
  if (spec.micro_batches != 1 && spec.micro_batches != 2) {
    return fmt::format("micro_batches must be 1 or 2, not {}", spec.micro_batches);
  }
  if (spec.layers < 0 || spec.layers > config.layers) {
    return fmt::format("layers must be in [0, {}] for {}, not {}", config.layers, config.name, spec.layers);
  }
  if (spec.mtp_depth < 0 || spec.mtp_depth > config.mtp_modules) {
    return fmt::format("mtp_depth must be in [0, {}] for {}, not {}", config.mtp_modules, config.name,
                       spec.mtp_depth);
  }
  if (!(spec.mtp_acceptance >= 0.0 && spec.mtp_acceptance <= 1.0)) {
    return fmt::format("mtp_acceptance must be in [0, 1], not {}", spec.mtp_acceptance);
  }
  if (spec.normal_sms < 1) return fmt::format("normal_sms must be at least 1, not {}", spec.normal_sms);
  if (spec.routing_samples < 1) return std::string("routing_samples must be at least 1");
  if (spec.phase == InferencePhase::prefill) {
    // op_costs counts attention over whole prompts, and a micro-batch needs one at least.
    if (spec.batch_per_rank % spec.context_len != 0) {
      return fmt::format("prefill batch_per_rank ({}) must be whole prompts of context_len {}", spec.batch_per_rank,
                         spec.context_len);
    }
    if (spec.batch_per_rank / spec.context_len < spec.micro_batches) {
      return fmt::format("prefill needs a prompt per micro-batch: {} prompts for {} micro-batches",
                         spec.batch_per_rank / spec.context_len, spec.micro_batches);
    }
    if (spec.mtp_depth != 0) return std::string("mtp_depth applies to decode only");
  } else if (spec.batch_per_rank < spec.micro_batches) {
    return fmt::format("decode needs a sequence per micro-batch: batch_per_rank {} for {} micro-batches",
                       spec.batch_per_rank, spec.micro_batches);
  }
  return std::nullopt;
}

InferenceFigures inference_figures(const InferenceSpec& spec) {
  InferenceFigures f;
  if (spec.phase == InferencePhase::decode) {
    f.sequences_per_rank = spec.batch_per_rank;
    f.processed_per_rank = spec.batch_per_rank * (1 + spec.mtp_depth);
    f.emitted_per_sequence = 1.0 + spec.mtp_acceptance * spec.mtp_depth;
  } else {
    f.sequences_per_rank = spec.context_len > 0 ? spec.batch_per_rank / spec.context_len : 0;
    f.processed_per_rank = spec.batch_per_rank;
    f.emitted_per_sequence = 1.0;
  }
  return f;
}

StepTrace make_inference_step(const ModelConfig& config, const InferenceSpec& spec, int rank_count) {
  if (const auto problem = find_inference_problem(config, spec, rank_count)) {
    throw InputError("", "", fmt::format("cannot build the {} step: {}", to_string(spec.phase), *problem));
  }
  const detail::Program program = detail::build_program(config, spec);

  StepTrace trace(rank_count);
  const StreamId compute = trace.stream("compute");
  const StreamId comm = trace.stream("comm");
  std::vector<RankId> ranks;
  for (int r = 0; r < spec.ranks; ++r) ranks.push_back(RankId(static_cast<RankId::Value>(r)));
  const GroupId group = trace.add_group(ranks);
  std::vector<CallId> calls;
  for (const detail::ProgramComm& c : program.comms) {
    CollectiveCall call;
    call.kind = c.kind;
    call.group = group;
    call.moe = c.moe;
    calls.push_back(trace.add_call(call));
  }
  // Prefill's normal kernels keep their SMs through the overlapped layers (SGLang gives DeepGEMM the rest);
  // decode's low-latency kernels release them once their writes are issued.
  const int reserved_sms = spec.phase == InferencePhase::prefill ? spec.normal_sms : 0;

  std::vector<KernelMixId> mixes;  // by program item, shared by every rank
  for (const detail::ProgramItem& item : program.items) mixes.push_back(trace.add_kernel_mix(item.kernels));

  for (const RankId rank : ranks) {
    std::vector<OpId> issued(program.comms.size());
    OpId last_compute;
    // Waits the compute stream has passed that its next kernel, and its next issue, must still honour: a kernel
    // or issue after them is ordered behind them, and its stream's later ops behind it.
    std::vector<OpId> compute_waits;
    std::vector<OpId> issue_waits;
    for (std::size_t i = 0; i < program.items.size(); ++i) {
      const detail::ProgramItem& item = program.items[i];
      switch (item.kind) {
        case detail::ProgramItem::Kind::compute: {
          if (spec.compute_hidden) break;
          Op op;
          op.name = item.name;
          op.rank = rank;
          op.stream = compute;
          op.deps = std::exchange(compute_waits, {});
          op.flops = item.flops;
          op.dtype = item.dtype;
          op.bytes = Bytes(item.bytes);
          op.kernels = mixes[i];
          op.phase = Phase::forward;
          op.reserved_sms = item.overlapped ? reserved_sms : 0;
          last_compute = trace.add(std::move(op));
          break;
        }
        case detail::ProgramItem::Kind::issue: {
          Op op;
          op.name = program.comms[item.comm].name;
          op.rank = rank;
          op.kind = OpKind::collective;
          op.stream = comm;
          op.call = calls[item.comm];
          op.deps = std::exchange(issue_waits, {});
          if (last_compute.valid()) op.deps.push_back(last_compute);
          op.phase = Phase::forward;
          issued[item.comm] = trace.add(std::move(op));
          break;
        }
        case detail::ProgramItem::Kind::wait:
          compute_waits.push_back(issued[item.comm]);
          issue_waits.push_back(issued[item.comm]);
          break;
      }
    }
  }
  return trace;
}

}  // namespace dsim::workloads::generators
