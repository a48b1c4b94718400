// SPDX-License-Identifier: Apache-2.0
// What is inside one node: GPUs, the scale-up domain (NVLink through NVSwitch), PCIe switches pairing GPUs with
// NICs, the scale-out NICs and the host memory link used for offload traffic. Plain, immutable data; a scenario
// names a template (node_templates.hpp) and may override any field.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "sim/core/dtype.hpp"
#include "sim/core/units.hpp"

namespace dsim::topology {

struct GpuSpec {
  std::string model;                   // for reports, e.g. "H800 SXM"
  std::array<double, 3> peak_flops{};  // dense FLOP/s, indexed by Dtype
  Bytes hbm_capacity;
  Bandwidth hbm_bandwidth;
  int sm_count = 0;

  double peak(Dtype d) const { return peak_flops[static_cast<std::size_t>(d)]; }
};

// The scale-up domain: every GPU of a node reaches every other through NVSwitch at `per_gpu_bandwidth` in each
// direction (H800: 400 GB/s total = 200 GB/s each way), of which `efficiency` is achievable. A bandwidth of zero
// means the node has no NVLink and GPUs talk over PCIe.
struct ScaleUpSpec {
  Bandwidth per_gpu_bandwidth;
  double efficiency = 1.0;
  Time latency;  // one transfer's fixed cost across NVSwitch

  bool present() const { return per_gpu_bandwidth.Bps() > 0.0; }
};

// PCIe switches: switch s holds GPUs [s*g, s*g+g) and NICs [s*n, s*n+n), so GPU i and NIC i share a switch when
// g == n (GPUDirect RDMA without crossing the CPU). Each switch has one uplink to the host (CPU root complex).
struct PcieSpec {
  int gpus_per_switch = 1;
  int nics_per_switch = 1;
  Bandwidth bandwidth;  // per link per direction (Gen5 x16: 64 GB/s)
  double efficiency = 1.0;
  Time latency;         // one switch traversal
};

struct NicSpec {
  int count = 0;        // per node; NIC i is on rail (plane) i
  Bandwidth bandwidth;  // per direction
  double efficiency = 1.0;
  Time latency;         // fixed cost of one RDMA transfer, NIC to NIC, excluding switches
};

// The host memory link (CPU DRAM behind the root complex), which KV-cache offload traffic crosses.
struct HostMemorySpec {
  Bandwidth bandwidth;
  double efficiency = 1.0;
};

struct NodeSpec {
  std::string template_name;
  int gpus = 0;
  GpuSpec gpu;
  ScaleUpSpec nvlink;
  PcieSpec pcie;
  NicSpec nic;
  HostMemorySpec host_memory;

  int pcie_switches() const { return gpus / pcie.gpus_per_switch; }
};

}  // namespace dsim::topology
