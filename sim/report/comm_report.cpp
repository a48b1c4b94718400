// SPDX-License-Identifier: Apache-2.0
#include "sim/report/comm_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace dsim::report {
namespace {

using Json = nlohmann::ordered_json;

std::string describe_group(const CommView& view) {
  const auto& group = view.scenario.comm.collective.group;
  const auto stride = group.size() > 1 ? group[1].value() - group[0].value() : 1;
  const auto& cluster = view.scenario.cluster;
  return fmt::format("{} GPUs (first {}, stride {}) on {} x {} {}", group.size(), group.front().value(), stride,
                     cluster.nodes, cluster.node.gpus, cluster.node.gpu.model);
}

std::string link_bytes_text(const run::CommKernelResult& k) {
  std::string text;
  for (std::size_t i = 0; i < k.bytes_by_link_kind.size(); ++i) {
    if (k.bytes_by_link_kind[i] == 0) continue;
    text += fmt::format("{}{} {:.4g} GB", text.empty() ? "" : ", ", topology::link_kind_names[i],
                        static_cast<double>(k.bytes_by_link_kind[i]) / 1e9);
  }
  return text.empty() ? "none" : text;
}

}  // namespace

std::string comm_text(const CommView& view) {
  const auto& spec = view.scenario.comm;
  const auto& result = view.result;
  std::string out = fmt::format("scenario   {} (seed {})\n", view.scenario.name, view.scenario.seed);
  out += fmt::format("group      {}\n", describe_group(view));
  if (result.moe) {
    const auto& k = spec.kernel;
    out += fmt::format("moe        {} kernels, {} tokens per rank, hidden {}, top-{} of {} experts, {} groups, "
                       "top-{} groups, router {}, {} SMs\n",
                       models::collectives::moe::deepep_mode_names[static_cast<std::size_t>(k.mode)],
                       spec.tokens_per_rank, k.hidden, spec.router.top_k, spec.router.experts, spec.router.groups,
                       spec.router.topk_groups,
                       models::collectives::moe::router_kind_names[static_cast<std::size_t>(spec.router.kind)],
                       result.routing.occupied_sms);
    out += fmt::format("routing    {:.3f} nodes per token on average (at most {}), busiest GPU receives {:.3f}x "
                       "the mean\n",
                       result.routing.nodes_per_token, result.routing.max_nodes_per_token,
                       result.routing.received_imbalance);
    out += fmt::format("{:>22} {:>10} {:>10} {:>12} {:>12} {:>14} {:>10}  {}\n", "fabric", "kernel", "host_GBps",
                       "slowest_us", "mean_us", "bandwidth_GBps", "column", "bytes per link kind");
    for (const auto& kr : result.kernels) {
      out += fmt::format("{:>22} {:>10} {:>10.4g} {:>12.3f} {:>12.3f} {:>14.2f} {:>10}  {}\n", kr.fabric, kr.name,
                         units::to_GBps(kr.host_read_rate), units::to_us(kr.time), units::to_us(kr.mean_rank_time),
                         kr.deepep_GBps, kr.deepep_column, link_bytes_text(kr));
    }
  } else {
    out += fmt::format("{:>22} {:>14} {:>14} {:>10} {:>12} {:>12} {:>12}  {}\n", "fabric", "collective", "size_B",
                       "host_GBps", "time_us", "algbw_GBps", "busbw_GBps", "bytes per link kind");
    for (const auto& kr : result.kernels) {
      out += fmt::format("{:>22} {:>14} {:>14} {:>10.4g} {:>12.3f} {:>12.2f} {:>12.2f}  {}\n", kr.fabric, kr.name,
                         kr.size.count(),
                         units::to_GBps(kr.host_read_rate), units::to_us(kr.time), kr.algbw_GBps, kr.busbw_GBps,
                         link_bytes_text(kr));
    }
  }
  for (const auto& kr : result.kernels) {
    std::string phases;
    for (const auto& p : kr.phases) {
      phases += fmt::format("{}{} {:.3f}-{:.3f} us", phases.empty() ? "" : "; ", p.name, units::to_us(p.start),
                            units::to_us(p.end));
    }
    out += fmt::format("phases     {} {}{}: {}\n", kr.fabric, kr.name,
                       kr.host_read_rate.Bps() > 0
                           ? fmt::format(" (host reads {:g} GB/s)", units::to_GBps(kr.host_read_rate))
                           : "",
                       phases);
  }
  out += fmt::format("wall       {:.3g} s simulating{}\n", result.simulate_wall_seconds,
                     result.moe ? fmt::format(", {:.3g} s routing tokens", result.routing_wall_seconds) : "");
  return out;
}

std::string comm_json(const CommView& view) {
  const auto& result = view.result;
  Json out;
  out["scenario"] = view.scenario.name;
  out["seed"] = view.scenario.seed;
  out["kind"] = view.scenario.comm.kind;
  out["group_gpus"] = view.scenario.comm.collective.group.size();
  if (result.moe) {
    out["routing"] = {{"nodes_per_token", result.routing.nodes_per_token},
                      {"max_nodes_per_token", result.routing.max_nodes_per_token},
                      {"received_imbalance", result.routing.received_imbalance},
                      {"occupied_sms", result.routing.occupied_sms}};
  }
  Json kernels = Json::array();
  for (const auto& kr : result.kernels) {
    Json k{{"fabric", kr.fabric},
           {"name", kr.name},
           {"host_read_GBps_per_gpu", units::to_GBps(kr.host_read_rate)},
           {"time_us", units::to_us(kr.time)},
           {"mean_rank_time_us", units::to_us(kr.mean_rank_time)},
           {"transfers", kr.transfers}};
    if (result.moe) {
      k["deepep_bandwidth_GBps"] = kr.deepep_GBps;
      k["deepep_column"] = kr.deepep_column;
      k["logical_bytes_rank0"] = kr.size.count();
    } else {
      k["size_bytes"] = kr.size.count();
      k["algbw_GBps"] = kr.algbw_GBps;
      k["busbw_GBps"] = kr.busbw_GBps;
    }
    Json bytes = Json::object();
    for (std::size_t i = 0; i < kr.bytes_by_link_kind.size(); ++i) {
      bytes[std::string(topology::link_kind_names[i])] = kr.bytes_by_link_kind[i];
    }
    k["bytes_by_link_kind"] = std::move(bytes);
    Json phases = Json::array();
    for (const auto& p : kr.phases) {
      phases.push_back({{"name", p.name}, {"start_us", units::to_us(p.start)}, {"end_us", units::to_us(p.end)}});
    }
    k["phases"] = std::move(phases);
    kernels.push_back(std::move(k));
  }
  out["kernels"] = std::move(kernels);
  out["resolved_scenario"] = Json::parse(view.scenario.resolved.dump());
  return out.dump(2) + "\n";
}

}  // namespace dsim::report
