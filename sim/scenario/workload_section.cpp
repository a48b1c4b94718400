// SPDX-License-Identifier: Apache-2.0
// Defaults reproduce DeepSeek-V3's pre-training ([R] 3.2, 4.2: PP16, EP64, ZeRO-1, DualPipe, 20 communication SMs,
// 4K sequences, batch 15,360) and its decode service ([R] 3.4: EP over the pool, dual micro-batch overlap,
// low-latency DeepEP kernels).
#include "sim/scenario/workload_section.hpp"

#include <array>
#include <filesystem>
#include <cctype>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/enum_names.hpp"
#include "sim/core/errors.hpp"
#include "sim/scenario/model_file.hpp"
#include "sim/scenario/router_section.hpp"
#include "workloads/layout/memory_footprint.hpp"
#include "workloads/layout/parallel_layout.hpp"
#include "workloads/schedules/pipeline_schedule.hpp"

namespace dsim::scenario {
namespace {

namespace gen = workloads::generators;
namespace moe = models::collectives::moe;

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& m : workloads::model_configs()) names.push_back(m.name);
  return names;
}

std::vector<std::string> schedule_names() {
  std::vector<std::string> names;
  for (const auto& s : workloads::schedules::schedule_kinds()) names.emplace_back(s.name);
  return names;
}

workloads::ModelConfig read_model(ObjectReader m, const std::string& scenario_dir) {
  const auto file = m.optional_string("config_file");
  if (file && m.has("name")) {
    throw m.error("config_file", "give the model by name or by config_file, not both");
  }
  workloads::ModelConfig config;
  if (file) {
    const std::filesystem::path path(*file);
    config = read_model_file(path.is_absolute() ? path : std::filesystem::path(scenario_dir) / path);
  } else {
    config = *workloads::find_model_config(m.choice("name"));
  }
  if (const auto layers = m.optional_integer("layers")) {
    if (*layers <= config.dense_layers && config.is_moe()) {
      throw m.error("layers", fmt::format("{} starts with {} dense layer{}; keep at least one MoE layer (layers > {})",
                                          config.name, config.dense_layers, config.dense_layers == 1 ? "" : "s",
                                          config.dense_layers));
    }
    config.layers = static_cast<int>(*layers);
    if (!config.is_moe()) config.dense_layers = config.layers;  // a dense model's layers are all dense
  }
  if (const auto mtp = m.optional_integer("mtp_modules")) config.mtp_modules = static_cast<int>(*mtp);
  m.finish();
  return config;
}

// The layout's spec fields that /workload/training spells differently.
// The generators' spec fields that /workload spells differently (training's layout, inference's spec).
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> scenario_spellings = {
    {{"global_batch", "global_batch_sequences"},
     {"micro_batch", "micro_batch_sequences"},
     {"batch_per_rank", "batch_per_gpu"},
     {"normal_sms", "comm_sms"}}};

