// SPDX-License-Identifier: Apache-2.0
// A small H800-like cluster spec with round numbers, shared by the topology, models and replay tests.
#pragma once

#include "topology/cluster_spec.hpp"

namespace dsim::testing {

// 2 nodes x 4 GPUs; NVLink 200 GB/s x 0.8 = 160 GB/s, 1 us; NIC 400 Gb/s = 50 GB/s x 0.8 = 40 GB/s, 2 us;
// switch 0.5 us; bf16 peak 1000 TFLOP/s.
inline topology::ClusterSpec small_cluster() {
  topology::ClusterSpec spec;
  spec.nodes = 2;
  spec.gpus_per_node = 4;
  spec.gpu.model = "test GPU";
  spec.gpu.peak_flops = {2000e12, 1000e12, 60e12};
  spec.gpu.sm_count = 132;
  spec.scale_up = {units::GBps(200), 0.8, units::us(1)};
  spec.scale_out = {units::gbps(400), 0.8, units::us(2)};
  spec.fabric = {topology::FabricKind::single_switch, units::us(0.5)};
  return spec;
}

}  // namespace dsim::testing
