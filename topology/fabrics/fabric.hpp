// SPDX-License-Identifier: Apache-2.0
// Switch fabrics: the scale-out network of switches and switch-to-switch cables that joins the NICs of a cluster,
// built as a Boost.Graph, with the closed-form counts of each design (for the cost model) and shortest-path next
// hops (for routing). Endpoints (NIC ports) are not graph vertices: each is cabled to one leaf switch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

namespace dsim::topology {

// Enumerators are spelled like their JSON names.
enum class FabricKind {
  single_switch,
  fat_tree_2,
  fat_tree_3,
  multi_plane_fat_tree,
  multi_rail_fat_tree,
  slim_fly,
  dragonfly,
};

struct FabricKindInfo {
  FabricKind kind;
  std::string_view name;         // as in JSON
  std::string_view description;  // one line, for `dsim help scenario`
  std::string_view source;       // the publication the builder follows
};

// The one table of fabric kinds, in enumerator order; parse and to_string read it.
std::span<const FabricKindInfo> fabric_kinds();
std::optional<FabricKind> parse_fabric_kind(std::string_view name);
std::string_view to_string(FabricKind kind);
// "single_switch, fat_tree_2, ...": the valid names, for messages.
std::string fabric_kind_names();
// parse_fabric_kind, throwing InputError{"", where, "unknown fabric kind 'x'; valid kinds: ..."} for an unknown name.
FabricKind require_fabric_kind(std::string_view name, std::string_view where);

// Plain, immutable description of a fabric, filled by the scenario loader. A field that does not apply to the
// kind must keep its default (build_fabric rejects it otherwise, so a typo'd kind does not silently ignore it).
struct FabricSpec {
  FabricKind kind = FabricKind::single_switch;
  int radix = 64;                 // ports per switch; even, 4 to 1024
  double oversubscription = 1.0;  // fat trees: a leaf's endpoint ports / its uplinks (1 = non-blocking, 2 = 2:1)
  int planes = 1;                 // multi-plane / multi-rail: number of planes (rails); divides NICs per node
  int slim_fly_q = 0;             // 0 = the largest q the radix allows
  int dragonfly_a = 0;            // routers per group; 0 = 2p (balanced, Kim et al. 2008)
  int dragonfly_p = 0;            // endpoints per router; 0 = floor((radix + 1) / 4)
  int dragonfly_h = 0;            // global links per router; 0 = p
  int dragonfly_groups = 0;       // groups of the full-size fabric; 0 = a*h + 1 (the most that all-pairs allows)
};

// Vertex property. layer 0 = leaf (endpoint-facing): FT2/MPFT/MRFT leaf, FT3 edge, every Slim Fly and Dragonfly
// router. plane: the MPFT plane; for MRFT the rail of a leaf and `shared_plane` for a spine; 0 elsewhere.
// group: FT3 edge and aggregation switches: their pod; FT3 core: its core group (the aggregation index it serves);
// Dragonfly: the group; Slim Fly: s*q + x for router (s, x, y) (the q routers of one subgraph sharing x);
// 0 elsewhere.
struct SwitchInfo {
  std::uint8_t layer = 0;
  std::uint16_t plane = 0;
  std::uint32_t group = 0;
};
inline constexpr std::uint16_t shared_plane = 0xFFFF;

// Edge property: what a switch-to-switch cable is.
enum class CableKind : std::uint8_t {
  leaf_spine,   // FT2/MPFT/MRFT leaf to spine; FT3 edge to aggregation
  spine_core,   // FT3 aggregation to core
  intra_group,  // Dragonfly: inside a group (all-to-all); Slim Fly: inside one MMS subgraph (s = 0 or s = 1)
  global,       // Dragonfly: between groups; Slim Fly: between the two subgraphs ((0,x,y) to (1,m,c))
};
inline constexpr std::size_t cable_kind_count = 4;
std::string_view to_string(CableKind kind);

// Vertices are switches (dense ids 0..switch_count-1), edges are cables; two switches may share several cables.
// Boost 1.74's adjacency_list has no move constructor, so a Fabric holds its graph through a shared pointer: copying
// or moving a Fabric never copies the graph (which is immutable once built).
using FabricGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, SwitchInfo, CableKind>;

struct FabricCounts {
  std::uint64_t endpoints = 0;
  std::uint64_t switches = 0;
  std::uint64_t switch_links = 0;    // switch-to-switch cables (the "links" of Table 3 of Zhao et al. 2025)
  std::uint64_t endpoint_links = 0;  // NIC-to-leaf cables, one per endpoint
  std::vector<std::uint64_t> switches_per_layer;                   // indexed like layer_names()
  std::array<std::uint64_t, cable_kind_count> links_per_kind{};   // indexed by CableKind

