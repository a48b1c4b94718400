// SPDX-License-Identifier: Apache-2.0
// MFU follows the usual convention (PaLM, Megatron): model FLOPs per token (Table 2 of [P]'s counting: 6 x
// activated matmul weights including the output head, plus attention) x tokens per step, over step time x GPUs x
// the GPU's dense BF16 peak. It is given with causal attention FLOPs (what a causal model does) and with full
// attention FLOPs (what many published MFU figures count). GPU-hours per trillion tokens compare with [R]'s 180K.
#include "sim/report/workload_report.hpp"

#include <fmt/format.h>

namespace dsim::report {
namespace {

using Json = nlohmann::ordered_json;

double seconds(Time t) { return units::to_seconds(t); }
double gb(std::uint64_t bytes) { return static_cast<double>(bytes) / 1e9; }
double share(Time part, Time whole) { return whole.ps() > 0 ? static_cast<double>(part.ps()) / static_cast<double>(whole.ps()) : 0.0; }

struct TrainingNumbers {
  double step_s, tokens_per_s, tokens_per_day, mfu_causal, mfu_full, gpu_hours_per_trillion;
};

TrainingNumbers training_numbers(const RunView& run) {
  const auto& f = *run.run.figures.training;
  const double step = seconds(run.result().makespan);
  const double gpus = run.cluster.gpu_count();
  const double peak = run.cluster.spec().node.gpu.peak(Dtype::bf16);
  const double tokens = static_cast<double>(f.tokens_per_step);
  TrainingNumbers n{};
  n.step_s = step;
  n.tokens_per_s = tokens / step;
  n.tokens_per_day = n.tokens_per_s * 86400.0;
  n.mfu_causal = tokens * f.model_flops_per_token_causal / (step * gpus * peak);
  n.mfu_full = tokens * f.model_flops_per_token_full / (step * gpus * peak);
  n.gpu_hours_per_trillion = gpus * step / 3600.0 * 1e12 / tokens;
  return n;
}

// "name 1.2 s, other 0.3 s" for the non-zero entries of `times`, named by `names`.
template <std::size_t N>
std::string nonzero_times(const std::array<std::string_view, N>& names, const std::array<Time, N>& times) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (times[i].ps() == 0) continue;
    out += fmt::format("{}{} {:.4g} s", out.empty() ? "" : ", ", names[i], seconds(times[i]));
  }
  return out;
}

}  // namespace

Json breakdown_json(const StepBreakdown& b) {
  Json out;
  out["ranks"] = b.active_ranks;
  out["mean_compute_s"] = seconds(b.mean.compute);
  out["mean_exposed_comm_s"] = seconds(b.mean.exposed_comm);
  out["mean_overlapped_comm_s"] = seconds(b.mean.overlapped_comm);
  out["mean_bubble_s"] = seconds(b.mean.bubble);
  out["compute_share"] = share(b.mean.compute, b.step);
  out["exposed_comm_share"] = share(b.mean.exposed_comm, b.step);
  out["bubble_share"] = share(b.mean.bubble, b.step);
  Json& phases = out["mean_compute_by_phase_s"];
  for (std::size_t p = 0; p < workloads::phase_names.size(); ++p) {
    if (b.mean.compute_by_phase[p].ps() > 0) phases[std::string(workloads::phase_names[p])] = seconds(b.mean.compute_by_phase[p]);
  }
  Json& calls = out["mean_collective_time_s"];
  for (std::size_t k = 0; k < workloads::collective_op_names.size(); ++k) {
    if (b.mean.collective_time[k].ps() > 0) {
      calls[std::string(workloads::collective_op_names[k])] = seconds(b.mean.collective_time[k]);
    }
  }
  if (phases.is_null()) phases = Json::object();
  if (calls.is_null()) calls = Json::object();
  return out;
}

Json workload_json(const RunView& run) {
  const auto& figures = run.run.figures;
  if (figures.training) {
    const auto& f = *figures.training;
    const TrainingNumbers n = training_numbers(run);
    Json out;
    out["model"] = run.scenario.workload.model.name;
    out["microbatches_per_pipeline"] = f.microbatches;
    out["stages"] = f.stages;
    out["tokens_per_step"] = f.tokens_per_step;
    out["step_s"] = n.step_s;
    out["tokens_per_s"] = n.tokens_per_s;
    out["tokens_per_day"] = n.tokens_per_day;
    out["model_flops_per_token_causal"] = f.model_flops_per_token_causal;
    out["model_flops_per_token_full"] = f.model_flops_per_token_full;
    out["mfu_causal"] = n.mfu_causal;
    out["mfu_full_attention"] = n.mfu_full;
    out["mfu_peak"] = "dense BF16 peak of the GPU";
    out["gpu_hours_per_trillion_tokens"] = n.gpu_hours_per_trillion;
    Json memory = Json::array();
    for (std::size_t p = 0; p < figures.memory.size(); ++p) {
      const auto& m = figures.memory[p];
      memory.push_back({{"pipeline_rank", p},
                        {"stages", m.stages},
                        {"in_flight_microbatches", m.in_flight},
                        {"parameters_bytes", m.footprint.parameters},
                        {"gradients_bytes", m.footprint.gradients},
                        {"optimizer_bytes", m.footprint.optimizer},
                        {"activations_bytes", m.footprint.activations},
                        {"total_bytes", m.footprint.total}});
    }
    out["memory_per_gpu"] = std::move(memory);
    return out;
  }
  if (figures.inference) {
    const auto& f = *figures.inference;
    const auto& spec = run.scenario.workload.inference;
    const double step = seconds(run.result().makespan);
    const bool decode = spec.phase == workloads::generators::InferencePhase::decode;
    Json out;
    out["model"] = run.scenario.workload.model.name;
    out["phase"] = std::string(to_string(spec.phase));
    out["gpus"] = spec.ranks;
    out["step_s"] = step;
    out["sequences_per_gpu"] = f.sequences_per_rank;
    out["tokens_processed_per_gpu"] = f.processed_per_rank;
    if (decode) {
      out["emitted_per_sequence"] = f.emitted_per_sequence;
      out["tpot_s"] = step / f.emitted_per_sequence;
      out["tokens_per_s_per_sequence"] = f.emitted_per_sequence / step;
      out["output_tokens_per_s_per_gpu"] = f.emitted_per_rank() / step;
    } else {
      out["ttft_s"] = step;
      out["prompt_tokens_per_s_per_gpu"] = static_cast<double>(f.processed_per_rank) / step;
    }
    const double per_gpu = decode ? f.emitted_per_rank() / step : static_cast<double>(f.processed_per_rank) / step;
    out["tokens_per_s_per_node"] = per_gpu * run.cluster.spec().node.gpus;
    return out;
  }
  return nullptr;
}

