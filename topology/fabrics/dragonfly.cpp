// SPDX-License-Identifier: Apache-2.0
// Dragonfly (Kim, Dally, Scott, Abts, "Technology-Driven, Highly-Scalable Dragonfly Topology", ISCA 2008,
// section 3): groups of a routers joined all-to-all inside the group (intra_group cables), each router with p
// endpoints and h global cables to other groups; radix k >= p + (a - 1) + h. Balanced: a = 2p = 2h, so radix 64
// gives p = 16, a = 32, h = 16 (63 ports used). At most g = a*h + 1 groups, when every pair of groups shares
// exactly one global cable. Counts: switches g*a, intra-group cables g*a*(a-1)/2, global cables floor(g*a*h/2).
// The DF row of Table 3 of Zhao et al. (ISCA 2025) is a = 32, p = 16, h = 16, g = 511: 261,632 endpoints, 16,352
// switches, 253,456 + 130,816 = 384,272 cables (set dragonfly_groups = 511; the default is the maximum, 513).
//
// Global cables, deterministic and even. With n groups and m = a*h global ports per group, every pair of groups
// gets b = floor(m/(n-1)) cables; the r = m mod (n-1) ports left per group go to a circulant: pairs at cyclic
// distance 1..floor(r/2) get one more, and for odd r the pairs at distance n/2 (n even) or the pairs (2i, 2i+1)
// (n odd: group n-1 then leaves one port free, as n*m is odd). So pair counts differ by at most 2 and every pair is
// joined. Group G numbers its cables in rounds (round j holds the j-th cable to each partner, partners in the order
// G+1, G+2, ... mod n) and gives cable number i to router i / h: for n = m + 1 this is the consecutive
// ("palm-tree") arrangement, router r of group G reaching groups G + r*h + 1 .. G + r*h + h.
//
// Partial build: ceil(endpoints / (a*p)) groups of a routers each, with the global cables spread over those groups
// by the same rule; endpoints fill the routers in id order, p per router.
#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "topology/fabrics/fabric_builders.hpp"

