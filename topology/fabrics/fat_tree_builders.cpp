// SPDX-License-Identifier: Apache-2.0
// Builders and closed-form counts of the tree fabrics: single switch, two-layer fat-tree (FT2), multi-plane (MPFT)
// and multi-rail (MRFT) fat-trees, and the three-layer k-ary fat-tree (FT3).
//
// Partial builds (fewer endpoints than the maximum) keep every leaf cabled to every switch above it, so all
// shortest paths keep the full-size lengths: a two-layer plane of L leaves with u uplinks each gets
// S = ceil(L*u / k) spines (the fewest whose ports take every uplink at the stated oversubscription), and leaf l's
// uplink t goes to spine (l*u + t) mod S, i.e. parallel cables when S < u. One leaf needs no spine at all. FT3 is
// built the same way one layer up (see build_fat_tree_3). FT2 and FT3 fill their leaves in endpoint order, d per
// leaf, so the NICs of a node sit side by side (not rail-aligned: that is MRFT).
#include <string>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "topology/fabrics/fabric_builders.hpp"

namespace dsim::topology::detail {
namespace {

std::uint32_t radix_of(const FabricSpec& spec) { return static_cast<std::uint32_t>(spec.radix); }

void cable(FabricGraph& graph, std::uint32_t a, std::uint32_t b, CableKind kind) { boost::add_edge(a, b, kind, graph); }

// ---- two layers: FT2, MPFT, MRFT -------------------------------------------------------------------------------
//
// MPFT (Zhao et al., ISCA 2025, arXiv 2505.09343, the multi-plane network and Table 3): `planes` independent FT2s;
// NIC i of every node is cabled to a leaf of plane i only, and planes share no switch, so traffic between planes
// is forwarded inside a node (NVLink or PCIe to the NIC of the other plane). 8 planes x 2,048 = 16,384 endpoints.
//
// MRFT (the multi-rail fat-tree that paper sets beside MPFT; NVIDIA's "rail-optimized" fabric): NICs of the same
// index on every node go to the same leaves ("NIC1-Leaf1, NIC2-Leaf2", with leaves and spines "fully meshed in a
// 2-tier Clos", as Asterfusion's rail-optimized configuration guide puts it; "each plane's leaf switch is then
// connected up to every spine switch", G. Lockwood's notes on multi-plane fabrics). So: the same rail-aligned leaves
// as MPFT (a leaf serves NIC i of 32 nodes, never another NIC index), but one spine layer shared by every rail.
// Cables: NIC i -> a leaf of rail i (endpoint link); leaf -> every spine (leaf_spine). Cross-rail traffic can go
// leaf -> spine -> leaf of the other rail inside the fabric (or, as NCCL's PXN does, over NVLink to the NIC of the
// destination's rail first). Being one FT2, it holds at most k^2/2 endpoints (2,048 at k = 64).
struct TwoLayerShape {
  std::uint32_t fabrics = 1;  // independent switch sets: MPFT planes, else 1
  std::uint32_t rails = 1;    // MRFT rails sharing one spine layer, else 1
  std::uint32_t leaves_per_rail = 0;
  std::uint32_t leaves = 0;   // per fabric
  std::uint32_t spines = 0;   // per fabric
  LeafPorts ports{};
};

std::uint32_t planes_of(const FabricSpec& spec) {
  return spec.kind == FabricKind::fat_tree_2 ? 1 : static_cast<std::uint32_t>(spec.planes);
}

// The most endpoints one plane (MPFT) or one rail (MRFT) holds: a spine's k ports bound the leaves of a fabric.
std::uint64_t max_per_plane(const FabricSpec& spec) {
  const std::uint64_t leaves = spec.kind == FabricKind::multi_rail_fat_tree ? radix_of(spec) / planes_of(spec)
                                                                            : radix_of(spec);
  return leaves * leaf_ports(spec).endpoints;
}

TwoLayerShape two_layer_shape(const FabricSpec& spec, std::uint64_t endpoints_per_plane) {
  TwoLayerShape shape;
  shape.ports = leaf_ports(spec);
  if (spec.kind == FabricKind::multi_plane_fat_tree) shape.fabrics = planes_of(spec);
  if (spec.kind == FabricKind::multi_rail_fat_tree) shape.rails = planes_of(spec);
  shape.leaves_per_rail = static_cast<std::uint32_t>(ceil_div(endpoints_per_plane, shape.ports.endpoints));
  shape.leaves = shape.rails * shape.leaves_per_rail;
  shape.spines = shape.leaves <= 1
                     ? 0
                     : static_cast<std::uint32_t>(ceil_div(std::uint64_t{shape.leaves} * shape.ports.uplinks,
                                                           radix_of(spec)));
  return shape;
}

FabricCounts two_layer_shape_counts(const TwoLayerShape& shape, std::uint64_t endpoints) {
  FabricCounts out;
  out.endpoints = endpoints;
  out.endpoint_links = endpoints;
  out.switches_per_layer = {std::uint64_t{shape.fabrics} * shape.leaves, std::uint64_t{shape.fabrics} * shape.spines};
  out.switches = out.switches_per_layer[0] + out.switches_per_layer[1];
  out.switch_links = shape.spines == 0 ? 0 : std::uint64_t{shape.fabrics} * shape.leaves * shape.ports.uplinks;
  out.links_per_kind[static_cast<std::size_t>(CableKind::leaf_spine)] = out.switch_links;
  return out;
}

std::string two_layer_capacity(const FabricSpec& spec) {
  const LeafPorts ports = leaf_ports(spec);
  switch (spec.kind) {
    case FabricKind::multi_plane_fat_tree:
      return fmt::format("{} planes x {} leaves x {} endpoints", spec.planes, spec.radix, ports.endpoints);
    case FabricKind::multi_rail_fat_tree:
      return fmt::format("{} rails x {} leaves x {} endpoints: the rails share one layer of {}-port spines",
                         spec.planes, spec.radix / spec.planes, ports.endpoints, spec.radix);
    default: return fmt::format("{} leaves x {} endpoints", spec.radix, ports.endpoints);
  }
}

// ---- three layers: FT3 -----------------------------------------------------------------------------------------
//
// Al-Fares et al., SIGCOMM 2008, section 3: k pods, each of k/2 edge and k/2 aggregation switches with every edge
// cabled to every aggregation switch of its pod; (k/2)^2 cores in k/2 groups, aggregation switch j of every pod
// cabled to each core of group j. Endpoints k^3/4. Oversubscription splits the edge switch (d endpoints, u
// uplinks, so u aggregation switches per pod and u core groups); aggregation switches stay 1:1 (k/2 down, k/2 up).
// Partial build: E = ceil(n/d) edges filled pod by pod, P = ceil(E/(k/2)) pods, each with all u aggregation
// switches (none when E = 1); when P >= 2, ceil(P/2) cores per group (each core's k ports take the k/2 uplinks of
// two pods) and aggregation (p, j)'s uplink t goes to core (j, (p*k/2 + t) mod ceil(P/2)). Every aggregation switch
// of a partial last pod keeps its k/2 uplinks: a little more than its edges need, for the same path lengths.
struct FatTree3Shape {
  LeafPorts ports{};
  std::uint32_t edges = 0;
  std::uint32_t edges_per_pod = 0;
  std::uint32_t pods = 0;
  std::uint32_t aggregations_per_pod = 0;
  std::uint32_t core_groups = 0;
  std::uint32_t cores_per_group = 0;
};

FatTree3Shape fat_tree_3_shape(const FabricSpec& spec, std::uint64_t endpoints) {
  FatTree3Shape shape;
  shape.ports = leaf_ports(spec);
  shape.edges_per_pod = radix_of(spec) / 2;
  shape.edges = static_cast<std::uint32_t>(ceil_div(endpoints, shape.ports.endpoints));
  shape.pods = static_cast<std::uint32_t>(ceil_div(shape.edges, shape.edges_per_pod));
  shape.aggregations_per_pod = shape.edges <= 1 ? 0 : shape.ports.uplinks;
  shape.cores_per_group = shape.pods <= 1 ? 0 : static_cast<std::uint32_t>(ceil_div(shape.pods, 2));
  shape.core_groups = shape.cores_per_group == 0 ? 0 : shape.ports.uplinks;
  return shape;
}

FabricCounts fat_tree_3_shape_counts(const FatTree3Shape& shape, std::uint64_t endpoints, std::uint32_t radix) {
  FabricCounts out;
  out.endpoints = endpoints;
  out.endpoint_links = endpoints;
  out.switches_per_layer = {shape.edges, std::uint64_t{shape.pods} * shape.aggregations_per_pod,
                            std::uint64_t{shape.core_groups} * shape.cores_per_group};
  out.switches = out.switches_per_layer[0] + out.switches_per_layer[1] + out.switches_per_layer[2];
  auto& per_kind = out.links_per_kind;
  per_kind[static_cast<std::size_t>(CableKind::leaf_spine)] = std::uint64_t{shape.edges} * shape.aggregations_per_pod;
  per_kind[static_cast<std::size_t>(CableKind::spine_core)] =
      shape.cores_per_group == 0 ? 0 : out.switches_per_layer[1] * (radix / 2);
  out.switch_links = per_kind[static_cast<std::size_t>(CableKind::leaf_spine)] +
                     per_kind[static_cast<std::size_t>(CableKind::spine_core)];
  return out;
}

std::uint64_t fat_tree_3_max(const FabricSpec& spec) {
  return std::uint64_t{radix_of(spec)} * (radix_of(spec) / 2) * leaf_ports(spec).endpoints;
}

}  // namespace

// ---- single switch ---------------------------------------------------------------------------------------------

FabricCounts single_switch_counts(const FabricSpec& spec, std::string_view /*where*/) {
  FabricCounts out;
  out.endpoints = radix_of(spec);
  out.endpoint_links = radix_of(spec);
  out.switches = 1;
  out.switches_per_layer = {1};
  return out;
}

FabricParts build_single_switch(const BuildRequest& request) {
  if (request.endpoints > radix_of(request.spec)) {
    fail(request.where, fmt::format("{} endpoints exceed the {} ports of a single_switch of radix {}",
                                    request.endpoints, request.spec.radix, request.spec.radix));
  }
  FabricParts parts(request.spec, {"switch"});
  parts.geometry.endpoints_per_leaf = radix_of(request.spec);
  add_switches(*parts.graph, 1, SwitchInfo{});
  parts.endpoint_switch.assign(request.endpoints, 0);
  return parts;
}

// ---- two layers ------------------------------------------------------------------------------------------------

FabricCounts two_layer_counts(const FabricSpec& spec, std::string_view /*where*/) {
  return two_layer_shape_counts(two_layer_shape(spec, max_per_plane(spec)), planes_of(spec) * max_per_plane(spec));
}

FabricParts build_two_layer(const BuildRequest& request) {
  const FabricSpec& spec = request.spec;
  const std::uint32_t planes = planes_of(spec);
  const std::uint64_t max = planes * max_per_plane(spec);
  if (request.endpoints > max) {
    fail(request.where, fmt::format("{} endpoints exceed the {} that a {} of radix {} holds ({})", request.endpoints,
                                    max, to_string(spec.kind), spec.radix, two_layer_capacity(spec)));
  }
  const TwoLayerShape shape = two_layer_shape(spec, request.endpoints / planes);
  const FabricCounts expected = two_layer_shape_counts(shape, request.endpoints);
  check_build_size(request, expected.switches, expected.switch_links);

  FabricParts parts(spec, {"leaf", "spine"});
  parts.geometry.endpoints_per_leaf = shape.ports.endpoints;
  parts.geometry.uplinks_per_leaf = shape.ports.uplinks;
  parts.geometry.planes = planes;
  parts.geometry.leaves_per_plane = shape.leaves_per_rail;
  parts.geometry.spines_per_plane = shape.spines;
  const bool mpft = spec.kind == FabricKind::multi_plane_fat_tree;
  const bool mrft = spec.kind == FabricKind::multi_rail_fat_tree;
  FabricGraph& graph = *parts.graph;
  for (std::uint32_t f = 0; f < shape.fabrics; ++f) {
    const auto plane = static_cast<std::uint16_t>(f);
    const std::uint32_t first_leaf = static_cast<std::uint32_t>(boost::num_vertices(graph));
    for (std::uint32_t l = 0; l < shape.leaves; ++l) {
      // MRFT leaves carry their rail: leaves are rail-pure.
      add_switches(graph, 1, {0, mrft ? static_cast<std::uint16_t>(l / shape.leaves_per_rail) : plane, 0});
    }
    const std::uint32_t first_spine =
        add_switches(graph, shape.spines, {1, mrft ? shared_plane : plane, 0});
    for (std::uint32_t l = 0; l < shape.leaves && shape.spines > 0; ++l) {
      for (std::uint32_t t = 0; t < shape.ports.uplinks; ++t) {
        cable(graph, first_leaf + l, first_spine + (l * shape.ports.uplinks + t) % shape.spines,
              CableKind::leaf_spine);
      }
    }
  }
  // NIC i of node m is on plane (rail) i mod P, where it is the r-th endpoint of that plane; planes fill their
  // leaves in order, d endpoints per leaf.
  const std::uint32_t per_node = request.endpoints_per_node;
  const std::uint32_t per_node_per_plane = per_node / planes;
  const std::uint32_t fabric_size = shape.leaves + shape.spines;
  parts.endpoint_switch.resize(request.endpoints);
  for (std::uint32_t e = 0; e < request.endpoints; ++e) {
    const std::uint32_t node = e / per_node;
    const std::uint32_t nic = e % per_node;
    const std::uint32_t plane = nic % planes;
    const std::uint32_t rank = node * per_node_per_plane + nic / planes;
    const std::uint32_t leaf = rank / shape.ports.endpoints + (mrft ? plane * shape.leaves_per_rail : 0);
    parts.endpoint_switch[e] = (mpft ? plane * fabric_size : 0) + leaf;
  }
  return parts;
}

// ---- three layers ----------------------------------------------------------------------------------------------

FabricCounts fat_tree_3_counts(const FabricSpec& spec, std::string_view /*where*/) {
  const std::uint64_t max = fat_tree_3_max(spec);
  return fat_tree_3_shape_counts(fat_tree_3_shape(spec, max), max, radix_of(spec));
}

FabricParts build_fat_tree_3(const BuildRequest& request) {
  const FabricSpec& spec = request.spec;
  const std::uint64_t max = fat_tree_3_max(spec);
  const FatTree3Shape shape = fat_tree_3_shape(spec, request.endpoints);
  if (request.endpoints > max) {
    fail(request.where,
         fmt::format("{} endpoints exceed the {} that a fat_tree_3 of radix {} holds ({} pods x {} edge switches x "
                     "{} endpoints)",
                     request.endpoints, max, spec.radix, spec.radix, shape.edges_per_pod, shape.ports.endpoints));
  }
  const FabricCounts expected = fat_tree_3_shape_counts(shape, request.endpoints, radix_of(spec));
  check_build_size(request, expected.switches, expected.switch_links);

  FabricParts parts(spec, {"edge", "aggregation", "core"});
  FabricGeometry& geometry = parts.geometry;
  geometry.endpoints_per_leaf = shape.ports.endpoints;
  geometry.uplinks_per_leaf = shape.ports.uplinks;
  geometry.leaves_per_plane = shape.edges;
  geometry.pods = shape.pods;
  geometry.edges_per_pod = shape.edges_per_pod;
  geometry.aggregations_per_pod = shape.aggregations_per_pod;
  geometry.cores_per_group = shape.cores_per_group;

  FabricGraph& graph = *parts.graph;
  for (std::uint32_t e = 0; e < shape.edges; ++e) add_switches(graph, 1, {0, 0, e / shape.edges_per_pod});
  const std::uint32_t u = shape.aggregations_per_pod;
  for (std::uint32_t p = 0; p < shape.pods && u > 0; ++p) add_switches(graph, u, {1, 0, p});
  const std::uint32_t first_core = static_cast<std::uint32_t>(boost::num_vertices(graph));
  for (std::uint32_t j = 0; j < shape.core_groups; ++j) add_switches(graph, shape.cores_per_group, {2, 0, j});

  const std::uint32_t first_aggregation = shape.edges;
  for (std::uint32_t e = 0; e < shape.edges; ++e) {
    const std::uint32_t pod = e / shape.edges_per_pod;
    for (std::uint32_t j = 0; j < u; ++j) cable(graph, e, first_aggregation + pod * u + j, CableKind::leaf_spine);
  }
  const std::uint32_t half = radix_of(spec) / 2;
  for (std::uint32_t p = 0; p < shape.pods && shape.cores_per_group > 0; ++p) {
    for (std::uint32_t j = 0; j < u; ++j) {
      for (std::uint32_t t = 0; t < half; ++t) {
        const std::uint32_t core = first_core + j * shape.cores_per_group + (p * half + t) % shape.cores_per_group;
        cable(graph, first_aggregation + p * u + j, core, CableKind::spine_core);
      }
    }
  }
  parts.endpoint_switch.resize(request.endpoints);
  for (std::uint32_t e = 0; e < request.endpoints; ++e) parts.endpoint_switch[e] = e / shape.ports.endpoints;
  return parts;
}

}  // namespace dsim::topology::detail
