// SPDX-License-Identifier: Apache-2.0
// `dsim topo`: what a scenario's cluster is made of, how far apart its endpoints are, what its bisection carries and
// what its fabric costs, as text, JSON, or a Graphviz drawing for small fabrics.
#pragma once

#include <optional>
#include <string>

#include "topology/cluster.hpp"
#include "topology/cost/cost_model.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::report {

struct TopologyFigures {
  std::string fabric_kind;
  std::uint64_t nodes = 0;
  std::uint64_t gpus = 0;
  std::uint64_t nics = 0;
  std::uint64_t pcie_switches = 0;
  topology::FabricCounts counts;                 // endpoints, switches (per layer), cables
  std::vector<std::string> layer_names;
  std::vector<std::pair<std::string, std::uint64_t>> links_by_kind;  // directed links; empty if not built
  std::optional<int> diameter_switch_hops;       // between the switches endpoints attach to
  bool diameter_sampled = false;                 // from a sample of leaves (large fabrics)
  std::optional<double> bisection_GBps;          // per direction; only where a closed form is known
  topology::CostBreakdown cost;
  std::string table_row;                         // the fabric's cost-table row, when the scenario names one
  bool built = true;                             // false: counts and cost come from closed forms
  std::string not_built_reason;
};

// From a built cluster.
TopologyFigures describe_cluster(const topology::Cluster& cluster, const topology::CostPrices& prices);
// From closed forms only, for fabrics that cannot be built (e.g. a Slim Fly whose q is not a prime power).
TopologyFigures describe_unbuilt(const topology::ClusterSpec& spec, const topology::CostPrices& prices,
                                 std::string reason);

std::string topology_text(const TopologyFigures& figures);
std::string topology_json(const TopologyFigures& figures);
// A Graphviz graph of switches, NICs and GPUs; throws InputError when the cluster is too large to draw usefully.
std::string topology_dot(const topology::Cluster& cluster);

}  // namespace dsim::report