bool identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Replaces each field name standing as a whole word with its scenario key.
std::string respell(const std::string& text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    for (const auto& [from, to] : scenario_spellings) {
      const std::size_t end = i + from.size();
      if (text.compare(i, from.size(), from) != 0) continue;
      if ((i > 0 && identifier_char(text[i - 1])) || (end < text.size() && identifier_char(text[end]))) continue;
      out += to;
      i = end;
      replaced = true;
      break;
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

// A generator's InputError names a spec field (its `where`); re-throw it at that key of `reader`'s object, in the
// scenario's spelling.
template <typename F>
auto at_key(ObjectReader& reader, F&& build) {
  try {
    return build();
  } catch (const InputError& e) {
    if (!e.source().empty() && e.source() != "layout" && e.source() != "schedule") throw;
    throw reader.error(respell(std::string(e.where())), respell(e.message()));
  }
}

gen::TrainingSpec read_training(ObjectReader t, const workloads::ModelConfig& model,
                                const topology::ClusterSpec& cluster) {
  gen::TrainingSpec spec;
  spec.layout.gpus = cluster.gpu_count();
  spec.layout.gpus_per_node = cluster.node.gpus;
  spec.layout.pp = static_cast<int>(t.integer("pp"));
  spec.layout.ep = static_cast<int>(t.integer("ep"));
  spec.layout.global_batch = t.integer("global_batch_sequences");
  spec.layout.micro_batch = t.integer("micro_batch_sequences");
  spec.layout.seq_len = t.integer("seq_len");
  spec.schedule = *workloads::schedules::parse_schedule_kind(t.choice("schedule"));
  spec.comm_sms = static_cast<int>(t.integer("comm_sms"));
  spec.routing_samples = static_cast<std::uint32_t>(t.integer("routing_samples"));
  spec.data_parallel_sync = t.boolean("data_parallel_sync");
  const std::string precision = t.choice("precision");
  spec.precision = precision == "fp8" ? workloads::Precision::v3_fp8() : workloads::Precision::bf16();
  spec.dispatch_payload = precision == "fp8" ? Dtype::fp8 : Dtype::bf16;
  if (spec.comm_sms >= cluster.node.gpu.sm_count) {
    throw t.error("comm_sms", fmt::format("{} SMs for communication leave none of the GPU's {} for compute",
                                          spec.comm_sms, cluster.node.gpu.sm_count));
  }
  if (!model.is_moe() && spec.layout.ep != 1) {
    throw t.error("ep", fmt::format("{} is dense: it has no experts to spread; set ep to 1", model.name));
  }
  // The layout and schedule refuse what cannot run, naming their field; memory is checked at each pipeline rank's
  // peak against the GPU's HBM.
  const auto memory = at_key(t, [&] { return gen::training_memory(model, spec); });
  const workloads::ParallelLayout layout = at_key(t, [&] {
    workloads::LayoutSpec l = spec.layout;
    l.chunks_per_rank =
        workloads::schedules::schedule_kinds()[static_cast<std::size_t>(spec.schedule)].chunks_per_rank;
    return workloads::ParallelLayout(l, model);
  });
  for (std::size_t p = 0; p < memory.size(); ++p) {
    if (const auto short_by = workloads::memory_shortfall(memory[p].footprint, layout,
                                                          cluster.node.gpu.hbm_capacity.count())) {
      throw t.error("pp", respell(fmt::format("pipeline rank {} does not fit: it {}", p, *short_by)));
    }
  }
  t.finish();
  return spec;
}

gen::InferenceSpec read_inference(ObjectReader i, const workloads::ModelConfig& model,
                                  const topology::ClusterSpec& cluster) {
  gen::InferenceSpec spec;
  spec.phase = *gen::parse_inference_phase(i.choice("phase"));
  spec.ranks = static_cast<int>(i.optional_integer("gpus").value_or(cluster.gpu_count()));
  if (spec.ranks > cluster.gpu_count()) {
    throw i.error("gpus", fmt::format("the pool of {} GPUs is larger than the cluster's {}", spec.ranks,
                                      cluster.gpu_count()));
  }
  spec.batch_per_rank = i.integer("batch_per_gpu");
  spec.context_len = i.integer("context_len");
  spec.micro_batches = static_cast<int>(i.integer("micro_batches"));
  spec.compute_hidden = i.boolean("compute_hidden");
  spec.mtp_depth = static_cast<int>(i.integer("mtp_depth"));
  spec.mtp_acceptance = i.number("mtp_acceptance");
  spec.normal_sms = static_cast<int>(i.integer("comm_sms"));
  spec.routing_samples = static_cast<std::uint32_t>(i.integer("routing_samples"));
  const std::string precision = i.choice("precision");
  spec.precision = precision == "fp8" ? workloads::Precision::v3_fp8() : workloads::Precision::bf16();
  spec.dispatch_payload = precision == "fp8" ? Dtype::fp8 : Dtype::bf16;
  if (spec.mtp_depth == 0 && i.has("mtp_acceptance")) {
    throw i.error("mtp_acceptance", "an acceptance rate needs MTP drafts; set mtp_depth");
  }
  if (spec.phase == gen::InferencePhase::prefill && i.has("mtp_depth")) {
    throw i.error("mtp_depth", "MTP drafts belong to decode; prefill emits the first token only");
  }
  if (spec.normal_sms >= cluster.node.gpu.sm_count) {
    throw i.error("comm_sms", fmt::format("{} SMs for communication leave none of the GPU's {} for compute",
                                          spec.normal_sms, cluster.node.gpu.sm_count));
  }
  if (const auto problem = gen::find_inference_problem(model, spec, cluster.gpu_count())) {
    throw i.error_here(respell(*problem));
  }
  i.finish();
  return spec;
}

}  // namespace

void declare_workload_params(ParamTable& t) {
  t.object("/workload", "What runs on the cluster; `dsim run` needs it, `dsim topo` does not.").optional();
  t.choice("/workload/kind", enum_names(workload_kind_names),
           "trace: an explicit per-rank list of ops in /workload/trace; training: one optimizer step of a built-in "
           "model generated from /workload/training; inference: one prefill or decode step from "
           "/workload/inference.")
      .defaults("trace");
  t.object("/workload/model", "training, inference: the model, a built-in config, optionally cut shorter.");
  t.choice("/workload/model/name", model_names(), "The built-in model (public configs; see workloads/model).")
      .defaults("deepseek-v3");
  t.string("/workload/model/config_file",
           "A model's public config.json (Hugging Face format; workloads/model/configs/ holds the built-in models' "
           "architecture keys), relative to the scenario file; instead of name.")
      .optional();
  t.integer("/workload/model/layers", "Use only the first N layers (fast what-ifs; default: all).")
      .optional()
      .at_least(1);
  t.integer("/workload/model/mtp_modules", "Multi-token-prediction modules (default: the model's).")
      .optional()
      .in_range(0, 4);
  declare_router_params(t, "/workload/router");
  t.integer("/workload/redundant_experts", "inference: extra replicas of the most loaded experts (EPLB).")
      .defaults(0)
      .at_least(0);

  const std::string tr = "/workload/training";
  t.object(tr, "kind training: the parallel layout, schedule and step size (defaults: DeepSeek-V3's pre-training).");
  t.integer(tr + "/pp", "Pipeline ranks; GPUs / pp is the data-parallel size.").defaults(16).at_least(1);
  t.integer(tr + "/ep", "Expert parallelism: GPUs of one pipeline rank sharing one copy of each layer's routed "
                        "experts (1 for dense models).")
      .defaults(64)
      .at_least(1);
  t.integer(tr + "/global_batch_sequences", "Sequences per optimizer step over all pipelines.")
      .defaults(15360)
      .at_least(1);
  t.integer(tr + "/micro_batch_sequences", "Sequences per micro-batch of one pipeline.").defaults(1).at_least(1);
  t.integer(tr + "/seq_len", "Tokens per sequence.").unit("tokens").defaults(4096).at_least(1);
  t.choice(tr + "/schedule", schedule_names(), "Pipeline schedule (see workloads/schedules).").defaults("dualpipe");
  t.integer(tr + "/comm_sms", "SMs communication kernels hold for the whole step; compute gets the rest.")
      .defaults(20)
      .at_least(0);
  t.choice(tr + "/precision", {"fp8", "bf16"},
           "fp8: DeepSeek-V3's recipe (linear GEMMs in FP8, FP8 dispatch); bf16: everything in BF16.")
      .defaults("fp8");
  t.integer(tr + "/routing_samples", "Distinct token routings, cycled over layers and micro-batches.")
      .defaults(4)
      .in_range(1, 1024);
  t.boolean(tr + "/data_parallel_sync", "End the step with ZeRO-1's gradient reduce-scatter, optimizer update and "
                                        "parameter all-gather.")
      .defaults(true);

  const std::string in = "/workload/inference";
  t.object(in, "kind inference: one prefill or decode step of a pool that is one EP group.");
  t.choice(in + "/phase", enum_names(gen::inference_phase_names), "prefill or decode.").defaults("decode");
  t.integer(in + "/gpus", "GPUs of the pool, from GPU 0 (default: the whole cluster).").optional().at_least(1);
  t.integer(in + "/batch_per_gpu", "decode: sequences decoded per GPU per step; prefill: prompt tokens per GPU per "
                                   "step (whole prompts).")
      .defaults(32)
      .at_least(1);
  t.integer(in + "/context_len", "decode: KV-cache length each new token attends to; prefill: prompt length.")
      .unit("tokens")
      .defaults(4096)
      .at_least(1);
  t.integer(in + "/micro_batches", "2: dual micro-batch overlap; 1: none.").defaults(2).in_range(1, 2);
  t.boolean(in + "/compute_hidden", "Computation costs nothing (the speed-limit analysis of [P]).").defaults(false);
  t.integer(in + "/mtp_depth", "decode: MTP draft tokens verified per step.").defaults(0).in_range(0, 4);
  t.number(in + "/mtp_acceptance", "decode: probability a draft token is accepted.").defaults(0.0).in_range(0.0, 1.0);
  t.integer(in + "/comm_sms", "prefill: SMs of the normal dispatch/combine kernels.").defaults(20).at_least(1);
  t.choice(in + "/precision", {"fp8", "bf16"}, "fp8: V3's recipe and FP8 dispatch; bf16: everything in BF16.")
      .defaults("fp8");
  t.integer(in + "/routing_samples", "Distinct token routings, cycled over layers and micro-batches.")
      .defaults(1)
      .in_range(1, 1024);
}

WorkloadSpec read_generated_workload(ObjectReader& workload, WorkloadKind kind, const topology::ClusterSpec& cluster,
                                     const std::string& scenario_dir, std::uint64_t seed) {
  WorkloadSpec spec;
  spec.kind = kind;
  spec.model = read_model(workload.object("model"), scenario_dir);
  moe::RouterSpec shape;
  shape.experts = std::max(1, spec.model.routed_experts);
  shape.top_k = std::max(1, spec.model.experts_per_token);
  shape.groups = spec.model.expert_groups;
  shape.topk_groups = spec.model.topk_groups;
  spec.router = read_router(workload.object("router"), scenario_dir, seed, shape);
  spec.redundant_experts = static_cast<int>(workload.integer("redundant_experts"));
  const char* unused = kind == WorkloadKind::training ? "inference" : "training";
  if (workload.has(unused)) {
    throw workload.error(unused, fmt::format("kind {} does not read /workload/{}; remove it or change kind",
                                             workload_kind_names[static_cast<std::size_t>(kind)], unused));
  }
  // Experts are placed in equal blocks over the EP group (models/collectives/moe/expert_placement.hpp); say so
  // here, at the router, rather than when the first MoE call is planned.
  const auto check_experts = [&](int group, const char* what) {
    if (spec.model.is_moe() && group > 0 && spec.router.experts % group != 0) {
      throw workload.error("router", fmt::format("the router's {} experts do not split evenly over the {} GPUs of "
                                                 "{}; set /workload/router/experts to a multiple of {}",
                                                 spec.router.experts, group, what, group));
    }
  };
  if (kind == WorkloadKind::training) {
    if (workload.has("redundant_experts")) {
      throw workload.error("redundant_experts", "redundant experts are an inference feature; training does not "
                                                "read them");
    }
    spec.training = read_training(workload.object("training"), spec.model, cluster);
    check_experts(spec.training.layout.ep, "an EP group");
  } else {
    spec.inference = read_inference(workload.object("inference"), spec.model, cluster);
    check_experts(spec.inference.ranks, "the pool");
  }
  return spec;
}

}  // namespace dsim::scenario
