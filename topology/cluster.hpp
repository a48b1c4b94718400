// SPDX-License-Identifier: Apache-2.0
// A built cluster: GPUs, the directed links between them and the route of every GPU pair.
// This first builder knows one fabric, `single_switch`: every NIC is cabled to one scale-out switch. Routes are
// lists of directed links, the form every later fabric (fat-trees, Slim Fly, ...) keeps, so models never care
// which fabric produced them.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/ids.hpp"
#include "sim/core/units.hpp"
#include "topology/cluster_spec.hpp"

namespace dsim::topology {

enum class LinkKind { nvlink, infiniband };
inline constexpr std::array<std::string_view, 2> link_kind_names = {"nvlink", "infiniband"};
constexpr std::string_view to_string(LinkKind k) { return link_kind_names[static_cast<std::size_t>(k)]; }

struct Link {
  std::string name;     // "gpu3.nvlink.tx", for reports
  LinkKind kind;
  Bandwidth capacity;   // nominal, per direction
  double efficiency;    // achievable fraction of capacity
  Time latency;         // fixed cost a transfer pays for crossing this link

  Bandwidth effective_capacity() const { return capacity * efficiency; }
};

using Route = std::vector<LinkId>;

class Cluster {
 public:
  explicit Cluster(const ClusterSpec& spec);

  const ClusterSpec& spec() const { return spec_; }
  int gpu_count() const { return spec_.gpu_count(); }
  NodeId node_of(GpuId gpu) const;
  const std::vector<Link>& links() const { return links_; }
  const Link& link(LinkId id) const { return links_[id.index()]; }

  // The directed links a transfer from src to dst crosses, in order. Same node: the source GPU's NVLink transmit
  // side, then the destination's receive side (NVSwitch is non-blocking). Other node: the source GPU's NIC uplink
  // (its GPUDirect RDMA NIC), the switch, the destination NIC's downlink. src != dst.
  Route route(GpuId src, GpuId dst) const;

 private:
  // Link ids are laid out per GPU so they can be computed: gpu g owns [g*4, g*4+4).
  enum PerGpuLink { nvlink_tx, nvlink_rx, nic_tx, nic_rx, links_per_gpu };
  LinkId link_of(GpuId gpu, PerGpuLink which) const;

  ClusterSpec spec_;
  std::vector<Link> links_;
};

}  // namespace dsim::topology
