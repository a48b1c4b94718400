// SPDX-License-Identifier: Apache-2.0
// The fabric kinds table, the Table 3 counts of Zhao et al. (ISCA 2025, arXiv 2505.09343), full-size builds of every
// kind against their closed forms, and the messages of rejected parameters.
#include <cmath>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "tests/topology/fabrics/fabric_test_support.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::topology {
namespace {

using Catch::Matchers::Contains;
using testing::full_build;
using testing::input_error_of;
using testing::spec_of;

constexpr auto where = "/cluster/fabric";

TEST_CASE("fabric kinds: every kind parses from its own name and prints back to it", "[topology]") {
  std::set<std::string_view> names;
  int index = 0;
  for (const FabricKindInfo& info : fabric_kinds()) {
    CHECK(static_cast<int>(info.kind) == index++);  // the table is in enumerator order
    CHECK(parse_fabric_kind(info.name) == info.kind);
    CHECK(to_string(info.kind) == info.name);
    CHECK_FALSE(info.description.empty());
    CHECK_FALSE(info.source.empty());
    names.insert(info.name);
  }
  CHECK(names.size() == 7);
  CHECK(to_string(FabricKind::multi_plane_fat_tree) == "multi_plane_fat_tree");
  CHECK(to_string(CableKind::spine_core) == "spine_core");
}

TEST_CASE("fabric kinds: an unknown name is rejected with the list of valid kinds", "[topology]") {
  CHECK_FALSE(parse_fabric_kind("fat_tree").has_value());
  CHECK(input_error_of([] { require_fabric_kind("fat_tree", where); }) ==
        "unknown fabric kind 'fat_tree'; valid kinds: single_switch, fat_tree_2, fat_tree_3, multi_plane_fat_tree, "
        "multi_rail_fat_tree, slim_fly, dragonfly");
  CHECK(require_fabric_kind("dragonfly", where) == FabricKind::dragonfly);
}

TEST_CASE("Table 3 of Zhao et al.: FT2, MPFT and FT3 of 64-port switches have the paper's counts, built and formula",
          "[topology]") {
  // FT2: 64 leaves x 32 endpoints = 2,048; 64 leaves + 32 spines = 96; 64 x 32 uplinks = 2,048 links.
  const Fabric ft2 = full_build(spec_of(FabricKind::fat_tree_2, 64));
  CHECK(ft2.counts().endpoints == 2048);
  CHECK(ft2.counts().switches == 96);
  CHECK(ft2.counts().switch_links == 2048);
  CHECK(ft2.counts() == full_fabric_counts(spec_of(FabricKind::fat_tree_2, 64)));
  // MPFT: 8 planes of that FT2: 16,384 endpoints, 768 switches, 16,384 links; 2,048 nodes of 8 NICs.
  const FabricSpec mpft = spec_of(FabricKind::multi_plane_fat_tree, 64, 8);
  const Fabric built_mpft = full_build(mpft, 8);
  CHECK(built_mpft.counts().endpoints == 16384);
  CHECK(built_mpft.counts().switches == 768);
  CHECK(built_mpft.counts().switch_links == 16384);
  CHECK(built_mpft.counts() == full_fabric_counts(mpft));
  // FT3: 64 pods x 32 edges x 32 endpoints = 65,536; 2,048 edge + 2,048 aggregation + 32^2 = 1,024 core = 5,120
  // switches; 2,048 x 32 edge uplinks + 2,048 x 32 aggregation uplinks = 131,072 links.
  const FabricSpec ft3 = spec_of(FabricKind::fat_tree_3, 64);
  const Fabric built_ft3 = full_build(ft3, 8);
  const FabricCounts counts = built_ft3.counts();
  CHECK(counts.endpoints == 65536);
  CHECK(counts.switches == 5120);
  CHECK(counts.switch_links == 131072);
  CHECK(counts.switches_per_layer == std::vector<std::uint64_t>{2048, 2048, 1024});
  CHECK(counts == full_fabric_counts(ft3));
}

TEST_CASE("Table 3 of Zhao et al.: the Slim Fly row is q = 28 from the formulas", "[topology]") {
  // Radix 64 allows q = 28 (delta = 0): k' = 3*28/2 = 42 network ports, p = 21 endpoints, 63 ports used.
  // Routers 2 x 28^2 = 1,568; endpoints 1,568 x 21 = 32,928; links 1,568 x 42 / 2 = 32,928.
  const FabricCounts counts = full_fabric_counts(spec_of(FabricKind::slim_fly, 64));
  CHECK(counts.endpoints == 32928);
  CHECK(counts.switches == 1568);
  CHECK(counts.switch_links == 32928);
  // 28^3 = 21,952 cables join the two subgraphs, 2 x 28^2 x 14 / 2 = 10,976 lie inside them.
  CHECK(counts.links_per_kind[static_cast<std::size_t>(CableKind::global)] == 21952);
  CHECK(counts.links_per_kind[static_cast<std::size_t>(CableKind::intra_group)] == 10976);
}

TEST_CASE("Table 3 of Zhao et al.: the Dragonfly row is a = 32, p = 16, h = 16 and 511 groups, built and closed-form",
          "[topology]") {
  // Radix 64 balanced: p = h = 16, a = 32 (16 + 31 + 16 = 63 ports). 511 groups: 511 x 32 = 16,352 routers,
  // x 16 = 261,632 endpoints; 511 x 32 x 31 / 2 = 253,456 intra-group + 511 x 32 x 16 / 2 = 130,816 global links.
  FabricSpec spec = spec_of(FabricKind::dragonfly, 64);
  spec.dragonfly_groups = 511;
  const FabricCounts formula = full_fabric_counts(spec);
  CHECK(formula.endpoints == 261632);
  CHECK(formula.switches == 16352);
  CHECK(formula.switch_links == 384272);
  const Fabric built = full_build(spec, 8);
  CHECK(built.counts() == formula);
  // The default is the largest balanced dragonfly, a*h + 1 = 513 groups: 262,656 endpoints.
  CHECK(max_endpoints(spec_of(FabricKind::dragonfly, 64)) == 262656);
}

TEST_CASE("a built fabric of every kind matches its closed-form counts at full size", "[topology]") {
  for (const int radix : {8, 12, 16, 20}) {
    for (const FabricKindInfo& info : fabric_kinds()) {
      FabricSpec spec = spec_of(info.kind, radix);
      if (info.kind == FabricKind::multi_plane_fat_tree || info.kind == FabricKind::multi_rail_fat_tree) {
        spec.planes = 2;
      }
      CAPTURE(radix, info.name);
      const std::uint32_t per_node = static_cast<std::uint32_t>(spec.planes);
      const Fabric fabric = full_build(spec, per_node);
      CHECK(fabric.counts() == full_fabric_counts(spec));
      CHECK(fabric.counts().switches_per_layer.size() == fabric.layer_names().size());
    }
  }
}

TEST_CASE("fabric: the radix must be even and within 4 to 1024 ports", "[topology]") {
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::fat_tree_2, 63), 8, 8, where); }) ==
        "radix must be an even number of switch ports from 4 to 1024 (got 63)");
  CHECK(input_error_of([] { full_fabric_counts(spec_of(FabricKind::fat_tree_3, 2048), where); }) ==
        "radix must be an even number of switch ports from 4 to 1024 (got 2048)");
}

