// SPDX-License-Identifier: Apache-2.0
// Plain, immutable description of a cluster as the scenario gives it: how many nodes, what is in a node, the fabric
// joining their NICs and how flows are routed over it. The scenario loader fills these structs; builders read them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/core/enum_names.hpp"
#include "sim/core/units.hpp"
#include "topology/fabrics/fabric.hpp"
#include "topology/node/node_spec.hpp"

namespace dsim::topology {

// How a flow picks among equal-cost paths: ecmp hashes the flow key with the run's seed (deterministic), adaptive
// takes the least-loaded next hop at each switch, static picks by destination (D-mod-k), so every flow to one
// destination follows one path.
enum class RoutingPolicy { ecmp, adaptive, static_ /* "static"; the underscore only dodges the keyword */ };
inline constexpr std::array<std::string_view, 3> routing_policy_names = {"ecmp", "adaptive", "static"};
constexpr std::string_view to_string(RoutingPolicy p) { return routing_policy_names[static_cast<std::size_t>(p)]; }
constexpr std::optional<RoutingPolicy> parse_routing_policy(std::string_view name) {
  return parse_enum<RoutingPolicy>(routing_policy_names, name);
}

// The cables of the scale-out fabric: NIC-to-leaf and switch-to-switch.
struct FabricLinkSpec {
  Bandwidth bandwidth;   // per direction (400 Gb/s for 64-port 400G switches)
  double efficiency = 1.0;
  Time switch_latency;   // charged on every link leaving a switch
};

struct ClusterSpec {
  int nodes = 0;
  NodeSpec node;
  FabricSpec fabric;
  FabricLinkSpec fabric_links;
  RoutingPolicy routing = RoutingPolicy::ecmp;
  std::uint64_t seed = 0;  // ECMP hash seed: the run's seed

  int gpu_count() const { return nodes * node.gpus; }
  int nic_count() const { return nodes * node.nic.count; }
};

}  // namespace dsim::topology
