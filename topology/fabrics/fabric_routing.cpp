// SPDX-License-Identifier: Apache-2.0
// Shortest switch paths: each fabric's distance from its structure (no all-pairs table, no cache), and the ECMP
// set of next hops, the neighbours one hop closer: a slice of the sorted neighbour list on fat trees, computed per
// call on Slim Fly and Dragonfly. Memory stays O(switches + cables) at any size, and a call touches no shared
// mutable state, so concurrent calls are safe. The tests check every rule here against breadth-first search.
#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

#include "sim/core/check.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::topology {

bool Fabric::adjacent(std::uint32_t a, std::uint32_t b) const {
  const auto n = neighbours(a);
  return std::binary_search(n.begin(), n.end(), b);
}

// FT2, MPFT, MRFT: every leaf of a plane is cabled to every spine of it (partial builds keep this), so a leaf and
// a spine are 1 apart and two switches of the same layer 2 (via any switch of the other layer). MPFT planes share
// no switch; MRFT leaves carry their rail but reach every (shared) spine.
int Fabric::two_layer_distance(std::uint32_t from, std::uint32_t to) const {
  const SwitchInfo& a = info(from);
  const SwitchInfo& b = info(to);
  if (spec_.kind == FabricKind::multi_plane_fat_tree && a.plane != b.plane) return unreachable;
  return a.layer != b.layer ? 1 : 2;
}

// FT3 (Al-Fares et al. 2008): edge switches reach every aggregation switch of their pod, aggregation switch j of
// every pod reaches every core of group j, and a path changes aggregation index only through an edge switch.
// Hence, with pod P and aggregation index (or core group) J:
//   edge-edge: same pod 2, else 4 (edge, agg, core, agg, edge);  edge-agg: same pod 1, else 3;  edge-core: 2;
//   agg-agg: same pod or same J 2, else 4;  agg-core: same J 1, else 3 (through an edge of the pod);
//   core-core: same J 2, else 4.
int Fabric::fat_tree_3_distance(std::uint32_t from, std::uint32_t to) const {
  if (info(from).layer > info(to).layer) std::swap(from, to);
  const SwitchInfo& a = info(from);
  const SwitchInfo& b = info(to);
  switch (a.layer * 3 + b.layer) {
    case 0: return a.group == b.group ? 2 : 4;                                   // edge, edge
    case 1: return a.group == b.group ? 1 : 3;                                   // edge, aggregation
    case 2: return 2;                                                            // edge, core
    case 4: return a.group == b.group || column_[from] == column_[to] ? 2 : 4;  // aggregation, aggregation
    case 5: return column_[from] == b.group ? 1 : 3;                             // aggregation, core
    case 8: return a.group == b.group ? 2 : 4;                                   // core, core
    default: break;
  }
  DSIM_CHECK(false, "fat_tree_3: switches {} and {} have layers {} and {}", from, to, a.layer, b.layer);
  return unreachable;
}

// The FT3 hop sets of the table above, as slices of the sorted neighbour list (lower layers have lower ids): all
// neighbours, the down ones (a prefix), the up ones (a suffix), or the one aggregation switch of the needed index.
std::span<const std::uint32_t> Fabric::fat_tree_3_next_hops(std::uint32_t at, std::uint32_t to) const {
  const auto all = neighbours(at);
  const SwitchInfo& a = info(at);
  const SwitchInfo& b = info(to);
  const std::uint32_t first_aggregation = geometry_.leaves_per_plane;
  const std::uint32_t u = geometry_.aggregations_per_pod;
  const std::uint32_t first_core = first_aggregation + geometry_.pods * u;
  const auto from = [&](std::uint32_t id) {  // index of the first neighbour >= id
    return static_cast<std::size_t>(std::lower_bound(all.begin(), all.end(), id) - all.begin());
  };
  const auto one = [&](std::uint32_t id) {
    const std::size_t i = from(id);
    DSIM_CHECK(i < all.size() && all[i] == id, "fat_tree_3: switch {} is not a neighbour of {}", id, at);
    return all.subspan(i, 1);
  };
  const std::uint32_t boundary = a.layer == 1 ? first_core : first_aggregation;  // where the up neighbours start
  switch (a.layer * 3 + b.layer) {
    case 1:  // edge to aggregation (other pod), 3: through the aggregation switch of the target's index
    case 2:  // edge to core, 2: likewise
      return one(first_aggregation + a.group * u + column_[to]);
    case 3:  // aggregation to edge (other pod), 3: up through any core
      return all.subspan(from(boundary));
    case 4:  // aggregation to aggregation: same pod down, same index up, else everything (4)
      if (a.group == b.group) return all.first(from(boundary));
      return column_[at] == column_[to] ? all.subspan(from(boundary)) : all;
    case 5:  // aggregation to core of another group, 3: down through any edge
      return all.first(from(boundary));
    case 6:  // core to edge, 2, and core to aggregation of another index, 3: the target pod's switch of this group
    case 7:
      return one(first_aggregation + b.group * u + column_[at]);
    default:  // edge to edge (2 or 4), core to core (2 or 4): every neighbour
      return all;
  }
}

namespace {

// True when one of `far`, a router's global neighbours in ascending id order (hence grouped: group g holds the ids
// g*a .. g*a + a - 1), lies in group g.
bool reaches_group(std::span<const std::uint32_t> far, std::uint32_t g, std::uint32_t a) {
  const auto it = std::lower_bound(far.begin(), far.end(), g * a);
  return it != far.end() && *it < (g + 1) * a;
}

}  // namespace

