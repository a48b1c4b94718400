// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the fabric tests: spec shorthands, the message of a rejected build, and breadth-first
// distances computed by Boost.Graph on the built graph (the oracle the structural routing is checked against).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>

#include "sim/core/errors.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::topology::testing {

inline FabricSpec spec_of(FabricKind kind, int radix, int planes = 1) {
  FabricSpec spec;
  spec.kind = kind;
  spec.radix = radix;
  spec.planes = planes;
  return spec;
}

// The message of the InputError `action` throws, or "(no error)"; the error's `where` must be the one given.
inline std::string input_error_of(const std::function<void()>& action, const std::string& where = "/cluster/fabric") {
  try {
    action();
  } catch (const InputError& error) {
    if (error.where() != where) return "(wrong where: '" + error.where() + "') " + error.message();
    return error.message();
  }
  return "(no error)";
}

inline Fabric full_build(const FabricSpec& spec, std::uint32_t endpoints_per_node = 1) {
  return build_fabric(spec, static_cast<std::uint32_t>(max_endpoints(spec)), endpoints_per_node, "/cluster/fabric");
}

// Switch hops from `source` to every switch, -1 where unreachable.
inline std::vector<int> bfs_distances(const FabricGraph& graph, std::uint32_t source) {
  std::vector<int> distance(boost::num_vertices(graph), -1);
  distance[source] = 0;
  boost::breadth_first_search(
      graph, source,
      boost::visitor(boost::make_bfs_visitor(boost::record_distances(distance.data(), boost::on_tree_edge()))));
  return distance;
}

}  // namespace dsim::topology::testing