TEST_CASE("fabric: more endpoints than the fabric holds are rejected with its maximum", "[topology]") {
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::single_switch, 8), 16, 8, where); }) ==
        "16 endpoints exceed the 8 ports of a single_switch of radix 8");
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::fat_tree_2, 64), 2056, 8, where); }) ==
        "2056 endpoints exceed the 2048 that a fat_tree_2 of radix 64 holds (64 leaves x 32 endpoints)");
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::multi_plane_fat_tree, 64, 8), 16392, 8, where); }) ==
        "16392 endpoints exceed the 16384 that a multi_plane_fat_tree of radix 64 holds (8 planes x 64 leaves x 32 "
        "endpoints)");
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::multi_rail_fat_tree, 8, 2), 34, 2, where); }) ==
        "34 endpoints exceed the 32 that a multi_rail_fat_tree of radix 8 holds (2 rails x 4 leaves x 4 endpoints: "
        "the rails share one layer of 8-port spines)");
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::fat_tree_3, 8), 136, 8, where); }) ==
        "136 endpoints exceed the 128 that a fat_tree_3 of radix 8 holds (8 pods x 4 edge switches x 4 endpoints)");
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::dragonfly, 8), 80, 8, where); }) ==
        "80 endpoints exceed the 72 that a dragonfly holds (9 groups x 4 routers x 2 endpoints)");
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::slim_fly, 8), 56, 8, where); }) ==
        "56 endpoints exceed the 54 that a slim_fly with q = 3 holds (18 routers x 3 endpoints)");
}

