// SPDX-License-Identifier: Apache-2.0
// A small H800-like cluster spec with round numbers, shared by the topology, models and replay tests.
#pragma once

#include "topology/cluster_spec.hpp"

namespace dsim::testing {

// 2 nodes x 4 GPUs on one switch; 2 PCIe switches per node, each with 2 GPUs and 2 NICs.
// NVLink 200 GB/s x 0.8 = 160 GB/s, 1 us. NIC 400 Gb/s = 50 GB/s x 0.8 = 40 GB/s, 2 us. PCIe 64 GB/s x 0.8 =
// 51.2 GB/s, 0.1 us per switch. Switch 0.5 us. bf16 peak 1000 TFLOP/s.
// A cross-node transfer crosses: GPU->PCIe (0), PCIe->NIC (0.1 us), NIC->switch (2 us), switch->NIC (0.5 us),
// NIC->PCIe (0), PCIe->GPU (0.1 us): 2.7 us of latency, bottleneck 40 GB/s.
inline topology::ClusterSpec small_cluster() {
  topology::ClusterSpec spec;
  spec.nodes = 2;
  auto& node = spec.node;
  node.template_name = "test";
  node.gpus = 4;
  node.gpu.model = "test GPU";
  node.gpu.peak_flops = {2000e12, 1000e12, 60e12};
  node.gpu.sm_count = 132;
  node.nvlink = {units::GBps(200), 0.8, units::us(1)};
  node.pcie = {2, 2, units::GBps(64), 0.8, units::us(0.1)};
  node.nic = {4, units::gbps(400), 0.8, units::us(2)};
  node.host_memory = {units::GBps(64), 0.8};
  spec.fabric.kind = topology::FabricKind::single_switch;
  spec.fabric.radix = 64;
  spec.fabric_links = {units::gbps(400), 0.8, units::us(0.5)};
  return spec;
}

}  // namespace dsim::testing
