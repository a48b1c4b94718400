// SPDX-License-Identifier: Apache-2.0
// Defaults come from the node templates (topology/node/node_templates.cpp, with their sources); the fabric
// defaults describe 64-port 400G InfiniBand switches as in [P] (Zhao et al., ISCA 2025, arXiv 2505.09343).
#include "sim/scenario/cluster_section.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "topology/node/node_templates.hpp"

namespace dsim::scenario {
namespace {

std::vector<std::string> template_names() {
  std::vector<std::string> names;
  for (const auto& t : topology::node_templates()) names.emplace_back(t.name);
  return names;
}

std::vector<std::string> fabric_names() {
  std::vector<std::string> names;
  for (const auto& f : topology::fabric_kinds()) names.emplace_back(f.name);
  return names;
}

const std::string node = "/cluster/node";
const std::string template_note = " (default: the template's)";

// Overwrites `field` with the scenario's value when one is given.
template <typename T, typename Convert>
void override_number(ObjectReader& reader, std::string_view key, T& field, Convert convert) {
  if (const auto value = reader.optional_number(key)) field = convert(*value);
}
template <typename T>
void override_integer(ObjectReader& reader, std::string_view key, T& field) {
  if (const auto value = reader.optional_integer(key)) field = static_cast<T>(*value);
}

double identity(double v) { return v; }
Time micros(double v) { return units::us(v); }
Bandwidth gigabytes(double v) { return units::GBps(v); }

nlohmann::json node_json(const topology::NodeSpec& n) {
  using nlohmann::json;
  const auto flops = [&](Dtype d) { return n.gpu.peak(d) / 1e12; };
  return json{
      {"template", n.template_name},
      {"gpus", n.gpus},
      {"gpu",
       {{"model", n.gpu.model},
        {"fp8_TFLOPS", flops(Dtype::fp8)},
        {"bf16_TFLOPS", flops(Dtype::bf16)},
        {"fp32_TFLOPS", flops(Dtype::fp32)},
        {"hbm_GB", static_cast<double>(n.gpu.hbm_capacity.count()) / 1e9},
        {"hbm_TBps", n.gpu.hbm_bandwidth.Bps() / 1e12},
        {"sm_count", n.gpu.sm_count}}},
      {"nvlink",
       {{"bandwidth_GBps", units::to_GBps(n.nvlink.per_gpu_bandwidth)},
        {"efficiency", n.nvlink.efficiency},
        {"latency_us", units::to_us(n.nvlink.latency)}}},
      {"pcie",
       {{"gpus_per_switch", n.pcie.gpus_per_switch},
        {"nics_per_switch", n.pcie.nics_per_switch},
        {"bandwidth_GBps", units::to_GBps(n.pcie.bandwidth)},
        {"efficiency", n.pcie.efficiency},
        {"latency_us", units::to_us(n.pcie.latency)}}},
      {"nic",
       {{"count", n.nic.count},
        {"bandwidth_gbps", n.nic.bandwidth.Bps() * 8 / 1e9},
        {"efficiency", n.nic.efficiency},
        {"latency_us", units::to_us(n.nic.latency)}}},
      {"host_memory",
       {{"bandwidth_GBps", units::to_GBps(n.host_memory.bandwidth)}, {"efficiency", n.host_memory.efficiency}}},
  };
}

topology::NodeSpec read_node(ObjectReader reader) {
  const std::string name = reader.choice("template");
  topology::NodeSpec spec = *topology::make_node_template(name);
  override_integer(reader, "gpus", spec.gpus);

  ObjectReader gpu = reader.object("gpu");
  if (auto model = gpu.optional_string("model")) spec.gpu.model = *model;
  const auto tflops = [](double v) { return v * 1e12; };
  override_number(gpu, "fp8_TFLOPS", spec.gpu.peak_flops[static_cast<std::size_t>(Dtype::fp8)], tflops);
  override_number(gpu, "bf16_TFLOPS", spec.gpu.peak_flops[static_cast<std::size_t>(Dtype::bf16)], tflops);
  override_number(gpu, "fp32_TFLOPS", spec.gpu.peak_flops[static_cast<std::size_t>(Dtype::fp32)], tflops);
  override_number(gpu, "hbm_GB", spec.gpu.hbm_capacity, [](double v) { return Bytes(static_cast<std::uint64_t>(v * 1e9)); });
  override_number(gpu, "hbm_TBps", spec.gpu.hbm_bandwidth, [](double v) { return units::GBps(v * 1e3); });
  override_integer(gpu, "sm_count", spec.gpu.sm_count);
  gpu.finish();

  ObjectReader nvlink = reader.object("nvlink");
  override_number(nvlink, "bandwidth_GBps", spec.nvlink.per_gpu_bandwidth, gigabytes);
  override_number(nvlink, "efficiency", spec.nvlink.efficiency, identity);
  override_number(nvlink, "latency_us", spec.nvlink.latency, micros);
  nvlink.finish();

  ObjectReader pcie = reader.object("pcie");
  override_integer(pcie, "gpus_per_switch", spec.pcie.gpus_per_switch);
  override_integer(pcie, "nics_per_switch", spec.pcie.nics_per_switch);
  override_number(pcie, "bandwidth_GBps", spec.pcie.bandwidth, gigabytes);
  override_number(pcie, "efficiency", spec.pcie.efficiency, identity);
  override_number(pcie, "latency_us", spec.pcie.latency, micros);
  pcie.finish();

  ObjectReader nic = reader.object("nic");
  override_integer(nic, "count", spec.nic.count);
  override_number(nic, "bandwidth_gbps", spec.nic.bandwidth, [](double v) { return units::gbps(v); });
  override_number(nic, "efficiency", spec.nic.efficiency, identity);
  override_number(nic, "latency_us", spec.nic.latency, micros);
  nic.finish();

  ObjectReader host = reader.object("host_memory");
  override_number(host, "bandwidth_GBps", spec.host_memory.bandwidth, gigabytes);
  override_number(host, "efficiency", spec.host_memory.efficiency, identity);
  host.finish();

  // The values may come from the template or the scenario: the error names the key the scenario set, if any, so
  // its file is the one named.
  const auto at = [&](std::string message) {
    if (nic.has("count")) return nic.error("count", std::move(message));
    if (reader.has("gpus")) return reader.error("gpus", std::move(message));
    return reader.error_here(std::move(message));
  };
  if (spec.gpus % spec.pcie.gpus_per_switch != 0) {
    throw at(fmt::format("{} GPUs per node do not divide into PCIe switches of {} GPUs "
                                        "(set pcie/gpus_per_switch)",
                                        spec.gpus, spec.pcie.gpus_per_switch));
  }
  if (spec.nic.count % spec.pcie.nics_per_switch != 0 ||
      spec.nic.count / spec.pcie.nics_per_switch != spec.gpus / spec.pcie.gpus_per_switch) {
    throw at(fmt::format("{} NICs at {} per PCIe switch do not fill the {} switches that {} GPUs at "
                                        "{} per switch need (set nic/count or pcie/nics_per_switch)",
                                        spec.nic.count, spec.pcie.nics_per_switch,
                                        spec.gpus / spec.pcie.gpus_per_switch, spec.gpus,
                                        spec.pcie.gpus_per_switch));
  }
  reader.finish();
  return spec;
}

}  // namespace

void declare_cluster_params(ParamTable& t) {
  t.object("/cluster", "The hardware: nodes of GPUs whose NICs a fabric joins.");
  t.integer("/cluster/nodes", "Number of nodes.").unit("nodes").defaults(2).at_least(1).at_most(1'000'000);

  t.object(node, "What is in a node: a template, with any field overridden.");
  t.choice(node + "/template", template_names(), "Node template (see topology/node/node_templates.cpp for sources).")
      .defaults("h800");
  t.integer(node + "/gpus", "GPUs per node" + template_note + ".").unit("GPUs").optional().in_range(1, 1024);
  t.object(node + "/gpu", "The GPU" + template_note + ".");
  t.string(node + "/gpu/model", "GPU name shown in reports.").optional();
  t.number(node + "/gpu/fp8_TFLOPS", "Dense FP8 peak.").unit("TFLOP/s").optional().positive();
  t.number(node + "/gpu/bf16_TFLOPS", "Dense BF16 peak.").unit("TFLOP/s").optional().positive();
  t.number(node + "/gpu/fp32_TFLOPS", "FP32 peak (non-tensor-core).").unit("TFLOP/s").optional().positive();
  t.number(node + "/gpu/hbm_GB", "HBM capacity.").unit("GB").optional().positive();
  t.number(node + "/gpu/hbm_TBps", "HBM bandwidth.").unit("TB/s").optional().positive();
  t.integer(node + "/gpu/sm_count", "Streaming multiprocessors.").unit("SMs").optional().at_least(1);

  t.object(node + "/nvlink", "Scale-up domain: every GPU of a node reaches the others through NVSwitch.");
  t.number(node + "/nvlink/bandwidth_GBps",
           "NVLink bandwidth per GPU per direction (H800: 400 GB/s total = 200 each way); 0 = no NVLink.")
      .unit("GB/s")
      .optional()
      .non_negative();
  t.number(node + "/nvlink/efficiency", "Achievable fraction of NVLink bandwidth.").optional().positive().at_most(1.0);
  t.number(node + "/nvlink/latency_us", "Fixed cost of one NVLink transfer.").unit("us").optional().non_negative();

  t.object(node + "/pcie", "PCIe switches pairing GPUs with NICs (GPU i and NIC i share a switch).");
  t.integer(node + "/pcie/gpus_per_switch", "GPUs under one PCIe switch.").optional().at_least(1);
  t.integer(node + "/pcie/nics_per_switch", "NICs under one PCIe switch.").optional().at_least(1);
  t.number(node + "/pcie/bandwidth_GBps", "PCIe link bandwidth per direction (Gen5 x16: 64).")
      .unit("GB/s")
      .optional()
      .positive();
  t.number(node + "/pcie/efficiency", "Achievable fraction of PCIe bandwidth.").optional().positive().at_most(1.0);
  t.number(node + "/pcie/latency_us", "Latency of one PCIe switch traversal.").unit("us").optional().non_negative();

  t.object(node + "/nic", "Scale-out NICs; NIC i of every node is on rail (plane) i.");
  t.integer(node + "/nic/count", "NICs per node.").optional().in_range(1, 1024);
  t.number(node + "/nic/bandwidth_gbps", "NIC port speed per direction.").unit("Gb/s").optional().positive();
  t.number(node + "/nic/efficiency", "Achievable fraction of NIC bandwidth.").optional().positive().at_most(1.0);
  t.number(node + "/nic/latency_us", "Fixed cost of one RDMA transfer, NIC to NIC, excluding switches.")
      .unit("us")
      .optional()
      .non_negative();

  t.object(node + "/host_memory", "CPU memory behind the PCIe root complex (offload traffic).");
  t.number(node + "/host_memory/bandwidth_GBps", "Host memory bandwidth per direction.")
      .unit("GB/s")
      .optional()
      .positive();
  t.number(node + "/host_memory/efficiency", "Achievable fraction of host memory bandwidth.")
      .optional()
      .positive()
      .at_most(1.0);

  t.object("/cluster/fabric", "The scale-out network joining the NICs.");
  t.choice("/cluster/fabric/kind", fabric_names(), "Fabric topology.").defaults("single_switch");
  t.integer("/cluster/fabric/radix", "Ports per switch (even).").unit("ports").defaults(64).in_range(4, 1024);
  t.number("/cluster/fabric/link_gbps", "Switch port speed per direction.").unit("Gb/s").defaults(400.0).positive();
  t.number("/cluster/fabric/efficiency", "Achievable fraction of a fabric link's bandwidth.")
      .defaults(0.8)
      .positive()
      .at_most(1.0);
  t.number("/cluster/fabric/switch_latency_us", "Latency of one switch traversal.")
      .unit("us")
      .defaults(0.2)
      .non_negative();
  t.number("/cluster/fabric/oversubscription", "Fat trees: a leaf's endpoint ports per uplink (1 = non-blocking).")
      .defaults(1.0)
      .at_least(1.0);
  t.integer("/cluster/fabric/planes", "Multi-plane / multi-rail fabrics: planes (default: NICs per node).")
      .optional()
      .at_least(1);
  t.integer("/cluster/fabric/slim_fly_q", "Slim Fly: the MMS parameter q (default: derived from the radix).")
      .optional()
      .at_least(3);
  t.object("/cluster/fabric/dragonfly", "Dragonfly shape (defaults: balanced for the radix).");
  t.integer("/cluster/fabric/dragonfly/routers_per_group", "a: routers in a group.").optional().at_least(1);
  t.integer("/cluster/fabric/dragonfly/endpoints_per_router", "p: endpoints per router.").optional().at_least(1);
  t.integer("/cluster/fabric/dragonfly/global_links_per_router", "h: global links per router.").optional().at_least(1);
  t.integer("/cluster/fabric/dragonfly/groups", "g: groups (default: a x h + 1).").optional().at_least(1);
  t.choice("/cluster/routing", enum_names(topology::routing_policy_names),
           "Path choice among equal-cost paths: ecmp hashes the flow with the seed; adaptive takes the least-loaded "
           "next hop; static picks by destination.")
      .defaults("ecmp");

  // Defaults: the prices fitted to Table 3 of [P] (docs/cost-model.md derives them).
  const topology::CostPrices paper = topology::paper_prices();
  t.object("/cluster/prices", "Unit prices of the fabric, for `dsim topo` (defaults fitted to Table 3 of [P]).");
  t.number("/cluster/prices/switch_usd", "One switch.").unit("USD").defaults(paper.switch_usd).non_negative();
  t.number("/cluster/prices/endpoint_link_usd", "One NIC-to-leaf cable.").unit("USD").defaults(paper.endpoint_link_usd)
      .non_negative();
  t.number("/cluster/prices/leaf_spine_link_usd", "One leaf-spine (FT3: edge-aggregation) cable.")
      .unit("USD")
      .defaults(paper.leaf_spine_link_usd)
      .non_negative();
  t.number("/cluster/prices/spine_core_link_usd", "One FT3 aggregation-core cable.")
      .unit("USD")
      .defaults(paper.spine_core_link_usd)
      .non_negative();
  t.number("/cluster/prices/intra_group_link_usd", "One Dragonfly in-group or Slim Fly in-subgraph cable.")
      .unit("USD")
      .defaults(paper.intra_group_link_usd)
      .non_negative();
  t.number("/cluster/prices/global_link_usd", "One Dragonfly global or Slim Fly inter-subgraph cable.")
      .unit("USD")
      .defaults(paper.global_link_usd)
      .non_negative();
}

topology::ClusterSpec read_cluster(ObjectReader cluster, std::uint64_t seed, nlohmann::json& resolved_node,
                                   topology::CostPrices& prices) {
  topology::ClusterSpec spec;
  spec.seed = seed;
  spec.nodes = static_cast<int>(cluster.integer("nodes"));
  spec.node = read_node(cluster.object("node"));
  resolved_node = node_json(spec.node);

  ObjectReader fabric = cluster.object("fabric");
  spec.fabric.kind = *topology::parse_fabric_kind(fabric.choice("kind"));
  spec.fabric.radix = static_cast<int>(fabric.integer("radix"));
  spec.fabric_links.bandwidth = units::gbps(fabric.number("link_gbps"));
  spec.fabric_links.efficiency = fabric.number("efficiency");
  spec.fabric_links.switch_latency = units::us(fabric.number("switch_latency_us"));
  spec.fabric.oversubscription = fabric.number("oversubscription");
  // Planes apply to the multi-plane and multi-rail fabrics only; there they default to one per NIC of a node.
  const bool planar = spec.fabric.kind == topology::FabricKind::multi_plane_fat_tree ||
                      spec.fabric.kind == topology::FabricKind::multi_rail_fat_tree;
  const auto planes = fabric.optional_integer("planes");
  if (planes && !planar) throw fabric.error("planes", "planes apply to multi_plane_fat_tree and multi_rail_fat_tree only");
  spec.fabric.planes = planar ? static_cast<int>(planes.value_or(spec.node.nic.count)) : 1;
  spec.fabric.slim_fly_q = static_cast<int>(fabric.optional_integer("slim_fly_q").value_or(0));
  ObjectReader dragonfly = fabric.object("dragonfly");
  spec.fabric.dragonfly_a = static_cast<int>(dragonfly.optional_integer("routers_per_group").value_or(0));
  spec.fabric.dragonfly_p = static_cast<int>(dragonfly.optional_integer("endpoints_per_router").value_or(0));
  spec.fabric.dragonfly_h = static_cast<int>(dragonfly.optional_integer("global_links_per_router").value_or(0));
  spec.fabric.dragonfly_groups = static_cast<int>(dragonfly.optional_integer("groups").value_or(0));
  dragonfly.finish();
  fabric.finish();
  spec.routing = *topology::parse_routing_policy(cluster.choice("routing"));
  ObjectReader price = cluster.object("prices");
  prices.switch_usd = price.number("switch_usd");
  prices.endpoint_link_usd = price.number("endpoint_link_usd");
  prices.leaf_spine_link_usd = price.number("leaf_spine_link_usd");
  prices.spine_core_link_usd = price.number("spine_core_link_usd");
  prices.intra_group_link_usd = price.number("intra_group_link_usd");
  prices.global_link_usd = price.number("global_link_usd");
  price.finish();
  cluster.finish();
  return spec;
}

}  // namespace dsim::scenario