std::string workload_text(const RunView& run, const StepBreakdown& b) {
  std::string text;
  const auto line = [&text](std::string s) { text += s + "\n"; };
  const auto& figures = run.run.figures;
  if (figures.training) {
    const auto& f = *figures.training;
    const TrainingNumbers n = training_numbers(run);
    line(fmt::format("training   {} on {} GPUs: {} micro-batches per pipeline, {} stages, {} tokens per step",
                     run.scenario.workload.model.name, run.cluster.gpu_count(), f.microbatches, f.stages,
                     f.tokens_per_step));
    line(fmt::format("step       {:.4f} s; {:.4g} tokens/s, {:.4g} tokens/day", n.step_s, n.tokens_per_s,
                     n.tokens_per_day));
    line(fmt::format("MFU        {:.1f}% (causal attention FLOPs), {:.1f}% (full attention); {:.1f} GFLOP per token, "
                     "of BF16 peak",
                     100 * n.mfu_causal, 100 * n.mfu_full, f.model_flops_per_token_causal / 1e9));
    line(fmt::format("cost       {:.1f}K GPU-hours per trillion tokens", n.gpu_hours_per_trillion / 1e3));
    std::size_t worst = 0;
    for (std::size_t p = 0; p < figures.memory.size(); ++p) {
      if (figures.memory[p].footprint.total > figures.memory[worst].footprint.total) worst = p;
    }
    if (!figures.memory.empty()) {
      const auto& m = figures.memory[worst].footprint;
      line(fmt::format("memory     {:.1f} GB per GPU at most (pipeline rank {}: parameters {:.1f}, gradients {:.1f}, "
                       "optimizer {:.1f}, activations {:.1f})",
                       gb(m.total), worst, gb(m.parameters), gb(m.gradients), gb(m.optimizer), gb(m.activations)));
    }
  }
  if (figures.inference) {
    const Json j = workload_json(run);
    if (j["phase"] == "decode") {
      line(fmt::format("decode     {} on {} GPUs, {} sequences per GPU: step {:.1f} us, TPOT {:.3f} ms, {:.1f} "
                       "tokens/s per sequence",
                       run.scenario.workload.model.name, j["gpus"].get<int>(), j["sequences_per_gpu"].get<long>(),
                       j["step_s"].get<double>() * 1e6, j["tpot_s"].get<double>() * 1e3,
                       j["tokens_per_s_per_sequence"].get<double>()));
      line(fmt::format("throughput {:.0f} output tokens/s per GPU, {:.0f} per node",
                       j["output_tokens_per_s_per_gpu"].get<double>(), j["tokens_per_s_per_node"].get<double>()));
    } else {
      line(fmt::format("prefill    {} on {} GPUs, {} prompt tokens per GPU: TTFT {:.3f} ms",
                       run.scenario.workload.model.name, j["gpus"].get<int>(),
                       j["tokens_processed_per_gpu"].get<long>(), j["ttft_s"].get<double>() * 1e3));
      line(fmt::format("throughput {:.0f} prompt tokens/s per GPU, {:.0f} per node",
                       j["prompt_tokens_per_s_per_gpu"].get<double>(), j["tokens_per_s_per_node"].get<double>()));
    }
  }
  line(fmt::format("breakdown  per rank (mean): compute {:.1f}%, exposed communication {:.1f}%, bubble {:.1f}%; "
                   "communication hidden under compute {:.4g} s",
                   100 * share(b.mean.compute, b.step), 100 * share(b.mean.exposed_comm, b.step),
                   100 * share(b.mean.bubble, b.step), seconds(b.mean.overlapped_comm)));
  const std::string phases = nonzero_times(workloads::phase_names, b.mean.compute_by_phase);
  if (!phases.empty()) line("phases     compute per rank (mean): " + phases);
  const std::string calls = nonzero_times(workloads::collective_op_names, b.mean.collective_time);
  if (!calls.empty()) line("calls      time in collectives per rank (mean, overlapping): " + calls);
  return text;
}

}  // namespace dsim::report
