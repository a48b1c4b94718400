// SPDX-License-Identifier: Apache-2.0
// The fabric cost model: switches, endpoint cables and switch-to-switch cables by kind, and the Table 3 row printer.
#include "topology/cost/cost_model.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.hpp"

namespace dsim::topology {
namespace {

void check_prices(const CostPrices& prices) {
  const std::pair<double, const char*> fields[] = {
      {prices.switch_usd, "switch_usd"},
      {prices.endpoint_link_usd, "endpoint_link_usd"},
      {prices.leaf_spine_link_usd, "leaf_spine_link_usd"},
      {prices.spine_core_link_usd, "spine_core_link_usd"},
      {prices.intra_group_link_usd, "intra_group_link_usd"},
      {prices.global_link_usd, "global_link_usd"},
  };
  for (const auto& [value, name] : fields) {
    DSIM_CHECK(std::isfinite(value) && value >= 0, "cost model: price {} is {}; prices are finite and >= 0", name,
               value);
  }
}

// 1234567 -> "1,234,567".
std::string group_thousands(std::uint64_t value) {
  std::string digits = fmt::format("{}", value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Rounds value / 10^(3 - decimals) to nearest, halves away from zero, and prints it with `decimals` decimals:
// dollars as thousands of dollars. Dividing by a power of ten below 10^3 keeps round dollar amounts exact
// (4,390 / 10 = 439), so the rounding never sees a binary artefact such as 438.99999.
std::string thousands_with_decimals(double usd, int decimals) {
  static constexpr double divisor[] = {1000.0, 100.0, 10.0, 1.0};
  static constexpr std::uint64_t scale[] = {1, 10, 100, 1000};
  const auto units = static_cast<std::uint64_t>(std::llround(usd / divisor[decimals]));
  const std::string whole = group_thousands(units / scale[decimals]);
  if (decimals == 0) return whole;
  return fmt::format("{}.{:0{}}", whole, units % scale[decimals], decimals);
}

}  // namespace

double link_price(const CostPrices& prices, CableKind kind) {
  switch (kind) {
    case CableKind::leaf_spine: return prices.leaf_spine_link_usd;
    case CableKind::spine_core: return prices.spine_core_link_usd;
    case CableKind::intra_group: return prices.intra_group_link_usd;
    case CableKind::global: return prices.global_link_usd;
  }
  DSIM_CHECK(false, "cost model: unknown cable kind {}", static_cast<int>(kind));
  return 0;
}

CostBreakdown price_fabric(const FabricCounts& counts, const CostPrices& prices) {
  check_prices(prices);
  std::uint64_t classified = 0;
  for (const std::uint64_t links : counts.links_per_kind) classified += links;
  DSIM_CHECK(classified == counts.switch_links,
             "cost model: {} switch links, but the cable kinds add up to {}; every switch link needs its kind",
             counts.switch_links, classified);

  // Every product of a whole-dollar price and a count below 2^53 / price is exact in a double, and so are the sums
  // of such products, so the totals do not depend on the order of the additions.
  CostBreakdown out;
  out.switches_usd = static_cast<double>(counts.switches) * prices.switch_usd;
  out.endpoint_links_usd = static_cast<double>(counts.endpoint_links) * prices.endpoint_link_usd;
  for (std::size_t k = 0; k < cable_kind_count; ++k) {
    out.switch_links_by_kind_usd[k] =
        static_cast<double>(counts.links_per_kind[k]) * link_price(prices, static_cast<CableKind>(k));
    out.switch_links_usd += out.switch_links_by_kind_usd[k];
  }
  out.total_usd = out.switches_usd + out.endpoint_links_usd + out.switch_links_usd;
  out.per_endpoint_usd = counts.endpoints == 0 ? 0.0 : out.total_usd / static_cast<double>(counts.endpoints);
  return out;
}

CostPrices paper_prices() {
  // Fitted to Table 3 of Zhao et al. (arXiv 2505.09343); derivation, the one-parameter family of exact fits and the
  // residuals in docs/cost-model.md. Ordered by cable length: intra-group < leaf-spine < spine-core = global.
  CostPrices prices;
  prices.switch_usd = 32'000;
  prices.endpoint_link_usd = 850;
  prices.intra_group_link_usd = 1'980;
  prices.leaf_spine_link_usd = 2'040;
  prices.spine_core_link_usd = 2'100;
  prices.global_link_usd = 2'100;
  return prices;
}

std::string format_paper_row(std::string_view name, const FabricCounts& counts, const CostBreakdown& cost,
                             int per_endpoint_decimals) {
  DSIM_CHECK(per_endpoint_decimals >= 0 && per_endpoint_decimals <= 3,
             "cost model: {} decimals for the cost per endpoint; 0 to 3 are printable", per_endpoint_decimals);
  DSIM_CHECK(cost.total_usd >= 0 && cost.per_endpoint_usd >= 0, "cost model: a negative cost ({} $, {} $ per endpoint)",
             cost.total_usd, cost.per_endpoint_usd);
  const auto millions = static_cast<std::uint64_t>(std::llround(cost.total_usd / 1e6));
  return fmt::format("{} | {} | {} | {} | ${}M | ${}k", name, group_thousands(counts.endpoints),
                     group_thousands(counts.switches), group_thousands(counts.switch_links), group_thousands(millions),
                     thousands_with_decimals(cost.per_endpoint_usd, per_endpoint_decimals));
}

}  // namespace dsim::topology
