// SPDX-License-Identifier: Apache-2.0
#include "topology/cluster.hpp"

#include <fmt/format.h>

#include "sim/core/check.hpp"

namespace dsim::topology {

Cluster::Cluster(const ClusterSpec& spec) : spec_(spec) {
  DSIM_CHECK(spec.nodes > 0 && spec.gpus_per_node > 0, "cluster of {} nodes x {} GPUs", spec.nodes,
             spec.gpus_per_node);
  links_.reserve(static_cast<std::size_t>(spec.gpu_count()) * links_per_gpu);
  // The switch's latency is charged on the NIC's uplink, so a cross-node route pays it exactly once.
  const Time uplink_latency = spec.scale_out.latency + spec.fabric.switch_latency;
  for (int g = 0; g < spec.gpu_count(); ++g) {
    const auto& up = spec.scale_up;
    const auto& out = spec.scale_out;
    links_.push_back({fmt::format("gpu{}.nvlink.tx", g), LinkKind::nvlink, up.per_gpu_bandwidth, up.efficiency,
                      up.latency});
    links_.push_back({fmt::format("gpu{}.nvlink.rx", g), LinkKind::nvlink, up.per_gpu_bandwidth, up.efficiency,
                      Time::zero()});
    links_.push_back({fmt::format("gpu{}.nic.tx", g), LinkKind::infiniband, out.bandwidth, out.efficiency,
                      uplink_latency});
    links_.push_back({fmt::format("gpu{}.nic.rx", g), LinkKind::infiniband, out.bandwidth, out.efficiency,
                      Time::zero()});
  }
}

NodeId Cluster::node_of(GpuId gpu) const {
  DSIM_CHECK(gpu.valid() && static_cast<int>(gpu.value()) < gpu_count(), "no GPU {}", gpu.value());
  return NodeId(gpu.value() / static_cast<GpuId::Value>(spec_.gpus_per_node));
}

LinkId Cluster::link_of(GpuId gpu, PerGpuLink which) const {
  return LinkId(gpu.value() * links_per_gpu + which);
}

Route Cluster::route(GpuId src, GpuId dst) const {
  DSIM_CHECK(src != dst, "route from GPU {} to itself", src.value());
  if (node_of(src) == node_of(dst)) return {link_of(src, nvlink_tx), link_of(dst, nvlink_rx)};
  return {link_of(src, nic_tx), link_of(dst, nic_rx)};
}

}  // namespace dsim::topology
