// SPDX-License-Identifier: Apache-2.0
// The Fabric object (its adjacency index and counts), the checks every kind shares, and the dispatch of
// build_fabric and full_fabric_counts to the per-kind builders.
#include "topology/fabrics/fabric.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"
#include "topology/fabrics/fabric_builders.hpp"

namespace dsim::topology {
namespace detail {

void fail(std::string_view where, const std::string& message) {
  throw InputError("", std::string(where), message);
}

void check_build_size(const BuildRequest& request, std::uint64_t switches, std::uint64_t links) {
  if (links > max_built_links) {
    fail(request.where, fmt::format("a {} for {} endpoints needs {} switches and {} switch links, more than the "
                                    "builder's limit of {} links; full_fabric_counts still gives its counts",
                                    to_string(request.spec.kind), request.endpoints, switches, links,
                                    max_built_links));
  }
}

LeafPorts leaf_ports(const FabricSpec& spec) {
  const double k = spec.radix;
  const double o = spec.oversubscription;
  // The epsilon keeps exact ratios exact (64 * 3 / 4 = 48) despite rounding in the division.
  const auto down = static_cast<std::uint32_t>(std::floor(k * o / (1.0 + o) + 1e-9));
  return {down, static_cast<std::uint32_t>(spec.radix) - down};
}

std::uint32_t add_switches(FabricGraph& graph, std::uint32_t count, SwitchInfo info) {
  const auto first = static_cast<std::uint32_t>(boost::num_vertices(graph));
  for (std::uint32_t i = 0; i < count; ++i) boost::add_vertex(info, graph);
  return first;
}

}  // namespace detail

namespace {

using detail::fail;

bool is_fat_tree(FabricKind kind) {
  return kind == FabricKind::fat_tree_2 || kind == FabricKind::fat_tree_3 ||
         kind == FabricKind::multi_plane_fat_tree || kind == FabricKind::multi_rail_fat_tree;
}

bool has_planes(FabricKind kind) {
  return kind == FabricKind::multi_plane_fat_tree || kind == FabricKind::multi_rail_fat_tree;
}

void reject_unused(bool used, bool at_default, std::string_view field, std::string_view applies_to,
                   std::string_view default_value, FabricKind kind, std::string_view where) {
  if (!used && !at_default) {
    fail(where, fmt::format("'{}' applies only to {}; leave it at {} for {}", field, applies_to, default_value,
                            to_string(kind)));
  }
}

// Checks what every kind shares: the kind itself, the radix, and that fields of other kinds keep their defaults.
void validate_common(const FabricSpec& spec, std::string_view where) {
  const auto index = static_cast<std::size_t>(spec.kind);
  if (index >= fabric_kinds().size()) {
    fail(where, fmt::format("unknown fabric kind {}; valid kinds: {}", index, fabric_kind_names()));
  }
  if (spec.radix < 4 || spec.radix > 1024 || spec.radix % 2 != 0) {
    fail(where, fmt::format("radix must be an even number of switch ports from 4 to 1024 (got {})", spec.radix));
  }
  const FabricKind kind = spec.kind;
  reject_unused(is_fat_tree(kind), spec.oversubscription == 1.0, "oversubscription",
                "fat_tree_2, fat_tree_3, multi_plane_fat_tree and multi_rail_fat_tree", "1", kind, where);
  if (is_fat_tree(kind) && !(std::isfinite(spec.oversubscription) && spec.oversubscription >= 1.0)) {
    fail(where, fmt::format("oversubscription must be a finite ratio of at least 1 (1 = non-blocking, 2 = 2:1); "
                            "got {}", spec.oversubscription));
  }
  reject_unused(has_planes(kind), spec.planes == 1, "planes", "multi_plane_fat_tree and multi_rail_fat_tree", "1",
                kind, where);
  if (has_planes(kind) && (spec.planes < 1 || spec.planes > spec.radix)) {
    fail(where, fmt::format("planes must be from 1 to the radix ({}); got {}", spec.radix, spec.planes));
  }
  reject_unused(kind == FabricKind::slim_fly, spec.slim_fly_q == 0, "slim_fly_q", "slim_fly", "0", kind, where);
  const bool dragonfly = kind == FabricKind::dragonfly;
  reject_unused(dragonfly, spec.dragonfly_a == 0, "dragonfly_a", "dragonfly", "0", kind, where);
  reject_unused(dragonfly, spec.dragonfly_p == 0, "dragonfly_p", "dragonfly", "0", kind, where);
  reject_unused(dragonfly, spec.dragonfly_h == 0, "dragonfly_h", "dragonfly", "0", kind, where);
  reject_unused(dragonfly, spec.dragonfly_groups == 0, "dragonfly_groups", "dragonfly", "0", kind, where);
}

}  // namespace

Fabric::Fabric(detail::FabricParts&& parts)
    : spec_(parts.spec),
      geometry_(parts.geometry),
      graph_(std::move(parts.graph)),  // the pointer moves; the graph stays where the builder made it
      endpoint_switch_(std::move(parts.endpoint_switch)),
      layer_names_(std::move(parts.layer_names)) {
  // Distinct neighbours, ascending: parallel cables collapse to one entry, and the sorted order makes every
  // next-hop set deterministic and adjacency a binary search.
  const std::uint32_t n = switch_count();
  infos_.reserve(n);
  for (std::uint32_t s = 0; s < n; ++s) infos_.push_back((*graph_)[s]);
  adjacency_begin_.assign(n + 1, 0);
  adjacency_.reserve(boost::num_edges(*graph_) * 2);
  std::vector<std::uint32_t> scratch;
  for (std::uint32_t s = 0; s < n; ++s) {
    scratch.clear();
    for (auto [it, end] = boost::adjacent_vertices(s, *graph_); it != end; ++it) {
      scratch.push_back(static_cast<std::uint32_t>(*it));
    }
    std::sort(scratch.begin(), scratch.end());
    scratch.erase(std::unique(scratch.begin(), scratch.end()), scratch.end());
    adjacency_.insert(adjacency_.end(), scratch.begin(), scratch.end());
    adjacency_begin_[s + 1] = static_cast<std::uint32_t>(adjacency_.size());
  }
  if (spec_.kind == FabricKind::fat_tree_3) {
    column_.assign(n, 0);
    for (std::uint32_t s = 0; s < n; ++s) {
      if (info(s).layer == 1) column_[s] = (s - geometry_.leaves_per_plane) % geometry_.aggregations_per_pod;
      if (info(s).layer == 2) column_[s] = info(s).group;
    }
  }
  if (spec_.kind == FabricKind::dragonfly) {
    global_begin_.assign(n + 1, 0);
    for (std::uint32_t s = 0; s < n; ++s) {
      for (const std::uint32_t t : neighbours(s)) {
        if (info(t).group != info(s).group) global_.push_back(t);
      }
      global_begin_[s + 1] = static_cast<std::uint32_t>(global_.size());
    }
  }
  for (const std::uint32_t leaf : endpoint_switch_) {
    DSIM_CHECK(leaf < n && info(leaf).layer == 0, "endpoint cabled to switch {}, not a leaf", leaf);
  }
}

const SwitchInfo& Fabric::switch_info(std::uint32_t s) const {
  DSIM_CHECK(s < switch_count(), "switch {} out of range ({} switches)", s, switch_count());
  return info(s);
}

std::uint32_t Fabric::switch_of_endpoint(std::uint32_t endpoint) const {
  DSIM_CHECK(endpoint < endpoint_count(), "endpoint {} out of range ({} endpoints)", endpoint, endpoint_count());
  return endpoint_switch_[endpoint];
}

std::span<const std::uint32_t> Fabric::neighbours(std::uint32_t s) const {
  DSIM_CHECK(s < switch_count(), "switch {} out of range ({} switches)", s, switch_count());
  return std::span<const std::uint32_t>(adjacency_).subspan(adjacency_begin_[s],
                                                             adjacency_begin_[s + 1] - adjacency_begin_[s]);
}

std::span<const std::uint32_t> Fabric::global_neighbours(std::uint32_t router) const {
  return std::span<const std::uint32_t>(global_).subspan(global_begin_[router],
                                                          global_begin_[router + 1] - global_begin_[router]);
}

FabricCounts Fabric::counts() const {
  FabricCounts out;
  out.endpoints = endpoint_count();
  out.endpoint_links = endpoint_count();
  out.switches = switch_count();
  out.switch_links = boost::num_edges(*graph_);
  out.switches_per_layer.assign(layer_names_.size(), 0);
  for (std::uint32_t s = 0; s < switch_count(); ++s) ++out.switches_per_layer.at(info(s).layer);
  for (auto [it, end] = boost::edges(*graph_); it != end; ++it) {
    ++out.links_per_kind[static_cast<std::size_t>((*graph_)[*it])];
  }
  return out;
}

FabricCounts full_fabric_counts(const FabricSpec& spec, std::string_view where) {
  validate_common(spec, where);
  switch (spec.kind) {
    case FabricKind::single_switch: return detail::single_switch_counts(spec, where);
    case FabricKind::fat_tree_2:
    case FabricKind::multi_plane_fat_tree:
    case FabricKind::multi_rail_fat_tree: return detail::two_layer_counts(spec, where);
    case FabricKind::fat_tree_3: return detail::fat_tree_3_counts(spec, where);
    case FabricKind::slim_fly: return detail::slim_fly_counts(spec, where);
    case FabricKind::dragonfly: return detail::dragonfly_counts(spec, where);
  }
  DSIM_CHECK(false, "unhandled fabric kind {}", static_cast<int>(spec.kind));
  return {};
}

std::uint64_t max_endpoints(const FabricSpec& spec, std::string_view where) {
  return full_fabric_counts(spec, where).endpoints;
}

Fabric build_fabric(const FabricSpec& spec, std::uint32_t endpoints, std::uint32_t endpoints_per_node,
                    std::string_view where) {
  validate_common(spec, where);
  if (endpoints == 0) fail(where, "a fabric needs at least one endpoint (NIC port); got 0");
  if (endpoints_per_node == 0 || endpoints % endpoints_per_node != 0) {
    fail(where, fmt::format("{} endpoints do not split into whole nodes of {} endpoints each", endpoints,
                            endpoints_per_node));
  }
  if (has_planes(spec.kind) && endpoints_per_node % static_cast<std::uint32_t>(spec.planes) != 0) {
    fail(where, fmt::format("planes ({}) must divide the endpoints per node ({}): every node puts the same number "
                            "of NICs on each plane",
                            spec.planes, endpoints_per_node));
  }
  const detail::BuildRequest request{spec, endpoints, endpoints_per_node, where};
  switch (spec.kind) {
    case FabricKind::single_switch: return Fabric(detail::build_single_switch(request));
    case FabricKind::fat_tree_2:
    case FabricKind::multi_plane_fat_tree:
    case FabricKind::multi_rail_fat_tree: return Fabric(detail::build_two_layer(request));
    case FabricKind::fat_tree_3: return Fabric(detail::build_fat_tree_3(request));
    case FabricKind::slim_fly: return Fabric(detail::build_slim_fly(request));
    case FabricKind::dragonfly: return Fabric(detail::build_dragonfly(request));
  }
  DSIM_CHECK(false, "unhandled fabric kind {}", static_cast<int>(spec.kind));
  return Fabric(detail::build_single_switch(request));
}

}  // namespace dsim::topology
