// SPDX-License-Identifier: Apache-2.0
// A built cluster: the nodes' insides (GPUs, NVSwitch, PCIe switches, NICs, host memory), the scale-out fabric, the
// directed links between all of them and the route of any flow. Every route is a list of directed links, whatever
// the fabric, so models never care which builder produced them.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/ids.hpp"
#include "sim/core/units.hpp"
#include "topology/cluster_spec.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::topology {

enum class LinkKind : std::uint8_t { nvlink, pcie, host_memory, nic, fabric };
inline constexpr std::array<std::string_view, 5> link_kind_names = {"nvlink", "pcie", "host_memory", "nic", "fabric"};
constexpr std::string_view to_string(LinkKind k) { return link_kind_names[static_cast<std::size_t>(k)]; }

// The things links join. Indices are global: gpu and nic over the cluster, nvswitch and host per node, pcie_switch
// over the cluster (node x switches per node + s), fabric_switch as the fabric numbers them.
enum class VertexKind : std::uint8_t { gpu, nvswitch, pcie_switch, host, nic, fabric_switch };
struct Vertex {
  VertexKind kind;
  std::uint32_t index;
};

struct Link {
  Vertex from;
  Vertex to;
  LinkKind kind;
  Bandwidth capacity;  // nominal, per direction
  double efficiency;   // achievable fraction of capacity
  Time latency;        // fixed cost a transfer pays for crossing this link

  Bandwidth effective_capacity() const { return capacity * efficiency; }
};

using Route = std::vector<LinkId>;

// How a route went, for reports and tests.
enum class PathKind : std::uint8_t { nvlink, pcie, network };
inline constexpr std::array<std::string_view, 3> path_kind_names = {"nvlink", "pcie", "network"};
constexpr std::string_view to_string(PathKind k) { return path_kind_names[static_cast<std::size_t>(k)]; }

class Cluster {
 public:
  // Throws InputError (where "/cluster/...") when the node or fabric parameters cannot be built.
  explicit Cluster(const ClusterSpec& spec);

  const ClusterSpec& spec() const { return spec_; }
  const Fabric& fabric() const { return fabric_; }
  int gpu_count() const { return spec_.gpu_count(); }
  NodeId node_of(GpuId gpu) const;
  const std::vector<Link>& links() const { return links_; }
  const Link& link(LinkId id) const { return links_[id.index()]; }
  std::string link_name(LinkId id) const;
  std::string vertex_name(Vertex v) const;

  // The links a flow from src to dst crosses. Inside a node: NVLink through NVSwitch (or PCIe when the node has no
  // NVLink). Across nodes: GPUDirect RDMA through the NIC sharing the GPU's PCIe switch, the fabric, the destination
  // NIC. On a multi-plane fabric a flow whose NICs sit on different planes first moves over NVLink to the GPU of its
  // own node on the destination's plane (PXN), since planes share no switch. `flow_key` selects among equal-cost
  // paths under ECMP; `link_load` (bytes or flows per link, indexed by LinkId) is read by the adaptive policy and may
  // be empty otherwise.
  Route route(GpuId src, GpuId dst, std::uint64_t flow_key, std::span<const double> link_load = {}) const;
  // The same route written into `into` (cleared first), so that a caller routing millions of flows reuses one buffer.
  // Returns whether `flow_key` chose it: false when every key gives this route (no equal-cost choice on it, or a
  // policy other than ECMP; with the same link_load), so that a caller may remember it for the pair.
  bool route(GpuId src, GpuId dst, std::uint64_t flow_key, Route& into, std::span<const double> link_load = {}) const;
  PathKind path_kind(GpuId src, GpuId dst) const;
  // Host memory to a GPU over the PCIe switch (KV-cache offload reads).
  Route host_to_gpu(GpuId gpu) const;

  // The routes a covering holds for: all of them, or those of route() only, when no flow reads host memory.
  enum class Routes : std::uint8_t { all, gpu_to_gpu };
  // A link whose capacity can never limit a flow, or an invalid id: every route of the set that crosses `link` also
  // crosses the returned link, whose effective capacity is no larger (equal only when its id is smaller). Such a
  // link's constraint is implied by the other's, so leaving it out of bandwidth sharing changes no fair share; a
  // flow-level model that does so shares bandwidth over shorter paths. Following the returned links always ends at
  // a link that can limit, and that link is on every route crossing the first.
  LinkId covering_link(LinkId link, Routes routes = Routes::all) const {
    return (routes == Routes::all ? covering_ : covering_gpu_to_gpu_)[link.index()];
  }

 private:

  int local(GpuId gpu) const { return static_cast<int>(gpu.value()) % spec_.node.gpus; }
  std::uint32_t nic_of(GpuId gpu) const;  // the NIC under the GPU's PCIe switch with the matching position
  // up: a device's link into its PCIe switch; down: a switch's link to the target device. Crosses the host when the
  // two switches differ.
  void append_pcie_path(Route& route, LinkId up, LinkId down) const;
  // The cables from fabric switch `at` to its neighbour `next` (several when parallel cables join them).
  std::span<const std::pair<std::uint32_t, LinkId>> cables_between(std::uint32_t at, std::uint32_t next) const;
  // Returns whether the flow key chose among equal-cost cables.
  bool append_fabric_path(Route& route, std::uint32_t src_nic, std::uint32_t dst_nic, std::uint64_t flow_key,
                          std::span<const double> link_load) const;
  LinkId add_link(Vertex from, Vertex to, LinkKind kind, Bandwidth capacity, double efficiency, Time latency);
  void find_covering_links();

  ClusterSpec spec_;
  Fabric fabric_;
  std::vector<Link> links_;
  // Link ids by role, each indexed by the entity that owns the link.
  std::vector<LinkId> nvlink_up_, nvlink_down_;            // by GPU: GPU -> NVSwitch, NVSwitch -> GPU
  std::vector<LinkId> gpu_pcie_up_, gpu_pcie_down_;        // by GPU: GPU -> PCIe switch and back
  std::vector<LinkId> nic_pcie_up_, nic_pcie_down_;        // by NIC: NIC -> PCIe switch and back
  std::vector<LinkId> switch_to_host_, host_to_switch_;    // by PCIe switch
  std::vector<LinkId> memory_read_, memory_write_;         // by node: host memory -> root complex and back
  std::vector<LinkId> nic_uplink_, nic_downlink_;          // by NIC: NIC -> leaf, leaf -> NIC
  // Switch-to-switch cables out of each fabric switch, sorted by neighbour: (neighbour, link) pairs in CSR form.
  std::vector<std::uint32_t> cable_begin_;
  std::vector<std::pair<std::uint32_t, LinkId>> cables_;
  std::vector<LinkId> covering_;              // by link: see covering_link, for every route
  std::vector<LinkId> covering_gpu_to_gpu_;   // the same for routes between GPUs
};

}  // namespace dsim::topology