// Dragonfly: every pair of groups is joined, so the distance is at most 3 (local, global, local). It is 1 inside a
// group or across a direct global cable; 2 when a global neighbour of one sits in the other's group, or the two
// share a global neighbour in a third group; else 3. O(h) with the sorted global neighbour lists.
int Fabric::dragonfly_distance(std::uint32_t from, std::uint32_t to) const {
  const std::uint32_t a = geometry_.dragonfly_a;
  const std::uint32_t group_from = info(from).group;
  const std::uint32_t group_to = info(to).group;
  if (group_from == group_to) return 1;
  const auto far_from = global_neighbours(from);
  const auto far_to = global_neighbours(to);
  if (std::binary_search(far_from.begin(), far_from.end(), to)) return 1;
  if (reaches_group(far_from, group_to, a) || reaches_group(far_to, group_from, a)) return 2;
  auto i = far_from.begin();
  auto j = far_to.begin();
  while (i != far_from.end() && j != far_to.end()) {
    if (*i == *j) return 2;
    if (*i < *j) {
      ++i;
    } else {
      ++j;
    }
  }
  return 3;
}

// The same tests, one hop ahead, for every neighbour n of `at` (d = distance(at, to) >= 2). At d = 2 the hops are
// the neighbours adjacent to `to`; at d = 3 those at distance 2, where the shared-neighbour test reads a per-thread
// mark of to's global neighbours instead of merging two lists per candidate.
void Fabric::dragonfly_next_hops(std::uint32_t at, std::uint32_t to, int d, std::vector<std::uint32_t>& hops) const {
  const std::uint32_t a = geometry_.dragonfly_a;
  const std::uint32_t group_at = info(at).group;
  const std::uint32_t group_to = info(to).group;
  const auto far_to = global_neighbours(to);
  if (d == 2) {
    for (const std::uint32_t n : neighbours(at)) {
      const auto far = global_neighbours(n);
      if (info(n).group == group_to || std::binary_search(far.begin(), far.end(), to)) hops.push_back(n);
    }
    return;
  }
  thread_local std::vector<std::uint32_t> mark;
  thread_local std::uint32_t epoch = 0;
  if (mark.size() < switch_count() || ++epoch == 0) {
    mark.assign(std::max<std::size_t>(mark.size(), switch_count()), 0);
    epoch = 1;
  }
  for (const std::uint32_t z : far_to) mark[z] = epoch;
  for (const std::uint32_t n : neighbours(at)) {
    const auto far = global_neighbours(n);
    const std::uint32_t group = info(n).group;
    bool hit = reaches_group(far, group_to, a) || (group != group_at && reaches_group(far_to, group, a));
    for (auto z = far.begin(); !hit && z != far.end(); ++z) hit = mark[*z] == epoch;
    if (hit) hops.push_back(n);
  }
}

int Fabric::distance(std::uint32_t from, std::uint32_t to) const {
  DSIM_CHECK(from < switch_count() && to < switch_count(), "switches {} and {}: out of range ({} switches)", from,
             to, switch_count());
  if (from == to) return 0;
  switch (spec_.kind) {
    case FabricKind::single_switch: break;  // one switch: from == to above
    case FabricKind::fat_tree_2:
    case FabricKind::multi_plane_fat_tree:
    case FabricKind::multi_rail_fat_tree: return two_layer_distance(from, to);
    case FabricKind::fat_tree_3: return fat_tree_3_distance(from, to);
    case FabricKind::slim_fly: return adjacent(from, to) ? 1 : 2;  // MMS graphs have diameter 2
    case FabricKind::dragonfly: return dragonfly_distance(from, to);
  }
  DSIM_CHECK(false, "no distance for fabric kind {}", to_string(spec_.kind));
  return unreachable;
}

std::span<const std::uint32_t> Fabric::next_hops(std::uint32_t at, std::uint32_t to) const {
  const int d = distance(at, to);
  if (d == 0 || d == unreachable) return {};
  const auto candidates = neighbours(at);
  if (d == 1) {
    // The one hop is `to` itself: a span into the adjacency index.
    const auto it = std::lower_bound(candidates.begin(), candidates.end(), to);
    return candidates.subspan(static_cast<std::size_t>(it - candidates.begin()), 1);
  }
  switch (spec_.kind) {
    case FabricKind::fat_tree_2:
    case FabricKind::multi_plane_fat_tree:
    case FabricKind::multi_rail_fat_tree:
      return candidates;  // d = 2: a leaf's neighbours are all spines of its plane, a spine's all leaves
    case FabricKind::fat_tree_3: return fat_tree_3_next_hops(at, to);
    default: break;
  }
  // Slim Fly and Dragonfly sets are no slices: they go to a buffer per thread (no allocation once it has grown, no
  // sharing between threads).
  thread_local std::vector<std::uint32_t> hops;
  hops.clear();
  if (spec_.kind == FabricKind::slim_fly) {
    const auto far = neighbours(to);  // d = 2: the common neighbours
    std::set_intersection(candidates.begin(), candidates.end(), far.begin(), far.end(), std::back_inserter(hops));
  } else {
    dragonfly_next_hops(at, to, d, hops);
  }
  DSIM_CHECK(!hops.empty(), "no next hop from switch {} towards {} at distance {}", at, to, d);
  return hops;
}

}  // namespace dsim::topology
