// SPDX-License-Identifier: Apache-2.0
// What a switch fabric costs: its switches, its endpoint cables and its switch-to-switch cables, each cable priced
// by its kind. docs/cost-model.md derives the model and the prices from Table 3 of Zhao et al., "Insights into
// DeepSeek-V3" (ISCA 2025, arXiv 2505.09343), whose caption says the estimates follow the Slim Fly methodology.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "topology/fabrics/fabric.hpp"

namespace dsim::topology {

// Unit prices in US dollars. Model (docs/cost-model.md):
//   cost = switches x switch_usd + endpoint_links x endpoint_link_usd + sum over cable kinds k of links_k x link_k
// A switch-to-switch cable's price is its two optical transceivers plus the fiber, whose length depends on where
// the cable runs (Slim Fly methodology: a cable's cost follows its type and length), hence one price per kind.
// Table 3 fixes only four combinations of these prices; paper_prices() states the set chosen and why.
struct CostPrices {
  double switch_usd = 0;            // $ per switch (Table 3: a 64-port 400G InfiniBand switch)
  double endpoint_link_usd = 0;     // $ per NIC-to-leaf cable, a short in-rack cable
  double leaf_spine_link_usd = 0;   // $ per CableKind::leaf_spine cable (FT2/MPFT leaf-spine, FT3 edge-aggregation)
  double spine_core_link_usd = 0;   // $ per CableKind::spine_core cable (FT3 aggregation-core)
  double intra_group_link_usd = 0;  // $ per CableKind::intra_group cable (Dragonfly group, Slim Fly subgraph rack)
  double global_link_usd = 0;       // $ per CableKind::global cable (Dragonfly inter-group, Slim Fly inter-subgraph)
};

// The price of one switch-to-switch cable of that kind.
double link_price(const CostPrices& prices, CableKind kind);

// All in US dollars.
struct CostBreakdown {
  double switches_usd = 0;
  double endpoint_links_usd = 0;
  double switch_links_usd = 0;                                    // the sum of switch_links_by_kind_usd
  std::array<double, cable_kind_count> switch_links_by_kind_usd{};  // indexed by CableKind
  double total_usd = 0;
  double per_endpoint_usd = 0;  // total / endpoints; 0 for a fabric without endpoints
};

// Prices the counts. The counts must classify every switch link by kind (links_per_kind adds up to switch_links)
// and the prices must be finite and non-negative; either failing is a bug (DSIM_CHECK): the builders classify
// every cable, and whoever reads prices from a scenario validates them first.
CostBreakdown price_fabric(const FabricCounts& counts, const CostPrices& prices);

// The prices fitted to Table 3 of Zhao et al.: switch $32,000; endpoint cable $850; intra-group cable $1,980;
// leaf-spine cable $2,040; spine-core and global cables $2,100. With them every row of the table prints exactly as
// the paper prints it. The table leaves one degree of freedom (docs/cost-model.md): the switch price was fixed at
// $32,000 and the others follow.
CostPrices paper_prices();

// One row of Table 3 as the paper prints it: "FT2 | 2,048 | 96 | 2,048 | $9M | $4.39k" (name, endpoints, switches,
// switch-to-switch links, total in millions of dollars, cost per endpoint in thousands of dollars). Both money
// columns round to nearest, halves away from zero. The paper prints the cost per endpoint of FT2 and MPFT with two
// decimals and of FT3, SF and DF with one, so the number of decimals (0 to 3) is a parameter.
std::string format_paper_row(std::string_view name, const FabricCounts& counts, const CostBreakdown& cost,
                             int per_endpoint_decimals = 2);

}  // namespace dsim::topology
