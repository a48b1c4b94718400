// SPDX-License-Identifier: Apache-2.0
// Cluster assembly and routing. Latencies sit where the delay happens: NVLink and NIC latency on the link leaving
// the GPU or NIC, PCIe latency on links leaving a PCIe switch, switch latency on links leaving a fabric switch, so a
// route's latency is the sum over its links.
#include "topology/cluster.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/core/check.hpp"

namespace dsim::topology {
namespace {

// SplitMix64 finaliser: spreads (flow key, seed, hop) into well-mixed bits for ECMP choices.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The scenario loader reports these with their JSON paths; here they are invariants.
void check_node(const NodeSpec& node) {
  DSIM_CHECK(node.gpus > 0 && node.pcie.gpus_per_switch > 0 && node.gpus % node.pcie.gpus_per_switch == 0,
             "{} GPUs do not fill PCIe switches of {}", node.gpus, node.pcie.gpus_per_switch);
  DSIM_CHECK(node.pcie.nics_per_switch > 0 && node.nic.count % node.pcie.nics_per_switch == 0 &&
                 node.nic.count / node.pcie.nics_per_switch == node.pcie_switches(),
             "{} NICs do not fill {} PCIe switches", node.nic.count, node.pcie_switches());
}

}  // namespace

// check_node runs first (comma operator) so a broken node spec fails before the fabric is built from it.
Cluster::Cluster(const ClusterSpec& spec)
    : spec_(spec),
      fabric_((check_node(spec.node),
               build_fabric(spec.fabric, static_cast<std::uint32_t>(spec.nic_count()),
                            static_cast<std::uint32_t>(spec.node.nic.count), "/cluster/fabric"))) {
  const NodeSpec& node = spec.node;
  const auto gpus = static_cast<std::uint32_t>(spec.gpu_count());
  const auto nics = static_cast<std::uint32_t>(spec.nic_count());
  const auto pcie_switches = static_cast<std::uint32_t>(spec.nodes * node.pcie_switches());
  const auto per_node_gpus = static_cast<std::uint32_t>(node.gpus);
  const auto per_node_nics = static_cast<std::uint32_t>(node.nic.count);
  const auto per_node_switches = static_cast<std::uint32_t>(node.pcie_switches());

  for (std::uint32_t g = 0; g < gpus; ++g) {
    const Vertex gpu{VertexKind::gpu, g};
    const Vertex pcie{VertexKind::pcie_switch,
                      g / per_node_gpus * per_node_switches + g % per_node_gpus / node.pcie.gpus_per_switch};
    if (node.nvlink.present()) {
      const Vertex nvswitch{VertexKind::nvswitch, g / per_node_gpus};
      nvlink_up_.push_back(add_link(gpu, nvswitch, LinkKind::nvlink, node.nvlink.per_gpu_bandwidth,
                                    node.nvlink.efficiency, node.nvlink.latency));
      nvlink_down_.push_back(add_link(nvswitch, gpu, LinkKind::nvlink, node.nvlink.per_gpu_bandwidth,
                                      node.nvlink.efficiency, Time::zero()));
    }
    gpu_pcie_up_.push_back(add_link(gpu, pcie, LinkKind::pcie, node.pcie.bandwidth, node.pcie.efficiency, Time::zero()));
    gpu_pcie_down_.push_back(
        add_link(pcie, gpu, LinkKind::pcie, node.pcie.bandwidth, node.pcie.efficiency, node.pcie.latency));
  }
  for (std::uint32_t n = 0; n < nics; ++n) {
    const Vertex nic{VertexKind::nic, n};
    const Vertex pcie{VertexKind::pcie_switch,
                      n / per_node_nics * per_node_switches + n % per_node_nics / node.pcie.nics_per_switch};
    nic_pcie_up_.push_back(add_link(nic, pcie, LinkKind::pcie, node.pcie.bandwidth, node.pcie.efficiency, Time::zero()));
    nic_pcie_down_.push_back(
        add_link(pcie, nic, LinkKind::pcie, node.pcie.bandwidth, node.pcie.efficiency, node.pcie.latency));
  }
  for (std::uint32_t s = 0; s < pcie_switches; ++s) {
    const Vertex pcie{VertexKind::pcie_switch, s};
    const Vertex host{VertexKind::host, s / per_node_switches};
    switch_to_host_.push_back(
        add_link(pcie, host, LinkKind::pcie, node.pcie.bandwidth, node.pcie.efficiency, node.pcie.latency));
    host_to_switch_.push_back(add_link(host, pcie, LinkKind::pcie, node.pcie.bandwidth, node.pcie.efficiency,
                                       Time::zero()));
  }
  for (std::uint32_t n = 0; n < static_cast<std::uint32_t>(spec.nodes); ++n) {
    // Host memory appears as the host vertex looping through its DRAM: read and write directions share no capacity.
    const Vertex host{VertexKind::host, n};
    memory_read_.push_back(add_link(host, host, LinkKind::host_memory, node.host_memory.bandwidth,
                                    node.host_memory.efficiency, Time::zero()));
    memory_write_.push_back(add_link(host, host, LinkKind::host_memory, node.host_memory.bandwidth,
                                     node.host_memory.efficiency, Time::zero()));
  }

  const auto& cables = spec.fabric_links;
  for (std::uint32_t n = 0; n < nics; ++n) {
    const Vertex nic{VertexKind::nic, n};
    const Vertex leaf{VertexKind::fabric_switch, fabric_.switch_of_endpoint(n)};
    // The NIC-leaf cable runs at the slower of the NIC port and the switch port.
    const Bandwidth speed = std::min(node.nic.bandwidth, cables.bandwidth);
    const double efficiency = std::min(node.nic.efficiency, cables.efficiency);
    nic_uplink_.push_back(add_link(nic, leaf, LinkKind::nic, speed, efficiency, node.nic.latency));
    nic_downlink_.push_back(add_link(leaf, nic, LinkKind::nic, speed, efficiency, cables.switch_latency));
  }
  const auto& graph = fabric_.graph();
  const std::uint32_t switch_count = fabric_.switch_count();
  std::vector<std::vector<std::pair<std::uint32_t, LinkId>>> out(switch_count);
  for (auto [e, end] = boost::edges(graph); e != end; ++e) {
    const auto u = static_cast<std::uint32_t>(boost::source(*e, graph));
    const auto v = static_cast<std::uint32_t>(boost::target(*e, graph));
    const Vertex a{VertexKind::fabric_switch, u};
    const Vertex b{VertexKind::fabric_switch, v};
    out[u].emplace_back(v, add_link(a, b, LinkKind::fabric, cables.bandwidth, cables.efficiency, cables.switch_latency));
    out[v].emplace_back(u, add_link(b, a, LinkKind::fabric, cables.bandwidth, cables.efficiency, cables.switch_latency));
  }
  cable_begin_.assign(switch_count + 1, 0);
  for (std::uint32_t s = 0; s < switch_count; ++s) {
    std::sort(out[s].begin(), out[s].end());
    cable_begin_[s + 1] = cable_begin_[s] + static_cast<std::uint32_t>(out[s].size());
    cables_.insert(cables_.end(), out[s].begin(), out[s].end());
  }
  find_covering_links();
}

// Why a covered link never limits: if every flow crossing link a also crosses link b, any rates that fit b's capacity
// put at most that load on a, so with capacity(b) <= capacity(a) the constraint of a is implied by b's. Dropping it
// leaves the set of feasible rates, hence the max-min fair allocation, unchanged. The facts below follow from the
// routes built in route() and host_to_gpu():
//  - a NIC is never an end point and a route never turns back, so a route entering a NIC from its PCIe switch leaves
//    it on the NIC's uplink (append_pcie_path to the NIC, then append_fabric_path) and one entering from the leaf
//    leaves to the PCIe switch: those pairs carry the same flows, and the narrower covers the wider;
//  - with NVLink, a GPU's link into its PCIe switch carries only its RDMA sends (inside a node flows take NVLink),
//    always out of the NIC nic_of() gives it (PXN first moves the data to the GPU whose NIC is on the right plane),
//    so that NIC's uplink covers it if narrower. Without NVLink, flows inside a node use the PCIe link too;
//  - likewise, with NVLink a GPU's link down from its PCIe switch carries the RDMA arriving through its own NIC, and
//    host memory reads (host_to_gpu): among routes between GPUs only, that NIC's downlink covers it.
// A link covers another only when it is narrower, or as wide with a smaller id: following covers strictly descends
// in (capacity, id), so chains end, at a link that nothing covers and that lies on every route of the first.
void Cluster::find_covering_links() {
  covering_.assign(links_.size(), LinkId());
  const auto narrower = [this](LinkId a, LinkId b) {
    const double ca = links_[a.index()].effective_capacity().Bps();
    const double cb = links_[b.index()].effective_capacity().Bps();
    return ca < cb || (ca == cb && a < b);
  };
  // flows(a) is a subset of flows(b); `same` when the two sets are equal, so that either may cover the other.
  const auto cover = [&](std::vector<LinkId>& covering, LinkId a, LinkId b, bool same) {
    if (narrower(b, a)) {
      covering[a.index()] = b;
    } else if (same) {
      covering[b.index()] = a;
    }
  };
  for (std::size_t n = 0; n < nic_uplink_.size(); ++n) {
    cover(covering_, nic_pcie_down_[n], nic_uplink_[n], true);
    cover(covering_, nic_pcie_up_[n], nic_downlink_[n], true);
  }
  if (spec_.node.nvlink.present()) {
    for (std::uint32_t g = 0; g < gpu_pcie_up_.size(); ++g) {
      cover(covering_, gpu_pcie_up_[g], nic_uplink_[nic_of(GpuId(g))], false);
    }
  }
  covering_gpu_to_gpu_ = covering_;
  if (!spec_.node.nvlink.present()) return;
  for (std::uint32_t g = 0; g < gpu_pcie_down_.size(); ++g) {
    cover(covering_gpu_to_gpu_, gpu_pcie_down_[g], nic_downlink_[nic_of(GpuId(g))], false);
  }
}

LinkId Cluster::add_link(Vertex from, Vertex to, LinkKind kind, Bandwidth capacity, double efficiency, Time latency) {
  links_.push_back({from, to, kind, capacity, efficiency, latency});
  return LinkId(static_cast<LinkId::Value>(links_.size() - 1));
}

NodeId Cluster::node_of(GpuId gpu) const {
  DSIM_CHECK(gpu.valid() && static_cast<int>(gpu.value()) < gpu_count(), "no GPU {}", gpu.value());
  return NodeId(gpu.value() / static_cast<GpuId::Value>(spec_.node.gpus));
}

std::string Cluster::vertex_name(Vertex v) const {
  switch (v.kind) {
    case VertexKind::gpu: return fmt::format("gpu{}", v.index);
    case VertexKind::nvswitch: return fmt::format("node{}.nvswitch", v.index);
    case VertexKind::pcie_switch:
      return fmt::format("node{}.pcie{}", v.index / static_cast<std::uint32_t>(spec_.node.pcie_switches()),
                         v.index % static_cast<std::uint32_t>(spec_.node.pcie_switches()));
    case VertexKind::host: return fmt::format("node{}.host", v.index);
    case VertexKind::nic: return fmt::format("nic{}", v.index);
    case VertexKind::fabric_switch: {
      const auto& info = fabric_.graph()[v.index];
      return fmt::format("{}{}", fabric_.layer_names()[info.layer], v.index);
    }
  }
  return "?";
}

std::string Cluster::link_name(LinkId id) const {
  const Link& l = link(id);
  if (l.kind == LinkKind::host_memory) {
    const bool read = memory_read_[l.from.index] == id;
    return fmt::format("node{}.memory.{}", l.from.index, read ? "read" : "write");
  }
  return vertex_name(l.from) + "->" + vertex_name(l.to);
}

std::uint32_t Cluster::nic_of(GpuId gpu) const {
  const auto& node = spec_.node;
  const int local_gpu = local(gpu);
  const int pcie = local_gpu / node.pcie.gpus_per_switch;
  const int position = local_gpu % node.pcie.gpus_per_switch;
  const int local_nic = pcie * node.pcie.nics_per_switch + position % node.pcie.nics_per_switch;
  return static_cast<std::uint32_t>(static_cast<int>(node_of(gpu).value()) * node.nic.count + local_nic);
}

void Cluster::append_pcie_path(Route& route, LinkId up, LinkId down) const {
  route.push_back(up);
  const std::uint32_t from_switch = links_[up.index()].to.index;
  const std::uint32_t to_switch = links_[down.index()].from.index;
  if (from_switch != to_switch) {
    route.push_back(switch_to_host_[from_switch]);
    route.push_back(host_to_switch_[to_switch]);
  }
  route.push_back(down);
}

std::span<const std::pair<std::uint32_t, LinkId>> Cluster::cables_between(std::uint32_t at, std::uint32_t next) const {
  const auto first = cables_.begin() + cable_begin_[at];
  const auto last = cables_.begin() + cable_begin_[at + 1];
  const auto [lo, hi] = std::equal_range(first, last, std::make_pair(next, LinkId(0)),
                                         [](const auto& a, const auto& b) { return a.first < b.first; });
  return {lo, hi};
}

bool Cluster::append_fabric_path(Route& route, std::uint32_t src_nic, std::uint32_t dst_nic, std::uint64_t flow_key,
                                 std::span<const double> link_load) const {
  bool keyed = false;
  route.push_back(nic_uplink_[src_nic]);
  std::uint32_t at = fabric_.switch_of_endpoint(src_nic);
  const std::uint32_t to = fabric_.switch_of_endpoint(dst_nic);
  for (std::uint64_t hop = 0; at != to; ++hop) {
    const auto hops = fabric_.next_hops(at, to);
    DSIM_CHECK(!hops.empty(), "no path from switch {} to switch {}", at, to);
    // Every cable to every candidate neighbour is an equal-cost choice (parallel cables included).
    std::uint32_t choices = 0;
    for (const std::uint32_t next : hops) choices += static_cast<std::uint32_t>(cables_between(at, next).size());
    std::uint32_t pick = 0;
    switch (spec_.routing) {
      case RoutingPolicy::ecmp:
        pick = static_cast<std::uint32_t>(mix(flow_key ^ mix(spec_.seed + hop)) % choices);
        keyed = keyed || choices > 1;
        break;
      case RoutingPolicy::static_: pick = dst_nic % choices; break;
      case RoutingPolicy::adaptive: pick = choices; break;  // resolved below by load
    }
    LinkId chosen;
    std::uint32_t chosen_next = 0;
    double best_load = 0.0;
    std::uint32_t index = 0;
    for (const std::uint32_t next : hops) {
      for (const auto& [neighbour, cable] : cables_between(at, next)) {
        if (spec_.routing == RoutingPolicy::adaptive) {
          // Least loaded wins; ties go to the first in (neighbour, cable) order, so the choice is deterministic.
          const double load = cable.index() < link_load.size() ? link_load[cable.index()] : 0.0;
          if (!chosen.valid() || load < best_load) {
            chosen = cable;
            chosen_next = neighbour;
            best_load = load;
          }
        } else if (index == pick) {
          chosen = cable;
          chosen_next = neighbour;
        }
        ++index;
      }
    }
    route.push_back(chosen);
    at = chosen_next;
  }
  route.push_back(nic_downlink_[dst_nic]);
  return keyed;
}

Route Cluster::route(GpuId src, GpuId dst, std::uint64_t flow_key, std::span<const double> link_load) const {
  Route into;
  route(src, dst, flow_key, into, link_load);
  return into;
}

bool Cluster::route(GpuId src, GpuId dst, std::uint64_t flow_key, Route& route,
                    std::span<const double> link_load) const {
  DSIM_CHECK(src != dst, "route from GPU {} to itself", src.value());
  route.clear();
  const std::uint32_t s = src.value();
  const std::uint32_t d = dst.value();
  if (node_of(src) == node_of(dst)) {
    if (spec_.node.nvlink.present()) {
      route.push_back(nvlink_up_[s]);
      route.push_back(nvlink_down_[d]);
      return false;
    }
    append_pcie_path(route, gpu_pcie_up_[s], gpu_pcie_down_[d]);
    return false;
  }
  std::uint32_t sender = s;
  const std::uint32_t dst_nic = nic_of(dst);
  std::uint32_t src_nic = nic_of(src);
  const auto rails = static_cast<std::uint32_t>(spec_.node.nic.count);
  if (spec_.fabric.kind == FabricKind::multi_plane_fat_tree && src_nic % rails != dst_nic % rails) {
    // PXN: hand the data to the GPU of this node that sits on the destination's plane, then go out through its NIC.
    const std::uint32_t node_first_gpu = node_of(src).value() * static_cast<std::uint32_t>(spec_.node.gpus);
    const std::uint32_t relay = node_first_gpu + static_cast<std::uint32_t>(local(dst));
    if (spec_.node.nvlink.present()) {
      route.push_back(nvlink_up_[s]);
      route.push_back(nvlink_down_[relay]);
      sender = relay;
      src_nic = nic_of(GpuId(relay));
    } else {
      src_nic = node_of(src).value() * rails + dst_nic % rails;  // no NVLink: PCIe straight to that NIC
    }
  }
  append_pcie_path(route, gpu_pcie_up_[sender], nic_pcie_down_[src_nic]);
  const bool keyed = append_fabric_path(route, src_nic, dst_nic, flow_key, link_load);
  append_pcie_path(route, nic_pcie_up_[dst_nic], gpu_pcie_down_[d]);
  return keyed;
}

PathKind Cluster::path_kind(GpuId src, GpuId dst) const {
  if (node_of(src) != node_of(dst)) return PathKind::network;
  return spec_.node.nvlink.present() ? PathKind::nvlink : PathKind::pcie;
}

Route Cluster::host_to_gpu(GpuId gpu) const {
  const std::uint32_t g = gpu.value();
  const Vertex pcie = links_[gpu_pcie_down_[g].index()].from;
  return {memory_read_[node_of(gpu).index()], host_to_switch_[pcie.index], gpu_pcie_down_[g]};
}

}  // namespace dsim::topology
