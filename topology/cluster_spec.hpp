// SPDX-License-Identifier: Apache-2.0
// Plain, immutable description of a cluster as the scenario gives it: how many nodes, what is in a node, and the
// fabric joining them. No JSON past the loader: the scenario loader fills these structs, builders read them.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "sim/core/dtype.hpp"
#include "sim/core/units.hpp"

namespace dsim::topology {

struct GpuSpec {
  std::string model;                 // for reports, e.g. "H800 SXM"
  std::array<double, 3> peak_flops{};  // dense FLOP/s, indexed by Dtype
  int sm_count = 0;

  double peak(Dtype d) const { return peak_flops[static_cast<std::size_t>(d)]; }
};

// The scale-up domain: every GPU of a node reaches every other through NVSwitch at `per_gpu_bandwidth` in each
// direction (H800: 400 GB/s total = 200 GB/s per direction), of which `efficiency` is achievable.
struct ScaleUpSpec {
  Bandwidth per_gpu_bandwidth;
  double efficiency = 1.0;
  Time latency;  // one transfer's fixed cost across NVSwitch
};

// The scale-out NICs: one per GPU (as on an HGX H800 board), each `bandwidth` per direction.
struct ScaleOutSpec {
  Bandwidth bandwidth;
  double efficiency = 1.0;
  Time latency;  // NIC to NIC fixed cost of one transfer, excluding switches
};

enum class FabricKind { single_switch };
inline constexpr std::array<std::string_view, 1> fabric_kind_names = {"single_switch"};
constexpr std::string_view to_string(FabricKind k) { return fabric_kind_names[static_cast<std::size_t>(k)]; }

struct FabricSpec {
  FabricKind kind = FabricKind::single_switch;
  Time switch_latency;  // per switch traversed
};

struct ClusterSpec {
  int nodes = 0;
  int gpus_per_node = 0;
  GpuSpec gpu;
  ScaleUpSpec scale_up;
  ScaleOutSpec scale_out;
  FabricSpec fabric;

  int gpu_count() const { return nodes * gpus_per_node; }
};

}  // namespace dsim::topology