namespace dsim::topology::detail {
namespace {

struct DragonflyParams {
  std::uint32_t a = 0;
  std::uint32_t p = 0;
  std::uint32_t h = 0;
  std::uint32_t groups = 0;  // of the full-size fabric
};

DragonflyParams dragonfly_params(const FabricSpec& spec, std::string_view where) {
  const std::pair<int, const char*> fields[] = {{spec.dragonfly_a, "dragonfly_a"},
                                                {spec.dragonfly_p, "dragonfly_p"},
                                                {spec.dragonfly_h, "dragonfly_h"},
                                                {spec.dragonfly_groups, "dragonfly_groups"}};
  for (const auto& [value, name] : fields) {
    if (value < 0) fail(where, fmt::format("{} must be positive, or 0 for the balanced default; got {}", name, value));
  }
  DragonflyParams out;
  out.p = spec.dragonfly_p != 0 ? static_cast<std::uint32_t>(spec.dragonfly_p)
                                : static_cast<std::uint32_t>(spec.radix + 1) / 4;
  out.a = spec.dragonfly_a != 0 ? static_cast<std::uint32_t>(spec.dragonfly_a) : 2 * out.p;
  out.h = spec.dragonfly_h != 0 ? static_cast<std::uint32_t>(spec.dragonfly_h) : out.p;
  const std::uint64_t ports = std::uint64_t{out.p} + (out.a - 1) + out.h;
  if (ports > static_cast<std::uint64_t>(spec.radix)) {
    fail(where, fmt::format("a dragonfly router needs p + (a - 1) + h = {} ports (p = {}, a = {}, h = {}); radix is {}",
                            ports, out.p, out.a, out.h, spec.radix));
  }
  const std::uint64_t most_groups = std::uint64_t{out.a} * out.h + 1;
  if (spec.dragonfly_groups == 0) {
    out.groups = static_cast<std::uint32_t>(most_groups);  // a, h <= radix <= 1024: fits
  } else if (static_cast<std::uint64_t>(spec.dragonfly_groups) > most_groups) {
    fail(where, fmt::format("dragonfly_groups must be from 1 to a*h + 1 = {} (every pair of groups needs a global "
                            "link); got {}",
                            most_groups, spec.dragonfly_groups));
  } else {
    out.groups = static_cast<std::uint32_t>(spec.dragonfly_groups);
  }
  return out;
}

std::uint64_t global_cables(std::uint64_t groups, std::uint64_t ports_per_group) {
  return groups < 2 ? 0 : groups * ports_per_group / 2;
}

// Global cables between groups g1 != g2 of n, m ports per group (the rule in the file comment).
std::uint32_t cables_between(std::uint32_t n, std::uint32_t m, std::uint32_t g1, std::uint32_t g2) {
  const std::uint32_t base = m / (n - 1);
  const std::uint32_t rest = m % (n - 1);
  const std::uint32_t forward = (g2 + n - g1) % n;
  const std::uint32_t cyclic = std::min(forward, n - forward);
  std::uint32_t out = base + (cyclic <= rest / 2 ? 1 : 0);
  if (rest % 2 == 1) {
    const std::uint32_t lo = std::min(g1, g2);
    const std::uint32_t hi = std::max(g1, g2);
    out += n % 2 == 0 ? (cyclic == n / 2 ? 1 : 0) : (lo % 2 == 0 && hi == lo + 1 ? 1 : 0);
  }
  return out;
}

void add_global_cables(FabricGraph& graph, std::uint32_t groups, std::uint32_t a, std::uint32_t h) {
  if (groups < 2) return;
  const std::uint32_t m = a * h;
  // One record per cable end; sorting pairs up the two ends of each cable (lo, hi, round).
  struct End {
    std::uint32_t lo, hi, round, side, router;
  };
  std::vector<End> ends;
  ends.reserve(std::size_t{groups} * m);
  for (std::uint32_t g = 0; g < groups; ++g) {
    std::uint32_t port = 0;
    for (std::uint32_t round = 0;; ++round) {
      const std::uint32_t before = port;
      for (std::uint32_t offset = 1; offset < groups; ++offset) {
        const std::uint32_t partner = (g + offset) % groups;
        if (cables_between(groups, m, g, partner) <= round) continue;
        DSIM_CHECK(port < m, "dragonfly group {} needs more than its {} global ports", g, m);
        ends.push_back({std::min(g, partner), std::max(g, partner), round, g < partner ? 0u : 1u, g * a + port / h});
        ++port;
      }
      if (port == before) break;
    }
  }
  std::sort(ends.begin(), ends.end(), [](const End& x, const End& y) {
    return std::tie(x.lo, x.hi, x.round, x.side) < std::tie(y.lo, y.hi, y.round, y.side);
  });
  DSIM_CHECK(ends.size() % 2 == 0, "dragonfly: {} global cable ends", ends.size());
  for (std::size_t i = 0; i < ends.size(); i += 2) {
    const End& x = ends[i];
    const End& y = ends[i + 1];
    DSIM_CHECK(x.lo == y.lo && x.hi == y.hi && x.round == y.round && x.side == 0 && y.side == 1,
               "dragonfly: unmatched global cable between groups {} and {}", x.lo, x.hi);
    boost::add_edge(x.router, y.router, CableKind::global, graph);
  }
}

}  // namespace

FabricCounts dragonfly_counts(const FabricSpec& spec, std::string_view where) {
  const DragonflyParams params = dragonfly_params(spec, where);
  FabricCounts out;
  out.switches = std::uint64_t{params.groups} * params.a;
  out.switches_per_layer = {out.switches};
  out.endpoints = out.switches * params.p;
  out.endpoint_links = out.endpoints;
  auto& per_kind = out.links_per_kind;
  per_kind[static_cast<std::size_t>(CableKind::intra_group)] = out.switches * (params.a - 1) / 2;
  per_kind[static_cast<std::size_t>(CableKind::global)] =
      global_cables(params.groups, std::uint64_t{params.a} * params.h);
  out.switch_links = per_kind[static_cast<std::size_t>(CableKind::intra_group)] +
                     per_kind[static_cast<std::size_t>(CableKind::global)];
  return out;
}

FabricParts build_dragonfly(const BuildRequest& request) {
  const FabricSpec& spec = request.spec;
  const DragonflyParams params = dragonfly_params(spec, request.where);
  const std::uint64_t per_group = std::uint64_t{params.a} * params.p;
  const std::uint64_t max = params.groups * per_group;
  if (request.endpoints > max) {
    fail(request.where, fmt::format("{} endpoints exceed the {} that a dragonfly holds ({} groups x {} routers x {} "
                                    "endpoints)",
                                    request.endpoints, max, params.groups, params.a, params.p));
  }
  const auto groups = static_cast<std::uint32_t>(ceil_div(request.endpoints, per_group));
  const std::uint64_t switches = std::uint64_t{groups} * params.a;
  check_build_size(request, switches,
                   switches * (params.a - 1) / 2 + global_cables(groups, std::uint64_t{params.a} * params.h));

  FabricParts parts(spec, {"router"});
  FabricGeometry& geometry = parts.geometry;
  geometry.endpoints_per_leaf = params.p;
  geometry.network_radix = params.a - 1 + params.h;
  geometry.dragonfly_a = params.a;
  geometry.dragonfly_h = params.h;
  geometry.groups = groups;
  FabricGraph& graph = *parts.graph;
  for (std::uint32_t g = 0; g < groups; ++g) add_switches(graph, params.a, {0, 0, g});
  for (std::uint32_t g = 0; g < groups; ++g) {
    for (std::uint32_t r = 0; r < params.a; ++r) {
      for (std::uint32_t s = r + 1; s < params.a; ++s) {
        boost::add_edge(g * params.a + r, g * params.a + s, CableKind::intra_group, graph);
      }
    }
  }
  add_global_cables(graph, groups, params.a, params.h);
  parts.endpoint_switch.resize(request.endpoints);
  for (std::uint32_t e = 0; e < request.endpoints; ++e) parts.endpoint_switch[e] = e / params.p;
  return parts;
}

}  // namespace dsim::topology::detail