  bool operator==(const FabricCounts&) const = default;
};

// The dimensions a builder chose (from the spec and the endpoint count). Fields that do not apply stay 0.
struct FabricGeometry {
  std::uint32_t endpoints_per_leaf = 0;  // endpoint ports of a leaf/router: FT d, Slim Fly/Dragonfly p
  std::uint32_t uplinks_per_leaf = 0;    // fat trees: u = radix - d
  std::uint32_t planes = 1;              // MPFT planes, MRFT rails
  std::uint32_t leaves_per_plane = 0;    // FT2/MPFT: leaves of one plane; MRFT: of one rail; FT3: all edges
  std::uint32_t spines_per_plane = 0;    // FT2/MPFT: spines of one plane; MRFT: of the shared spine layer
  std::uint32_t pods = 0;                // FT3
  std::uint32_t edges_per_pod = 0;       // FT3: radix/2 (the last pod of a partial build may hold fewer)
  std::uint32_t aggregations_per_pod = 0;  // FT3: u
  std::uint32_t cores_per_group = 0;     // FT3: one core group per aggregation index
  std::uint32_t slim_fly_q = 0;
  int slim_fly_delta = 0;                // q = 4w + delta
  std::uint32_t network_radix = 0;       // Slim Fly k' = (3q - delta)/2; Dragonfly a - 1 + h
  std::uint32_t dragonfly_a = 0;
  std::uint32_t dragonfly_h = 0;
  std::uint32_t groups = 0;              // Dragonfly groups built
};

namespace detail {
struct FabricParts;
}  // namespace detail

class Fabric {
 public:
  static constexpr int unreachable = -1;  // distance between the planes of an MPFT

  explicit Fabric(detail::FabricParts&& parts);  // used by build_fabric

  const FabricSpec& spec() const { return spec_; }
  const FabricGeometry& geometry() const { return geometry_; }
  const FabricGraph& graph() const { return *graph_; }
  std::uint32_t endpoint_count() const { return static_cast<std::uint32_t>(endpoint_switch_.size()); }
  std::uint32_t switch_count() const { return static_cast<std::uint32_t>(boost::num_vertices(*graph_)); }
  const SwitchInfo& switch_info(std::uint32_t s) const;
  // The leaf switch the endpoint (NIC port) is cabled to.
  std::uint32_t switch_of_endpoint(std::uint32_t endpoint) const;
  FabricCounts counts() const;  // from the built graph
  // {"switch"} / {"leaf","spine"} / {"edge","aggregation","core"} / {"router"}
  std::span<const std::string> layer_names() const { return layer_names_; }
  // The distinct switches cabled to `s`, ascending.
  std::span<const std::uint32_t> neighbours(std::uint32_t s) const;

  // The neighbours of `at` on a shortest switch path to `to` (the ECMP set), ascending; empty when at == to or
  // `to` is unreachable. The span stays valid until the next next_hops call on the same thread: fat trees return a
  // slice of the adjacency index (valid as long as the Fabric), Slim Fly and Dragonfly a per-thread buffer. Hop
  // sets come from each fabric's structure, with no table and no cache: O(log degree) on fat trees, O(degree) on
  // Slim Fly, O(degree x h) on Dragonfly, and no shared mutable state, so concurrent calls are safe.
  std::span<const std::uint32_t> next_hops(std::uint32_t at, std::uint32_t to) const;
  // Switch hops on a shortest path; 0 when from == to; `unreachable` across MPFT planes.
  int distance(std::uint32_t from, std::uint32_t to) const;

 private:
  int two_layer_distance(std::uint32_t from, std::uint32_t to) const;
  int fat_tree_3_distance(std::uint32_t from, std::uint32_t to) const;
  std::span<const std::uint32_t> fat_tree_3_next_hops(std::uint32_t at, std::uint32_t to) const;
  int dragonfly_distance(std::uint32_t from, std::uint32_t to) const;
  void dragonfly_next_hops(std::uint32_t at, std::uint32_t to, int d, std::vector<std::uint32_t>& hops) const;
  bool adjacent(std::uint32_t a, std::uint32_t b) const;
  const SwitchInfo& info(std::uint32_t s) const { return infos_[s]; }
  std::span<const std::uint32_t> global_neighbours(std::uint32_t router) const;  // Dragonfly: outside its group

  FabricSpec spec_;
  FabricGeometry geometry_;
  std::shared_ptr<const FabricGraph> graph_;
  std::vector<std::uint32_t> endpoint_switch_;
  std::vector<std::string> layer_names_;
  std::vector<SwitchInfo> infos_;  // the vertex properties again, 8 bytes each: routing reads them in its hot loop
  // Distinct neighbours in CSR form: neighbours of s are adjacency_[adjacency_begin_[s] .. adjacency_begin_[s+1]).
  std::vector<std::uint32_t> adjacency_begin_;
  std::vector<std::uint32_t> adjacency_;
  // FT3 only: the aggregation index J of an aggregation switch, the group J of a core (no division when routing).
  std::vector<std::uint32_t> column_;
  // Dragonfly only: the distinct neighbours outside the router's group, in the same CSR form.
  std::vector<std::uint32_t> global_begin_;
  std::vector<std::uint32_t> global_;
};

// Builds the fabric for `endpoints` NIC ports, where consecutive groups of `endpoints_per_node` belong to one node
// and NIC i of every node is on plane (rail) i mod planes. A cluster smaller than the fabric's maximum gets a
// partial build: only the leaves it needs and the upper switches those need at the stated oversubscription (each
// builder's comment says exactly what). Throws InputError{"", where, message} for impossible parameters; the
// message names the valid choices or range.
Fabric build_fabric(const FabricSpec& spec, std::uint32_t endpoints, std::uint32_t endpoints_per_node,
                    std::string_view where);

// Closed-form counts of the full-size fabric of this spec, also for fabrics too big to build or not constructible
// (a Slim Fly whose q is not a prime power). Throws InputError for an invalid spec.
FabricCounts full_fabric_counts(const FabricSpec& spec, std::string_view where = "");
std::uint64_t max_endpoints(const FabricSpec& spec, std::string_view where = "");

}  // namespace dsim::topology