TEST_CASE("fabric: endpoints must split into whole nodes and planes must divide the NICs of a node", "[topology]") {
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::fat_tree_2, 8), 0, 1, where); }) ==
        "a fabric needs at least one endpoint (NIC port); got 0");
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::fat_tree_2, 8), 12, 8, where); }) ==
        "12 endpoints do not split into whole nodes of 8 endpoints each");
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::multi_plane_fat_tree, 64, 3), 16, 8, where); }) ==
        "planes (3) must divide the endpoints per node (8): every node puts the same number of NICs on each plane");
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::multi_rail_fat_tree, 8, 0), 16, 8, where); }) ==
        "planes must be from 1 to the radix (8); got 0");
}

TEST_CASE("fabric: a field of another kind must keep its default", "[topology]") {
  FabricSpec spec = spec_of(FabricKind::fat_tree_3, 64);
  spec.planes = 8;
  CHECK(input_error_of([&] { build_fabric(spec, 16, 8, where); }) ==
        "'planes' applies only to multi_plane_fat_tree and multi_rail_fat_tree; leave it at 1 for fat_tree_3");
  spec = spec_of(FabricKind::dragonfly, 64);
  spec.oversubscription = 2.0;
  CHECK(input_error_of([&] { full_fabric_counts(spec, where); }) ==
        "'oversubscription' applies only to fat_tree_2, fat_tree_3, multi_plane_fat_tree and multi_rail_fat_tree; "
        "leave it at 1 for dragonfly");
  spec = spec_of(FabricKind::fat_tree_2, 64);
  spec.slim_fly_q = 5;
  CHECK(input_error_of([&] { build_fabric(spec, 16, 8, where); }) ==
        "'slim_fly_q' applies only to slim_fly; leave it at 0 for fat_tree_2");
  spec = spec_of(FabricKind::slim_fly, 64);
  spec.dragonfly_groups = 5;
  CHECK(input_error_of([&] { build_fabric(spec, 16, 8, where); }) ==
        "'dragonfly_groups' applies only to dragonfly; leave it at 0 for slim_fly");
}

TEST_CASE("fabric: oversubscription below 1 and an unknown kind value are rejected", "[topology]") {
  FabricSpec spec = spec_of(FabricKind::fat_tree_2, 64);
  spec.oversubscription = 0.5;
  CHECK(input_error_of([&] { build_fabric(spec, 16, 8, where); }) ==
        "oversubscription must be a finite ratio of at least 1 (1 = non-blocking, 2 = 2:1); got 0.5");
  spec.oversubscription = std::nan("");
  CHECK_THAT(input_error_of([&] { build_fabric(spec, 16, 8, where); }),
             Contains("oversubscription must be a finite ratio of at least 1"));
  spec = spec_of(static_cast<FabricKind>(42), 64);
  CHECK(input_error_of([&] { build_fabric(spec, 16, 8, where); }) ==
        "unknown fabric kind 42; valid kinds: single_switch, fat_tree_2, fat_tree_3, multi_plane_fat_tree, "
        "multi_rail_fat_tree, slim_fly, dragonfly");
}

}  // namespace
}  // namespace dsim::topology
