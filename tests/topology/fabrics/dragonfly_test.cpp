// SPDX-License-Identifier: Apache-2.0
// Dragonfly: balanced defaults, the consecutive ("palm-tree") global wiring at full size, and the even spread of
// global cables over fewer groups (every pair joined, pair counts within 2, no port used twice).
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/topology/fabrics/fabric_test_support.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::topology {
namespace {

using testing::input_error_of;
using testing::spec_of;

constexpr auto where = "/cluster/fabric";

FabricSpec dragonfly(int radix, int a = 0, int p = 0, int h = 0, int groups = 0) {
  FabricSpec spec = spec_of(FabricKind::dragonfly, radix);
  spec.dragonfly_a = a;
  spec.dragonfly_p = p;
  spec.dragonfly_h = h;
  spec.dragonfly_groups = groups;
  return spec;
}

// Global cables between each pair of groups, and the global cables of each router.
struct GlobalCensus {
  std::vector<std::vector<std::uint32_t>> between;
  std::vector<std::uint32_t> per_router;
};

GlobalCensus census(const Fabric& fabric) {
  const std::uint32_t groups = fabric.geometry().groups;
  GlobalCensus out{std::vector<std::vector<std::uint32_t>>(groups, std::vector<std::uint32_t>(groups, 0)),
                   std::vector<std::uint32_t>(fabric.switch_count(), 0)};
  for (auto [it, end] = boost::edges(fabric.graph()); it != end; ++it) {
    if (fabric.graph()[*it] != CableKind::global) continue;
    const auto a = static_cast<std::uint32_t>(boost::source(*it, fabric.graph()));
    const auto b = static_cast<std::uint32_t>(boost::target(*it, fabric.graph()));
    ++out.between[fabric.switch_info(a).group][fabric.switch_info(b).group];
    ++out.between[fabric.switch_info(b).group][fabric.switch_info(a).group];
    ++out.per_router[a];
    ++out.per_router[b];
  }
  return out;
}

TEST_CASE("dragonfly: radix 8 gives the balanced a = 4, p = 2, h = 2 with 9 groups, one cable per pair", "[topology]") {
  // p = floor(9/4) = 2, a = 4, h = 2 (2 + 3 + 2 = 7 ports); g = a*h + 1 = 9: 36 routers, 72 endpoints,
  // 9 x 4 x 3 / 2 = 54 intra-group + 9 x 8 / 2 = 36 global cables.
  const Fabric fabric = testing::full_build(dragonfly(8));
  const FabricCounts counts = fabric.counts();
  CHECK(counts.switches == 36);
  CHECK(counts.endpoints == 72);
  CHECK(counts.links_per_kind[static_cast<std::size_t>(CableKind::intra_group)] == 54);
  CHECK(counts.links_per_kind[static_cast<std::size_t>(CableKind::global)] == 36);
  const GlobalCensus c = census(fabric);
  for (std::uint32_t g = 0; g < 9; ++g) {
    for (std::uint32_t g2 = 0; g2 < 9; ++g2) CHECK(c.between[g][g2] == (g == g2 ? 0u : 1u));
  }
  // Palm-tree: router r of group G reaches groups G + 2r + 1 and G + 2r + 2 (mod 9). Router 1 of group 7 is 29.
  std::vector<std::uint32_t> far_groups;
  for (const std::uint32_t n : fabric.neighbours(29)) {
    if (fabric.switch_info(n).group != 7) far_groups.push_back(fabric.switch_info(n).group);
  }
  std::sort(far_groups.begin(), far_groups.end());
  CHECK(far_groups == std::vector<std::uint32_t>{1, 2});  // 7 + 3 = 10 = 1, 7 + 4 = 11 = 2
}

TEST_CASE("dragonfly: fewer groups than a*h + 1 share the global cables evenly", "[topology]") {
  struct Case {
    int a, p, h, groups;
    std::uint64_t global;  // floor(groups x a*h / 2)
  };
  // a*h = 8 over 4 groups: 3 partners, 2 each and the 2 spare ports to the neighbours at distance 1: 16 cables.
  // a*h = 8 over 5 groups: exactly 2 per pair: 20. a*h = 7 over 4 groups (odd spare): pairs (0,2), (1,3) get 3:
  // 14. a*h = 7 over 5 groups: 1 each, +1 at distance 1, +1 for (0,1), (2,3); group 4 keeps one port free: 17.
  // The paper's 511 groups of a*h = 512: 510 partners, 2 spare ports to the neighbours at distance 1: 130,816.
  for (const Case& k : {Case{4, 2, 2, 4, 16}, Case{4, 2, 2, 5, 20}, Case{7, 1, 1, 4, 14}, Case{7, 1, 1, 5, 17},
                        Case{32, 16, 16, 511, 130816}}) {
    CAPTURE(k.a, k.h, k.groups);
    const FabricSpec spec = dragonfly(k.a == 32 ? 64 : 8, k.a, k.p, k.h, k.groups);
    const Fabric fabric = testing::full_build(spec);
    CHECK(fabric.counts() == full_fabric_counts(spec));
    CHECK(fabric.counts().links_per_kind[static_cast<std::size_t>(CableKind::global)] == k.global);
    const GlobalCensus c = census(fabric);
    std::uint32_t fewest = ~0u;
    std::uint32_t most = 0;
    for (std::size_t g = 0; g < c.between.size(); ++g) {
      for (std::size_t g2 = 0; g2 < c.between.size(); ++g2) {
        if (g == g2) continue;
        fewest = std::min(fewest, c.between[g][g2]);
        most = std::max(most, c.between[g][g2]);
      }
    }
    CHECK(fewest >= 1);
    CHECK(most - fewest <= 2);
    CHECK(*std::max_element(c.per_router.begin(), c.per_router.end()) <= static_cast<std::uint32_t>(k.h));
  }
}

TEST_CASE("dragonfly: a partial build has the groups its endpoints need", "[topology]") {
  // Radix 8 (a = 4, p = 2, h = 2): 20 endpoints need ceil(20/8) = 3 groups of 4 routers; 3 x 6 = 18 intra-group
  // cables, and 8 global ports per group over 2 partners: 4 cables per pair, 12 in all.
  const Fabric fabric = build_fabric(dragonfly(8), 20, 4, where);
  const FabricCounts counts = fabric.counts();
  CHECK(counts.switches == 12);
  CHECK(counts.switch_links == 30);
  CHECK(fabric.geometry().groups == 3);
  CHECK(fabric.switch_of_endpoint(19) == 9);
}

TEST_CASE("dragonfly: parameters must fit the radix and allow every pair of groups a cable", "[topology]") {
  CHECK(input_error_of([] { build_fabric(dragonfly(64, 40), 8, 8, where); }) ==
        "a dragonfly router needs p + (a - 1) + h = 71 ports (p = 16, a = 40, h = 16); radix is 64");
  CHECK(input_error_of([] { full_fabric_counts(dragonfly(64, 0, 0, 0, 600), where); }) ==
        "dragonfly_groups must be from 1 to a*h + 1 = 513 (every pair of groups needs a global link); got 600");
  CHECK(input_error_of([] { full_fabric_counts(dragonfly(64, 0, -2), where); }) ==
        "dragonfly_p must be positive, or 0 for the balanced default; got -2");
}

}  // namespace
}  // namespace dsim::topology
