// SPDX-License-Identifier: Apache-2.0
// The fabric cost model against Table 3 of Zhao et al., "Insights into DeepSeek-V3" (ISCA 2025, arXiv 2505.09343):
// every row from the paper's counts with the one price set paper_prices(), printed as the paper prints it. Money
// compares with a relative tolerance of 1e-12; the model's products and sums are in fact exact (whole dollars times
// counts, all below 2^53).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"
#include "topology/cost/cost_model.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::topology {
namespace {

using Catch::Matchers::Contains;

constexpr double tolerance = 1e-12;

std::size_t index(CableKind kind) { return static_cast<std::size_t>(kind); }

// Table 3's counts, with the split of the switch links by cable kind that the table's designs imply.
FabricCounts counts(std::uint64_t endpoints, std::uint64_t switches, std::vector<std::uint64_t> per_layer,
                    std::uint64_t leaf_spine, std::uint64_t spine_core, std::uint64_t intra_group,
                    std::uint64_t global) {
  FabricCounts out;
  out.endpoints = endpoints;
  out.switches = switches;
  out.endpoint_links = endpoints;
  out.switches_per_layer = std::move(per_layer);
  out.links_per_kind[index(CableKind::leaf_spine)] = leaf_spine;
  out.links_per_kind[index(CableKind::spine_core)] = spine_core;
  out.links_per_kind[index(CableKind::intra_group)] = intra_group;
  out.links_per_kind[index(CableKind::global)] = global;
  out.switch_links = leaf_spine + spine_core + intra_group + global;
  return out;
}

// FT2: 64 leaves of 32 endpoints and 32 uplinks, 32 spines: 2,048 endpoints, 96 switches, 2,048 leaf-spine links.
FabricCounts ft2() { return counts(2'048, 96, {64, 32}, 2'048, 0, 0, 0); }
// MPFT: eight FT2 planes.
FabricCounts mpft() { return counts(16'384, 768, {512, 256}, 16'384, 0, 0, 0); }
// FT3 of radix 64: 64 pods of 32 edges and 32 aggregations, 1,024 cores; 65,536 edge-aggregation and 65,536
// aggregation-core links (131,072).
FabricCounts ft3() { return counts(65'536, 5'120, {2'048, 2'048, 1'024}, 65'536, 65'536, 0, 0); }
// Slim Fly q = 28 (delta = 0): 2q^2 = 1,568 routers of p = 21 endpoints and k' = 42 links: q^3 = 21,952 links
// between the two subgraphs and q^2 (q/2) = 10,976 inside them (32,928).
FabricCounts sf() { return counts(32'928, 1'568, {1'568}, 0, 0, 10'976, 21'952); }
// Dragonfly p = 16, a = 32, h = 16, g = 511 groups: 16,352 routers, 511 x 32 x 31 / 2 = 253,456 intra-group and
// 511 x 32 x 16 / 2 = 130,816 global links (384,272).
FabricCounts df() { return counts(261'632, 16'352, {16'352}, 0, 0, 253'456, 130'816); }

TEST_CASE("cost: the FT2 row of Table 3 of Zhao et al. comes out of its counts as the paper prints it", "[topology]") {
  // 96 x $32,000 + 2,048 x $850 + 2,048 x $2,040 = 3,072,000 + 1,740,800 + 4,177,920 = $8,990,720 ($9M);
  // / 2,048 = $4,390 per endpoint ($4.39k).
  const CostBreakdown cost = price_fabric(ft2(), paper_prices());
  CHECK(cost.total_usd == Approx(8'990'720.0).epsilon(tolerance));
  CHECK(cost.per_endpoint_usd == Approx(4'390.0).epsilon(tolerance));
  CHECK(format_paper_row("FT2", ft2(), cost) == "FT2 | 2,048 | 96 | 2,048 | $9M | $4.39k");
}

TEST_CASE("cost: the MPFT row of Table 3 is eight FT2 planes and prints as the paper prints it", "[topology]") {
  // 8 x $8,990,720 = $71,925,760 ($72M); the same $4,390 per endpoint ($4.39k).
  const CostBreakdown cost = price_fabric(mpft(), paper_prices());
  CHECK(cost.total_usd == Approx(71'925'760.0).epsilon(tolerance));
  CHECK(cost.per_endpoint_usd == Approx(4'390.0).epsilon(tolerance));
  CHECK(format_paper_row("MPFT", mpft(), cost) == "MPFT | 16,384 | 768 | 16,384 | $72M | $4.39k");
}

TEST_CASE("cost: the FT3 row of Table 3 comes out of its counts as the paper prints it", "[topology]") {
  // 5,120 x $32,000 + 65,536 x $850 + 65,536 x $2,040 + 65,536 x $2,100
  // = 163,840,000 + 55,705,600 + 133,693,440 + 137,625,600 = $490,864,640 ($491M); / 65,536 = $7,490 ($7.5k: the
  // paper prints one decimal here).
  const CostBreakdown cost = price_fabric(ft3(), paper_prices());
  CHECK(cost.total_usd == Approx(490'864'640.0).epsilon(tolerance));
  CHECK(cost.per_endpoint_usd == Approx(7'490.0).epsilon(tolerance));
  CHECK(format_paper_row("FT3", ft3(), cost, 1) == "FT3 | 65,536 | 5,120 | 131,072 | $491M | $7.5k");
}

TEST_CASE("cost: the Slim Fly row of Table 3 comes out of its counts as the paper prints it", "[topology]") {
  // 1,568 x $32,000 + 32,928 x $850 + 10,976 x $1,980 + 21,952 x $2,100
  // = 50,176,000 + 27,988,800 + 21,732,480 + 46,099,200 = $145,996,480 ($146M); / 32,928 = $4,433.81 ($4.4k).
  const CostBreakdown cost = price_fabric(sf(), paper_prices());
  CHECK(cost.total_usd == Approx(145'996'480.0).epsilon(tolerance));
  CHECK(cost.per_endpoint_usd == Approx(145'996'480.0 / 32'928.0).epsilon(tolerance));
  CHECK(format_paper_row("SF", sf(), cost, 1) == "SF | 32,928 | 1,568 | 32,928 | $146M | $4.4k");
}

TEST_CASE("cost: the Dragonfly row of Table 3 comes out of its counts as the paper prints it", "[topology]") {
  // 16,352 x $32,000 + 261,632 x $850 + 253,456 x $1,980 + 130,816 x $2,100
  // = 523,264,000 + 222,387,200 + 501,842,880 + 274,713,600 = $1,522,207,680 ($1,522M); / 261,632 = $5,818.125
  // ($5.8k).
  const CostBreakdown cost = price_fabric(df(), paper_prices());
  CHECK(cost.total_usd == Approx(1'522'207'680.0).epsilon(tolerance));
  CHECK(cost.per_endpoint_usd == Approx(5'818.125).epsilon(tolerance));
  CHECK(format_paper_row("DF", df(), cost, 1) == "DF | 261,632 | 16,352 | 384,272 | $1,522M | $5.8k");
}

TEST_CASE("cost: the breakdown of every Table 3 row adds up to its total", "[topology]") {
  for (const FabricCounts& c : {ft2(), mpft(), ft3(), sf(), df()}) {
    const CostBreakdown cost = price_fabric(c, paper_prices());
    double by_kind = 0;
    for (const double usd : cost.switch_links_by_kind_usd) by_kind += usd;
    CHECK(by_kind == Approx(cost.switch_links_usd).epsilon(tolerance));
    CHECK(cost.switches_usd + cost.endpoint_links_usd + cost.switch_links_usd ==
          Approx(cost.total_usd).epsilon(tolerance));
    CHECK(cost.per_endpoint_usd * static_cast<double>(c.endpoints) == Approx(cost.total_usd).epsilon(tolerance));
    CHECK(cost.switches_usd == Approx(static_cast<double>(c.switches) * 32'000.0).epsilon(tolerance));
    CHECK(cost.endpoint_links_usd == Approx(static_cast<double>(c.endpoint_links) * 850.0).epsilon(tolerance));
  }
}

TEST_CASE("cost: each cable kind is priced at its own price", "[topology]") {
  // One cable of each kind at distinct prices 1, 10, 100, 1000: each lands in its own slot of the breakdown.
  CostPrices prices;
  prices.leaf_spine_link_usd = 1;
  prices.spine_core_link_usd = 10;
  prices.intra_group_link_usd = 100;
  prices.global_link_usd = 1'000;
  const CostBreakdown cost = price_fabric(counts(0, 0, {}, 1, 1, 1, 1), prices);
  CHECK(cost.switch_links_by_kind_usd[index(CableKind::leaf_spine)] == 1.0);
  CHECK(cost.switch_links_by_kind_usd[index(CableKind::spine_core)] == 10.0);
  CHECK(cost.switch_links_by_kind_usd[index(CableKind::intra_group)] == 100.0);
  CHECK(cost.switch_links_by_kind_usd[index(CableKind::global)] == 1'000.0);
  CHECK(cost.switch_links_usd == 1'111.0);
  CHECK(link_price(paper_prices(), CableKind::intra_group) == 1'980.0);
  CHECK(link_price(paper_prices(), CableKind::global) == 2'100.0);
}

TEST_CASE("cost: a fabric with no switches, links or endpoints costs nothing", "[topology]") {
  const FabricCounts none;
  const CostBreakdown cost = price_fabric(none, paper_prices());
  CHECK(cost.switches_usd == 0.0);
  CHECK(cost.endpoint_links_usd == 0.0);
  CHECK(cost.switch_links_usd == 0.0);
  CHECK(cost.total_usd == 0.0);
  CHECK(cost.per_endpoint_usd == 0.0);  // no division by zero endpoints
  CHECK(format_paper_row("none", none, cost) == "none | 0 | 0 | 0 | $0M | $0.00k");
}

TEST_CASE("cost: switch links without a cable kind are a bug, reported with both counts", "[topology]") {
  FabricCounts c = ft2();
  c.switch_links = 2'049;  // one more than the kinds account for
  CHECK_THROWS_AS(price_fabric(c, paper_prices()), InternalError);
  CHECK_THROWS_WITH(price_fabric(c, paper_prices()),
                    Contains("cost model: 2049 switch links, but the cable kinds add up to 2048; every switch link "
                             "needs its kind"));
}

TEST_CASE("cost: a negative or non-finite price is a bug, reported with the field's name", "[topology]") {
  CostPrices prices = paper_prices();
  prices.global_link_usd = -1;
  CHECK_THROWS_WITH(price_fabric(sf(), prices),
                    Contains("cost model: price global_link_usd is -1; prices are finite and >= 0"));
  prices = paper_prices();
  prices.switch_usd = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(price_fabric(sf(), prices),
                    Contains("cost model: price switch_usd is nan; prices are finite and >= 0"));
}

TEST_CASE("cost: the per-endpoint column rounds to the decimals asked, halves away from zero", "[topology]") {
  // $4,433.81 per endpoint: 4k, 4.4k, 4.43k, 4.434k. $2,045 (= 2,045,000 / 1,000) rounds to 2.05k, its half up.
  const CostBreakdown cost = price_fabric(sf(), paper_prices());
  CHECK(format_paper_row("SF", sf(), cost, 0) == "SF | 32,928 | 1,568 | 32,928 | $146M | $4k");
  CHECK(format_paper_row("SF", sf(), cost, 3) == "SF | 32,928 | 1,568 | 32,928 | $146M | $4.434k");
  CostBreakdown half;
  half.total_usd = 2'045'000;
  half.per_endpoint_usd = 2'045;
  CHECK(format_paper_row("x", counts(1'000, 0, {}, 0, 0, 0, 0), half) == "x | 1,000 | 0 | 0 | $2M | $2.05k");
  CHECK_THROWS_WITH(format_paper_row("x", sf(), cost, 4),
                    Contains("cost model: 4 decimals for the cost per endpoint; 0 to 3 are printable"));
}

}  // namespace
}  // namespace dsim::topology
