// SPDX-License-Identifier: Apache-2.0
// summary.json and the terminal summary of `dsim run`.
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/compute/compute_model.hpp"
#include "sim/report/report.hpp"
#include "sim/report/summary.hpp"
#include "sim/report/run_totals.hpp"
#include "sim/report/step_breakdown.hpp"
#include "sim/report/workload_report.hpp"

namespace dsim::report {
namespace {

using Json = nlohmann::ordered_json;

const char* const version = DSIM_VERSION;  // from project() in the top CMakeLists.txt

double seconds(Time t) { return units::to_seconds(t); }

template <typename... Args>
void append_line(std::string& text, fmt::format_string<Args...> format, Args&&... args) {
  text += fmt::format(format, std::forward<Args>(args)...);
  text += '\n';
}

void append_rank_extremes(std::string& text, const RunTotals& totals) {
  std::size_t busiest = 0;
  std::size_t most_waiting = 0;
  for (std::size_t r = 0; r < totals.ranks.size(); ++r) {
    if (totals.ranks[r].compute > totals.ranks[busiest].compute) busiest = r;
    if (totals.ranks[r].wait > totals.ranks[most_waiting].wait) most_waiting = r;
  }
  append_line(text, "busiest    rank {}: compute {:.3f} us, transfers {:.3f} us", busiest,
       units::to_us(totals.ranks[busiest].compute), units::to_us(totals.ranks[busiest].transfer));
  append_line(text, "waiting    rank {}: {:.3f} us waiting for a send/recv partner", most_waiting,
       units::to_us(totals.ranks[most_waiting].wait));
}

}  // namespace

SummaryFigures summary_figures(const RunView& run) { return {compute_totals(run), step_breakdown(run)}; }

std::string summary_json(const RunView& run, const SummaryFigures& figures) {
  const RunTotals& totals = figures.totals;
  Json out;
  out["dsim_version"] = version;
  out["scenario"] = run.scenario.name;
  out["seed"] = run.scenario.seed;
  out["makespan_s"] = seconds(run.result().makespan);
  out["makespan_ps"] = run.result().makespan.ps();
  out["ops"] = run.trace().ops().size();
  Json& by_kind = out["ops_by_kind"];
  for (std::size_t k = 0; k < workloads::op_kind_names.size(); ++k) {
    by_kind[std::string(workloads::op_kind_names[k])] = totals.ops_by_kind[k];
  }
  out["collective_calls"] = run.trace().calls().size();
  out["transfers"] = run.trace().transfers().size();
  out["bytes_sent"] = totals.bytes_sent;
  Json& paths = out["transfers_by_path"];
  for (std::size_t k = 0; k < totals.by_path.size(); ++k) {
    const auto& path = totals.by_path[k];
    paths[std::string(topology::path_kind_names[k])] = {{"transfers", path.transfers}, {"bytes", path.bytes}};
  }
  Json& link_bytes = out["link_bytes_by_kind"];
  for (std::size_t k = 0; k < totals.link_bytes_by_kind.size(); ++k) {
    link_bytes[std::string(topology::link_kind_names[k])] = totals.link_bytes_by_kind[k];
  }
  Json& sources = out["compute_timing_sources"];
  for (std::size_t k = 0; k < totals.compute_by_source.size(); ++k) {
    sources[std::string(models::compute::timing_source_names[k])] = totals.compute_by_source[k];
  }
  if (const auto& table = run.scenario.models.kernel_table) {
    out["kernel_table"] = {{"file", table->info().path},
                           {"device", table->info().device},
                           {"sms", table->info().sms},
                           {"measured_at", table->info().measured_at},
                           {"kernels", table->entries().size()}};
  }
  Json ranks = Json::array();
  for (std::size_t r = 0; r < totals.ranks.size(); ++r) {
    const auto& rank = totals.ranks[r];
    if (rank.ops == 0) continue;
    ranks.push_back({{"rank", r},
                     {"ops", rank.ops},
                     {"end_s", seconds(rank.last_end)},
                     {"compute_s", seconds(rank.compute)},
                     {"transfer_s", seconds(rank.transfer)},
                     {"wait_s", seconds(rank.wait)}});
  }
  out["ranks"] = std::move(ranks);
  Json detail = Json::array();
  for (std::size_t r = 0; r < run.detail.size(); ++r) {
    if (run.detail[r]) detail.push_back(r);
  }
  out["detail_ranks"] = run.detail.empty() ? Json("all") : std::move(detail);
  const StepBreakdown& breakdown = figures.breakdown;
  out["breakdown"] = breakdown_json(breakdown);
  if (auto workload = workload_json(run); !workload.is_null()) {
    out[run.run.figures.training ? "training" : "inference"] = std::move(workload);
  }
  out["engine"] = {{"events", run.result().engine.events_processed},
                   {"events_cancelled", run.result().engine.events_cancelled},
                   {"flows", run.result().flows},
                   {"plans", run.result().plans},
                   {"distinct_plans", run.result().distinct_plans},
                   {"replayed_groups", run.result().group_replay.replayed_groups},
                   {"replayed_flows", run.result().group_replay.replayed_flows},
                   {"restored_groups", run.result().group_replay.restored_groups},
                   {"cached_groups", run.result().group_replay.cached_groups},
                   {"group_cache_bytes", run.result().group_replay.cache_bytes}};
  out["resolved_scenario"] = Json::parse(run.scenario.resolved.dump());
  return out.dump(2) + "\n";
}

namespace {

std::string peak_memory_text(std::uint64_t bytes) {
  if (bytes == 0) return {};
  const auto b = static_cast<double>(bytes);
  return b >= 1e9 ? fmt::format(", peak memory {:.3g} GB", b / 1e9) : fmt::format(", peak memory {:.3g} MB", b / 1e6);
}

// How much of the flow model's work its replay of isolated groups saved (/models/network/reuse_isolated_groups).
void append_group_replay(std::string& text, const models::network::GroupReplayStats& groups) {
  if (groups.groups == 0) return;
  append_line(text, "groups     {} of {} flow groups ({} flows) replayed from {} cached runs alone ({:.3g} MB); {} "
              "brought back into the sharing by a flow on their links",
              groups.replayed_groups, groups.groups, groups.replayed_flows, groups.cached_groups,
              static_cast<double>(groups.cache_bytes) / 1e6, groups.restored_groups);
}

// Which model timed the compute ops: the kernel table (and its device) or the roofline, with op counts by source.
void append_compute_sources(std::string& text, const RunView& run, const RunTotals& totals) {
  std::string counts;
  for (std::size_t k = 0; k < totals.compute_by_source.size(); ++k) {
    if (totals.compute_by_source[k] == 0) continue;
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", totals.compute_by_source[k],
                          models::compute::timing_source_names[k]);
  }
  if (counts.empty()) return;
  const auto& table = run.scenario.models.kernel_table;
  append_line(text, "compute    {}; ops by source: {}",
              table ? fmt::format("kernel table {} ({}, measured {})", table->info().path, table->info().device,
                                  table->info().measured_at.empty() ? "at an unknown time" : table->info().measured_at)
                    : std::string("roofline (no kernel table)"),
              counts);
}

}  // namespace

