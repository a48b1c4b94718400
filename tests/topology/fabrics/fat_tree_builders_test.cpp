// SPDX-License-Identifier: Apache-2.0
// The tree fabrics: single switch, FT2 (full, partial, oversubscribed), MPFT (planes share no switch), MRFT (leaves
// rail-pure, spines shared) and FT3 (full and partial), each count derived by hand in the test.
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/topology/fabrics/fabric_test_support.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::topology {
namespace {

using testing::full_build;
using testing::spec_of;

constexpr auto where = "/cluster/fabric";

std::uint64_t cables_between(const Fabric& fabric, std::uint32_t a, std::uint32_t b) {
  std::uint64_t n = 0;
  for (auto [it, end] = boost::out_edges(a, fabric.graph()); it != end; ++it) {
    if (boost::target(*it, fabric.graph()) == b) ++n;
  }
  return n;
}

TEST_CASE("single switch: every endpoint is on switch 0 and there is no switch link", "[topology]") {
  const Fabric fabric = build_fabric(spec_of(FabricKind::single_switch, 8), 6, 2, where);
  const FabricCounts counts = fabric.counts();
  CHECK(counts.endpoints == 6);
  CHECK(counts.switches == 1);
  CHECK(counts.switch_links == 0);
  CHECK(counts.endpoint_links == 6);
  CHECK(fabric.switch_of_endpoint(5) == 0);
  CHECK(fabric.layer_names()[0] == "switch");
}

TEST_CASE("fat_tree_2: a partial build has the leaves it needs and the spines their uplinks need", "[topology]") {
  // Radix 8 at 1:1: 4 endpoints + 4 uplinks per leaf. 10 endpoints need ceil(10/4) = 3 leaves, whose 12 uplinks
  // need ceil(12/8) = 2 spines; leaf l's uplink t goes to spine (4l + t) mod 2: 2 cables from each leaf to each spine.
  const Fabric fabric = build_fabric(spec_of(FabricKind::fat_tree_2, 8), 10, 2, where);
  const FabricCounts counts = fabric.counts();
  CHECK(counts.switches_per_layer == std::vector<std::uint64_t>{3, 2});
  CHECK(counts.switch_links == 12);
  for (std::uint32_t leaf = 0; leaf < 3; ++leaf) {
    CHECK(cables_between(fabric, leaf, 3) == 2);
    CHECK(cables_between(fabric, leaf, 4) == 2);
  }
  CHECK(fabric.switch_of_endpoint(3) == 0);
  CHECK(fabric.switch_of_endpoint(4) == 1);
  CHECK(fabric.switch_of_endpoint(9) == 2);
  CHECK(fabric.geometry().spines_per_plane == 2);
}

TEST_CASE("fat_tree_2: one leaf needs no spine", "[topology]") {
  const Fabric fabric = build_fabric(spec_of(FabricKind::fat_tree_2, 8), 4, 4, where);
  CHECK(fabric.counts().switches == 1);
  CHECK(fabric.counts().switch_links == 0);
}

TEST_CASE("fat_tree_2: oversubscription moves leaf ports from uplinks to endpoints", "[topology]") {
  // Radix 8 at 3:1: d = floor(8 x 3/4) = 6 endpoints, 2 uplinks. Full: 8 leaves x 6 = 48 endpoints, 2 spines,
  // 8 x 2 = 16 links.
  FabricSpec spec = spec_of(FabricKind::fat_tree_2, 8);
  spec.oversubscription = 3.0;
  const FabricCounts counts = full_build(spec).counts();
  CHECK(counts.endpoints == 48);
  CHECK(counts.switches_per_layer == std::vector<std::uint64_t>{8, 2});
  CHECK(counts.switch_links == 16);
  // Radix 64 at 2:1: d = floor(64 x 2/3) = 42 (42/22 = 1.91, never above 2), u = 22; 64 x 42 = 2,688 endpoints,
  // 22 spines, 64 x 22 = 1,408 links.
  spec = spec_of(FabricKind::fat_tree_2, 64);
  spec.oversubscription = 2.0;
  const FabricCounts wide = full_fabric_counts(spec);
  CHECK(wide.endpoints == 2688);
  CHECK(wide.switches == 86);
  CHECK(wide.switch_links == 1408);
}

TEST_CASE("multi_plane_fat_tree: DeepSeek's 2,048 GPUs use 8 leaves and 4 spines per plane", "[topology]") {
  // 256 nodes x 8 NICs; plane i holds NIC i of every node: 256 endpoints = 8 leaves of 32, whose 256 uplinks need
  // 4 spines of 64 ports (8 cables from each leaf to each spine). 8 planes: 96 switches, 8 x 256 = 2,048 links.
  const Fabric fabric = build_fabric(spec_of(FabricKind::multi_plane_fat_tree, 64, 8), 2048, 8, where);
  const FabricCounts counts = fabric.counts();
  CHECK(counts.switches_per_layer == std::vector<std::uint64_t>{64, 32});
  CHECK(counts.switch_links == 2048);
  CHECK(fabric.geometry().leaves_per_plane == 8);
  CHECK(fabric.geometry().spines_per_plane == 4);
  CHECK(cables_between(fabric, 0, 8) == 8);
}

TEST_CASE("multi_plane_fat_tree: NIC i of every node is on plane i and planes share no switch", "[topology]") {
  const Fabric fabric = build_fabric(spec_of(FabricKind::multi_plane_fat_tree, 16, 4), 4 * 40, 4, where);
  for (std::uint32_t e = 0; e < fabric.endpoint_count(); ++e) {
    CHECK(fabric.switch_info(fabric.switch_of_endpoint(e)).plane == e % 4);
  }
  // Every cable stays inside one plane, and each plane is a connected two-layer tree of its own.
  for (auto [it, end] = boost::edges(fabric.graph()); it != end; ++it) {
    const auto a = static_cast<std::uint32_t>(boost::source(*it, fabric.graph()));
    const auto b = static_cast<std::uint32_t>(boost::target(*it, fabric.graph()));
    CHECK(fabric.switch_info(a).plane == fabric.switch_info(b).plane);
  }
  std::set<std::uint32_t> planes;
  for (std::uint32_t s = 0; s < fabric.switch_count(); ++s) planes.insert(fabric.switch_info(s).plane);
  CHECK(planes == std::set<std::uint32_t>{0, 1, 2, 3});
  CHECK(fabric.distance(fabric.switch_of_endpoint(0), fabric.switch_of_endpoint(1)) == Fabric::unreachable);
  CHECK(fabric.next_hops(fabric.switch_of_endpoint(0), fabric.switch_of_endpoint(1)).empty());
}

TEST_CASE("multi_rail_fat_tree: leaves are rail-pure and every spine is shared by all rails", "[topology]") {
  // Radix 64, 8 rails, 256 nodes: each rail's 256 NICs fill 8 leaves, 64 leaves in all, whose 2,048 uplinks
  // fill 32 spines: the full size, like FT2 (96 switches, 2,048 links).
  const Fabric fabric = build_fabric(spec_of(FabricKind::multi_rail_fat_tree, 64, 8), 2048, 8, where);
  const FabricCounts counts = fabric.counts();
  CHECK(counts.switches_per_layer == std::vector<std::uint64_t>{64, 32});
  CHECK(counts.switch_links == 2048);
  CHECK(counts == full_fabric_counts(spec_of(FabricKind::multi_rail_fat_tree, 64, 8)));
  std::vector<std::set<std::uint32_t>> rails_of_leaf(fabric.switch_count());
  for (std::uint32_t e = 0; e < fabric.endpoint_count(); ++e) {
    const std::uint32_t leaf = fabric.switch_of_endpoint(e);
    rails_of_leaf[leaf].insert(e % 8);
    CHECK(fabric.switch_info(leaf).plane == e % 8);
  }
  for (std::uint32_t s = 0; s < fabric.switch_count(); ++s) {
    if (fabric.switch_info(s).layer == 0) {
      CHECK(rails_of_leaf[s].size() == 1);
      continue;
    }
    CHECK(fabric.switch_info(s).plane == shared_plane);
    std::set<std::uint32_t> rails;
    for (const std::uint32_t leaf : fabric.neighbours(s)) rails.insert(fabric.switch_info(leaf).plane);
    CHECK(rails.size() == 8);
  }
  // NIC 0 and NIC 1 of node 0: different rails, joined leaf -> spine -> leaf inside the fabric.
  CHECK(fabric.distance(fabric.switch_of_endpoint(0), fabric.switch_of_endpoint(1)) == 2);
}

TEST_CASE("multi_rail_fat_tree: a partial build gives every rail its own leaves", "[topology]") {
  // Radix 8, 2 rails, 6 nodes of 2 NICs: 6 NICs per rail need 2 leaves of 4, 4 leaves in all; their 16 uplinks
  // need 2 spines. Rail 1 starts at leaf 2; node 5's NIC 1 is rail 1's endpoint 5, on its second leaf (leaf 3).
  const Fabric fabric = build_fabric(spec_of(FabricKind::multi_rail_fat_tree, 8, 2), 12, 2, where);
  CHECK(fabric.counts().switches_per_layer == std::vector<std::uint64_t>{4, 2});
  CHECK(fabric.counts().switch_links == 16);
  CHECK(fabric.switch_of_endpoint(1) == 2);
  CHECK(fabric.switch_of_endpoint(11) == 3);
}

TEST_CASE("fat_tree_3: a full radix-8 tree has 8 pods and 16 cores", "[topology]") {
  // k = 8: 8 pods x 4 edges x 4 endpoints = 128; 32 edge + 32 aggregation + 4^2 = 16 core = 80 switches;
  // 32 x 4 + 32 x 4 = 256 links. Aggregation j of every pod reaches the 4 cores of group j, one cable each.
  const Fabric fabric = full_build(spec_of(FabricKind::fat_tree_3, 8));
  const FabricCounts counts = fabric.counts();
  CHECK(counts.endpoints == 128);
  CHECK(counts.switches_per_layer == std::vector<std::uint64_t>{32, 32, 16});
  CHECK(counts.switch_links == 256);
  CHECK(counts.links_per_kind[static_cast<std::size_t>(CableKind::spine_core)] == 128);
  // Aggregation switch 1 of pod 2 is switch 32 + 2*4 + 1 = 41; core group 1 is switches 64 + 4 .. 64 + 7.
  CHECK(fabric.switch_info(41).group == 2);
  const auto up = fabric.neighbours(41);
  CHECK(std::vector<std::uint32_t>(up.end() - 4, up.end()) == std::vector<std::uint32_t>{68, 69, 70, 71});
}

TEST_CASE("fat_tree_3: a partial build fills pods in order and gives each core group ceil(pods/2) cores",
          "[topology]") {
  // Radix 8: 40 endpoints need 10 edges in 3 pods (4, 4, 2), each pod with 4 aggregation switches (12); 3 pods
  // need ceil(3/2) = 2 cores per group, 4 groups: 8 cores. Links: 10 x 4 edge uplinks + 12 x 4 aggregation
  // uplinks = 88; a core takes 3 pods x 4 / 2 = 6 cables.
  const Fabric fabric = build_fabric(spec_of(FabricKind::fat_tree_3, 8), 40, 8, where);
  const FabricCounts counts = fabric.counts();
  CHECK(counts.switches_per_layer == std::vector<std::uint64_t>{10, 12, 8});
  CHECK(counts.switch_links == 88);
  for (std::uint32_t core = 22; core < 30; ++core) CHECK(boost::out_degree(core, fabric.graph()) == 6);
  // One pod needs no core; one edge needs nothing above it.
  const FabricCounts one_pod = build_fabric(spec_of(FabricKind::fat_tree_3, 8), 12, 4, where).counts();
  CHECK(one_pod.switches_per_layer == std::vector<std::uint64_t>{3, 4, 0});
  CHECK(one_pod.switch_links == 12);
  CHECK(build_fabric(spec_of(FabricKind::fat_tree_3, 8), 4, 4, where).counts().switches == 1);
}

}  // namespace
}  // namespace dsim::topology
