// SPDX-License-Identifier: Apache-2.0
// `dsim topo` figures. The diameter is measured on the graph (switch hops between the leaves endpoints attach to):
// exactly, from every leaf, up to 512 leaves; beyond that from 64 leaves spread evenly over the fabric, which is
// exact for the symmetric full-size fabrics dsim builds and marked as sampled. Bisection bandwidth is given only
// where a closed form is known (fat-tree families: half the endpoints at full speed over the oversubscription).
#include "sim/report/topology_report.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/errors.hpp"

namespace dsim::report {
namespace {

using topology::FabricKind;

std::optional<double> bisection(const topology::ClusterSpec& spec, std::uint64_t endpoints) {
  switch (spec.fabric.kind) {
    case FabricKind::single_switch:
    case FabricKind::fat_tree_2:
    case FabricKind::fat_tree_3:
    case FabricKind::multi_plane_fat_tree:
    case FabricKind::multi_rail_fat_tree:
      return static_cast<double>(endpoints) / 2.0 * units::to_GBps(spec.fabric_links.bandwidth) /
             spec.fabric.oversubscription;
    case FabricKind::slim_fly:
    case FabricKind::dragonfly:
      return std::nullopt;
  }
  return std::nullopt;
}

TopologyFigures common(const topology::ClusterSpec& spec) {
  TopologyFigures f;
  f.fabric_kind = std::string(to_string(spec.fabric.kind));
  f.nodes = static_cast<std::uint64_t>(spec.nodes);
  f.gpus = static_cast<std::uint64_t>(spec.gpu_count());
  f.nics = static_cast<std::uint64_t>(spec.nic_count());
  f.pcie_switches = static_cast<std::uint64_t>(spec.nodes) * static_cast<std::uint64_t>(spec.node.pcie_switches());
  return f;
}

// 2048 -> "2,048". Built front to back (GCC 12 warns spuriously about std::string::insert at -O3).
std::string thousands(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

TopologyFigures describe_cluster(const topology::Cluster& cluster, const topology::CostPrices& prices) {
  const auto& spec = cluster.spec();
  const auto& fabric = cluster.fabric();
  TopologyFigures f = common(spec);
  f.counts = fabric.counts();
  for (const auto& name : fabric.layer_names()) f.layer_names.push_back(name);
  std::array<std::uint64_t, topology::link_kind_names.size()> by_kind{};
  for (const auto& link : cluster.links()) ++by_kind[static_cast<std::size_t>(link.kind)];
  for (std::size_t k = 0; k < by_kind.size(); ++k) {
    f.links_by_kind.emplace_back(std::string(topology::link_kind_names[k]), by_kind[k]);
  }

  std::set<std::uint32_t> leaf_set;
  for (std::uint32_t e = 0; e < fabric.endpoint_count(); ++e) leaf_set.insert(fabric.switch_of_endpoint(e));
  const std::vector<std::uint32_t> leaves(leaf_set.begin(), leaf_set.end());
  std::vector<std::uint32_t> sources = leaves;
  if (leaves.size() > 512) {
    sources.clear();
    for (std::size_t i = 0; i < 64; ++i) sources.push_back(leaves[i * leaves.size() / 64]);
    f.diameter_sampled = true;
  }
  int diameter = 0;
  for (const std::uint32_t from : sources) {
    for (const std::uint32_t to : leaves) {
      const int d = fabric.distance(from, to);
      if (d != topology::Fabric::unreachable) diameter = std::max(diameter, d);
    }
  }
  f.diameter_switch_hops = diameter;
  f.bisection_GBps = bisection(spec, f.counts.endpoints);
  f.cost = topology::price_fabric(f.counts, prices);
  return f;
}

TopologyFigures describe_unbuilt(const topology::ClusterSpec& spec, const topology::CostPrices& prices,
                                 std::string reason) {
  TopologyFigures f = common(spec);
  f.built = false;
  f.not_built_reason = std::move(reason);
  f.counts = topology::full_fabric_counts(spec.fabric);
  f.bisection_GBps = bisection(spec, f.counts.endpoints);
  f.cost = topology::price_fabric(f.counts, prices);
  return f;
}

std::string topology_text(const TopologyFigures& f) {
  std::string out;
  out += fmt::format("fabric        {}{}\n", f.fabric_kind, f.built ? "" : " (not built: " + f.not_built_reason + ")");
  if (f.built) {
    out += fmt::format("nodes         {} ({} GPUs, {} NICs, {} PCIe switches)\n", thousands(f.nodes), thousands(f.gpus),
                       thousands(f.nics), thousands(f.pcie_switches));
  }
  out += fmt::format("endpoints     {}\n", thousands(f.counts.endpoints));
  std::string layers;
  for (std::size_t l = 0; l < f.counts.switches_per_layer.size() && l < f.layer_names.size(); ++l) {
    layers += fmt::format("{}{} {}", layers.empty() ? "" : ", ", thousands(f.counts.switches_per_layer[l]),
                          f.layer_names[l]);
  }
  out += fmt::format("switches      {}{}\n", thousands(f.counts.switches), layers.empty() ? "" : " (" + layers + ")");
  out += fmt::format("switch links  {} (switch to switch), {} endpoint links\n", thousands(f.counts.switch_links),
                     thousands(f.counts.endpoint_links));
  if (!f.links_by_kind.empty()) {
    std::string kinds;
    for (const auto& [name, count] : f.links_by_kind) {
      if (count != 0) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", thousands(count), name);
    }
    out += fmt::format("directed links {}\n", kinds);
  }
  if (f.diameter_switch_hops) {
    out += fmt::format("diameter      {} switch hops between leaves{}\n", *f.diameter_switch_hops,
                       f.diameter_sampled ? " (from 64 sampled leaves)" : "");
  }
  out += f.bisection_GBps ? fmt::format("bisection     {} GB/s per direction\n",
                                        thousands(static_cast<std::uint64_t>(*f.bisection_GBps + 0.5)))
                          : std::string("bisection     no closed form for this fabric\n");
  out += fmt::format("cost          ${:.2f}M in all, ${:.2f}k per endpoint (switches ${:.2f}M, endpoint links "
                     "${:.2f}M, switch links ${:.2f}M)\n",
                     f.cost.total_usd / 1e6, f.cost.per_endpoint_usd / 1e3, f.cost.switches_usd / 1e6,
                     f.cost.endpoint_links_usd / 1e6, f.cost.switch_links_usd / 1e6);
  if (!f.table_row.empty()) out += fmt::format("table row     {}\n", f.table_row);
  return out;
}

std::string topology_json(const TopologyFigures& f) {
  nlohmann::ordered_json out;
  out["fabric"] = f.fabric_kind;
  out["built"] = f.built;
  if (!f.built) out["not_built_reason"] = f.not_built_reason;
  out["nodes"] = f.nodes;
  out["gpus"] = f.gpus;
  out["nics"] = f.nics;
  out["pcie_switches"] = f.pcie_switches;
  out["endpoints"] = f.counts.endpoints;
  out["switches"] = f.counts.switches;
  auto& layers = out["switches_per_layer"];
  layers = nlohmann::ordered_json::object();
  for (std::size_t l = 0; l < f.counts.switches_per_layer.size(); ++l) {
    const std::string name = l < f.layer_names.size() ? f.layer_names[l] : fmt::format("layer{}", l);
    layers[name] = f.counts.switches_per_layer[l];
  }
  out["switch_links"] = f.counts.switch_links;
  out["endpoint_links"] = f.counts.endpoint_links;
  auto& links = out["directed_links_by_kind"];
  links = nlohmann::ordered_json::object();
  for (const auto& [name, count] : f.links_by_kind) links[name] = count;
  out["diameter_switch_hops"] = f.diameter_switch_hops ? nlohmann::ordered_json(*f.diameter_switch_hops) : nullptr;
  out["diameter_sampled"] = f.diameter_sampled;
  out["bisection_GBps"] = f.bisection_GBps ? nlohmann::ordered_json(*f.bisection_GBps) : nullptr;
  out["cost_usd"] = f.cost.total_usd;
  out["cost_per_endpoint_usd"] = f.cost.per_endpoint_usd;
  out["cost_breakdown_usd"] = {{"switches", f.cost.switches_usd},
                               {"endpoint_links", f.cost.endpoint_links_usd},
                               {"switch_links", f.cost.switch_links_usd}};
  if (!f.table_row.empty()) out["table_row"] = f.table_row;
  return out.dump(2) + "\n";
}

std::string topology_dot(const topology::Cluster& cluster) {
  constexpr std::size_t max_vertices = 2000;
  const std::size_t vertices = cluster.fabric().switch_count() + static_cast<std::size_t>(cluster.spec().nic_count()) +
                               static_cast<std::size_t>(cluster.gpu_count());
  if (vertices > max_vertices) {
    throw InputError("--dot", "", fmt::format("the cluster has {} switches, NICs and GPUs; --dot draws at most {}",
                                              vertices, max_vertices));
  }
  std::string out = "graph dsim {\n  graph [overlap=false, splines=true];\n  node [shape=box, fontsize=10];\n";
  for (std::uint32_t s = 0; s < cluster.fabric().switch_count(); ++s) {
    const topology::Vertex v{topology::VertexKind::fabric_switch, s};
    out += fmt::format("  \"{}\" [shape=ellipse];\n", cluster.vertex_name(v));
  }
  // One undirected edge per cable or NVLink/PCIe pair: draw each directed link whose reverse sorts after it.
  std::set<std::pair<std::string, std::string>> drawn;
  for (std::size_t i = 0; i < cluster.links().size(); ++i) {
    const auto& link = cluster.links()[i];
    if (link.kind == topology::LinkKind::host_memory) continue;
    std::string a = cluster.vertex_name(link.from);
    std::string b = cluster.vertex_name(link.to);
    if (b < a) std::swap(a, b);
    if (!drawn.insert({a, b}).second) continue;
    out += fmt::format("  \"{}\" -- \"{}\" [label=\"{}\"];\n", a, b, to_string(link.kind));
  }
  out += "}\n";
  return out;
}

}  // namespace dsim::report