std::string summary_text(const RunView& run, const SummaryFigures& figures, const RunCost& cost) {
  const RunTotals& totals = figures.totals;
  const auto& spec = run.cluster.spec();
  std::string text;
  append_line(text, "scenario   {} (seed {})", run.scenario.name, run.scenario.seed);
  append_line(text, "cluster    {} nodes x {} {} ({}) = {} GPUs, fabric {}, routing {}", spec.nodes, spec.node.gpus,
              spec.node.gpu.model, spec.node.template_name, spec.gpu_count(), to_string(spec.fabric.kind),
              to_string(spec.routing));
  append_line(text, "makespan   {:.3f} us", units::to_us(run.result().makespan));
  append_line(text, "ops        {} ({} compute, {} send, {} recv, {} in {} collective calls) on {} ranks",
       run.trace().ops().size(), totals.ops_by_kind[0], totals.ops_by_kind[1], totals.ops_by_kind[2],
       totals.ops_by_kind[3], run.trace().calls().size(),
       std::count_if(totals.ranks.begin(), totals.ranks.end(), [](const RankTotals& r) { return r.ops > 0; }));
  for (std::size_t k = 0; k < totals.by_path.size(); ++k) {
    const auto& path = totals.by_path[k];
    if (path.transfers == 0) continue;
    append_line(text, "{:<10} {} send/recv transfers, {} bytes", topology::path_kind_names[k], path.transfers, path.bytes);
  }
  // The busiest rank by compute and the one that waited longest tell where a hand-written trace's time went; a
  // generated step's per-rank sums overlap across its streams, so its breakdown lines say it instead.
  if (run.scenario.workload.kind == scenario::WorkloadKind::trace) append_rank_extremes(text, totals);
  text += workload_text(run, figures.breakdown);
  append_compute_sources(text, run, totals);
  append_line(text, "engine     {} events, {} plans ({} distinct), {} flows; wall {:.3g} s (generate {:.3g} s, "
              "replay {:.3g} s){}",
              run.result().engine.events_processed, run.result().plans, run.result().distinct_plans,
              run.result().flows, cost.wall_seconds, run.run.generate_seconds, run.run.replay_seconds,
              peak_memory_text(cost.peak_memory_bytes));
  append_group_replay(text, run.result().group_replay);
  return text;
}

}  // namespace dsim::report
