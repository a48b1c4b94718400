// SPDX-License-Identifier: Apache-2.0
// The table of fabric kinds (name, description, source) and the names of cable kinds; parse and to_string read it.
#include <array>
#include <cstddef>
#include <string>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::topology {
namespace {

constexpr std::array<FabricKindInfo, 7> kinds = {{
    {FabricKind::single_switch, "single_switch",
     "one switch holds every endpoint (endpoints <= radix); for small tests", "-"},
    {FabricKind::fat_tree_2, "fat_tree_2",
     "two-layer leaf/spine fat-tree: k/2 endpoints and k/2 uplinks per leaf at 1:1, every leaf cabled to every "
     "spine; at most k^2/2 endpoints",
     "Leiserson, IEEE Trans. Computers 1985; FT2 row of Table 3, Zhao et al., ISCA 2025 (arXiv 2505.09343)"},
    {FabricKind::fat_tree_3, "fat_tree_3",
     "three-layer k-ary fat-tree: k pods of k/2 edge and k/2 aggregation switches, (k/2)^2 cores; at most k^3/4 "
     "endpoints",
     "Al-Fares, Loukissas, Vahdat, 'A Scalable, Commodity Data Center Network Architecture', SIGCOMM 2008"},
    {FabricKind::multi_plane_fat_tree, "multi_plane_fat_tree",
     "one two-layer fat-tree per plane; NIC i of every node is cabled only to plane i; planes share no switch, so "
     "traffic between planes is forwarded inside a node",
     "Zhao et al., 'Insights into DeepSeek-V3', ISCA 2025 (arXiv 2505.09343), multi-plane network and Table 3"},
    {FabricKind::multi_rail_fat_tree, "multi_rail_fat_tree",
     "rail-optimized two-layer fat-tree: each leaf serves NIC i of its nodes only (one rail), all rails share one "
     "spine layer, so traffic between rails can cross the fabric",
     "NVIDIA rail-optimized DGX SuperPOD design; the MRFT baseline of Zhao et al., ISCA 2025 (arXiv 2505.09343)"},
    {FabricKind::slim_fly, "slim_fly",
     "MMS graph of diameter 2: 2q^2 routers of network radix (3q - delta)/2 and ceil(radix/2) endpoints each; q a "
     "prime power",
     "Besta and Hoefler, 'Slim Fly', SC 2014 (arXiv 1912.08968); McKay, Miller, Siran, J. Comb. Theory B 1998"},
    {FabricKind::dragonfly, "dragonfly",
     "groups of a all-to-all routers, p endpoints and h global links per router, every pair of groups joined; "
     "balanced a = 2p = 2h",
     "Kim, Dally, Scott, Abts, 'Technology-Driven, Highly-Scalable Dragonfly Topology', ISCA 2008"},
}};

constexpr std::array<std::string_view, cable_kind_count> cable_kind_names = {"leaf_spine", "spine_core",
                                                                             "intra_group", "global"};

}  // namespace

std::span<const FabricKindInfo> fabric_kinds() { return kinds; }

std::optional<FabricKind> parse_fabric_kind(std::string_view name) {
  for (const FabricKindInfo& info : kinds) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

std::string_view to_string(FabricKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  DSIM_CHECK(index < kinds.size() && kinds[index].kind == kind, "fabric kind {} is not in the table", index);
  return kinds[index].name;
}

std::string fabric_kind_names() {
  std::string out;
  for (const FabricKindInfo& info : kinds) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

FabricKind require_fabric_kind(std::string_view name, std::string_view where) {
  if (const auto kind = parse_fabric_kind(name)) return *kind;
  throw InputError("", std::string(where),
                   fmt::format("unknown fabric kind '{}'; valid kinds: {}", name, fabric_kind_names()));
}

std::string_view to_string(CableKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  DSIM_CHECK(index < cable_kind_names.size(), "cable kind {} is not in the table", index);
  return cable_kind_names[index];
}

}  // namespace dsim::topology
