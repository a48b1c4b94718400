// SPDX-License-Identifier: Apache-2.0
// Routing support: the structural distance and next hops of every fabric checked against breadth-first search on
// the built graph, walks that follow random next hops, and concurrent use from several threads.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/core/rng.hpp"
#include "tests/topology/fabrics/fabric_test_support.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::topology {
namespace {

using testing::bfs_distances;
using testing::spec_of;

constexpr auto where = "/cluster/fabric";
constexpr std::uint64_t seed = 20250514;

struct Case {
  std::string name;
  FabricSpec spec;
  std::uint32_t endpoints;
  std::uint32_t per_node;
};

FabricSpec with(FabricSpec spec, int q, int groups = 0, double oversubscription = 1.0) {
  spec.slim_fly_q = q;
  spec.dragonfly_groups = groups;
  spec.oversubscription = oversubscription;
  return spec;
}

// Small fabrics of every kind, full and partial, including parallel cables (partial trees) and uneven global
// wiring (a dragonfly of 4 groups).
std::vector<Case> small_fabrics() {
  return {
      {"single switch", spec_of(FabricKind::single_switch, 8), 8, 1},
      {"FT2 full", spec_of(FabricKind::fat_tree_2, 8), 32, 4},
      {"FT2 partial", spec_of(FabricKind::fat_tree_2, 8), 10, 2},
      {"FT2 3:1", with(spec_of(FabricKind::fat_tree_2, 8), 0, 0, 3.0), 48, 4},
      {"MPFT full", spec_of(FabricKind::multi_plane_fat_tree, 8, 2), 64, 2},
      {"MPFT partial", spec_of(FabricKind::multi_plane_fat_tree, 16, 4), 160, 4},
      {"MRFT full", spec_of(FabricKind::multi_rail_fat_tree, 8, 2), 32, 2},
      {"MRFT partial", spec_of(FabricKind::multi_rail_fat_tree, 8, 2), 12, 2},
      {"FT3 full", spec_of(FabricKind::fat_tree_3, 8), 128, 4},
      {"FT3 partial", spec_of(FabricKind::fat_tree_3, 8), 40, 8},
      {"FT3 one pod", spec_of(FabricKind::fat_tree_3, 8), 12, 4},
      {"FT3 2:1", with(spec_of(FabricKind::fat_tree_3, 12), 0, 0, 2.0), 12 * 6 * 8, 8},
      {"SF q=5", with(spec_of(FabricKind::slim_fly, 12), 5), 200, 4},
      {"SF q=9", with(spec_of(FabricKind::slim_fly, 20), 9), 16, 4},
      {"DF full", spec_of(FabricKind::dragonfly, 8), 72, 8},
      {"DF 4 groups", with(spec_of(FabricKind::dragonfly, 8), 0, 4), 32, 8},
      {"DF partial", spec_of(FabricKind::dragonfly, 12), 60, 6},
  };
}

// next_hops(at, to) must be exactly the neighbours one BFS hop closer to `to`, ascending.
void check_against_bfs(const Fabric& fabric, std::uint32_t to) {
  const std::vector<int> d = bfs_distances(fabric.graph(), to);
  bool ok = true;
  for (std::uint32_t at = 0; at < fabric.switch_count(); ++at) {
    const int expected = d[at] == -1 ? Fabric::unreachable : d[at];
    ok &= fabric.distance(at, to) == expected;
    std::vector<std::uint32_t> closer;
    if (expected > 0) {
      for (const std::uint32_t n : fabric.neighbours(at)) {
        if (d[n] == expected - 1) closer.push_back(n);
      }
    }
    const auto hops = fabric.next_hops(at, to);
    ok &= std::vector<std::uint32_t>(hops.begin(), hops.end()) == closer;
  }
  CHECK(ok);
}

TEST_CASE("routing: distance and next hops match breadth-first search on every small fabric", "[topology]") {
  for (const Case& c : small_fabrics()) {
    CAPTURE(c.name);
    const Fabric fabric = build_fabric(c.spec, c.endpoints, c.per_node, where);
    for (std::uint32_t to = 0; to < fabric.switch_count(); ++to) check_against_bfs(fabric, to);
  }
}

TEST_CASE("routing: walks along random next hops reach the destination in exactly distance steps", "[topology]") {
  // Each step goes one hop closer, so a walk cannot loop; seed printed for reproduction.
  core::RngStream rng(seed, "fabric_routing_test.walks");
  INFO("seed " << seed);
  for (const Case& c : small_fabrics()) {
    CAPTURE(c.name);
    const Fabric fabric = build_fabric(c.spec, c.endpoints, c.per_node, where);
    bool ok = true;
    for (int i = 0; i < 500; ++i) {
      const auto src = static_cast<std::uint32_t>(rng.uniform_below(fabric.endpoint_count()));
      const auto dst = static_cast<std::uint32_t>(rng.uniform_below(fabric.endpoint_count()));
      std::uint32_t at = fabric.switch_of_endpoint(src);
      const std::uint32_t to = fabric.switch_of_endpoint(dst);
      const int length = fabric.distance(at, to);
      if (length == Fabric::unreachable) continue;  // across MPFT planes
      int steps = 0;
      while (at != to && steps <= length) {
        const auto hops = fabric.next_hops(at, to);
        at = hops[rng.uniform_below(hops.size())];
        ++steps;
      }
      ok &= at == to && steps == length;
    }
    CHECK(ok);
  }
}

TEST_CASE("routing: on FT2 endpoints of one leaf are 0 switch hops apart and of two leaves 2", "[topology]") {
  const Fabric fabric = build_fabric(spec_of(FabricKind::fat_tree_2, 64), 2048, 8, where);
  // Endpoints 0..31 share leaf 0; endpoint 32 is on leaf 1.
  CHECK(fabric.distance(fabric.switch_of_endpoint(0), fabric.switch_of_endpoint(31)) == 0);
  CHECK(fabric.next_hops(fabric.switch_of_endpoint(0), fabric.switch_of_endpoint(31)).empty());
  CHECK(fabric.distance(fabric.switch_of_endpoint(0), fabric.switch_of_endpoint(32)) == 2);
  // Leaf to leaf: all 32 spines are equal-cost next hops, in id order (spines are 64..95).
  const auto hops = fabric.next_hops(0, 1);
  REQUIRE(hops.size() == 32);
  CHECK(hops.front() == 64);
  CHECK(hops.back() == 95);
}

TEST_CASE("routing: Slim Fly has diameter 2 and the paper's dragonfly at most 3, checked by BFS", "[topology]") {
  // q = 7 (delta = -1): 98 routers of network radix 11; every pair at distance 1 or 2.
  FabricSpec sf = spec_of(FabricKind::slim_fly, 18);
  sf.slim_fly_q = 7;
  const Fabric slim = testing::full_build(sf);
  int diameter = 0;
  for (std::uint32_t a = 0; a < slim.switch_count(); ++a) {
    for (std::uint32_t b = 0; b < slim.switch_count(); ++b) diameter = std::max(diameter, slim.distance(a, b));
  }
  CHECK(diameter == 2);
  // The 16,352-router dragonfly of Table 3: structural distances against BFS from 12 random destinations.
  FabricSpec df = spec_of(FabricKind::dragonfly, 64);
  df.dragonfly_groups = 511;
  const Fabric paper = testing::full_build(df, 8);
  core::RngStream rng(seed, "fabric_routing_test.dragonfly");
  INFO("seed " << seed);
  for (int i = 0; i < 12; ++i) {
    const auto to = static_cast<std::uint32_t>(rng.uniform_below(paper.switch_count()));
    const std::vector<int> d = bfs_distances(paper.graph(), to);
    CHECK(*std::max_element(d.begin(), d.end()) <= 3);
    bool ok = true;
    for (std::uint32_t at = 0; at < paper.switch_count(); at += 7) ok &= paper.distance(at, to) == d[at];
    CHECK(ok);
  }
}

TEST_CASE("routing: next hops from several threads at once agree with one thread", "[topology]") {
  FabricSpec df = spec_of(FabricKind::dragonfly, 16);
  const Fabric fabric = testing::full_build(df, 4);
  const std::uint32_t n = fabric.switch_count();
  // Reference: a checksum of every next-hop set, computed on this thread.
  const auto checksum = [&](std::uint32_t first) {
    std::uint64_t sum = 0;
    for (std::uint32_t at = first; at < n; at += 3) {
      for (std::uint32_t to = 0; to < n; ++to) {
        for (const std::uint32_t hop : fabric.next_hops(at, to)) sum = sum * 1000003u + hop + 1;
      }
    }
    return sum;
  };
  std::vector<std::uint64_t> expected(4);
  for (std::uint32_t t = 0; t < 4; ++t) expected[t] = checksum(t % 3);
  std::vector<std::uint64_t> got(4);
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < 4; ++t) threads.emplace_back([&, t] { got[t] = checksum(t % 3); });
  for (std::thread& thread : threads) thread.join();
  CHECK(got == expected);
}

}  // namespace
}  // namespace dsim::topology
