// SPDX-License-Identifier: Apache-2.0
// Internal to topology/fabrics: what a builder hands to Fabric, the per-kind counts and builders that
// full_fabric_counts and build_fabric dispatch to, and the validation helpers they share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "topology/fabrics/fabric.hpp"

namespace dsim::topology::detail {

// Held by pointer so that no graph is ever copied (Boost 1.74's adjacency_list has no move constructor).
struct FabricParts {
  FabricParts(const FabricSpec& spec_, std::vector<std::string> layer_names_)
      : spec(spec_), graph(std::make_shared<FabricGraph>()), layer_names(std::move(layer_names_)) {}

  FabricSpec spec;
  FabricGeometry geometry;
  std::shared_ptr<FabricGraph> graph;
  std::vector<std::uint32_t> endpoint_switch;  // leaf of each endpoint
  std::vector<std::string> layer_names;
};

// What every builder receives once build_fabric has checked the parameters common to all kinds.
struct BuildRequest {
  const FabricSpec& spec;
  std::uint32_t endpoints;
  std::uint32_t endpoints_per_node;
  std::string_view where;
};

[[noreturn]] void fail(std::string_view where, const std::string& message);

// Refuses a build whose graph would not fit in memory comfortably; the counts stay available.
inline constexpr std::uint64_t max_built_links = std::uint64_t{1} << 24;
void check_build_size(const BuildRequest& request, std::uint64_t switches, std::uint64_t links);

// A fat-tree leaf's radix split into endpoint ports d and uplinks u = radix - d, with d the largest whole number
// whose ratio d/u does not exceed the stated oversubscription (64 ports at 1:1: 32 + 32; at 3:1: 48 + 16).
struct LeafPorts {
  std::uint32_t endpoints;
  std::uint32_t uplinks;
};
LeafPorts leaf_ports(const FabricSpec& spec);

constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// Adds `count` switches with the same info; returns the id of the first.
std::uint32_t add_switches(FabricGraph& graph, std::uint32_t count, SwitchInfo info);

// Per kind. The *_counts functions validate the kind-specific fields and give the full-size counts; the builders
// construct a (possibly partial) fabric for the request.
FabricCounts single_switch_counts(const FabricSpec& spec, std::string_view where);
FabricParts build_single_switch(const BuildRequest& request);
FabricCounts two_layer_counts(const FabricSpec& spec, std::string_view where);  // FT2, MPFT, MRFT
FabricParts build_two_layer(const BuildRequest& request);
FabricCounts fat_tree_3_counts(const FabricSpec& spec, std::string_view where);
FabricParts build_fat_tree_3(const BuildRequest& request);
FabricCounts slim_fly_counts(const FabricSpec& spec, std::string_view where);
FabricParts build_slim_fly(const BuildRequest& request);
FabricCounts dragonfly_counts(const FabricSpec& spec, std::string_view where);
FabricParts build_dragonfly(const BuildRequest& request);

}  // namespace dsim::topology::detail
