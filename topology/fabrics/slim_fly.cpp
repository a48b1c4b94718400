// SPDX-License-Identifier: Apache-2.0
// Slim Fly: the McKay-Miller-Siran (MMS) graphs of diameter 2 as Besta and Hoefler build them ("Slim Fly: A Cost
// Effective Low-Diameter Network Topology", SC 2014, arXiv 1912.08968, section 2; the generator sets follow
// Hafner, "Geometric realisation of the graphs of McKay-Miller-Siran", J. Comb. Theory B 2004).
//
// For a prime power q = 4w + delta, delta in {-1, 0, 1}, and a primitive element xi of GF(q): routers (0, x, y)
// and (1, m, c) for x, y, m, c in GF(q), 2q^2 in all;
//   (0, x, y) ~ (0, x, y')  iff  y - y' in X;     (1, m, c) ~ (1, m, c')  iff  c - c' in X';
//   (0, x, y) ~ (1, m, c)   iff  y = m x + c,
// with X, X' the sets of (q - delta)/2 powers of xi below. Each router has network radix k' = (3q - delta)/2 and
// p = ceil(k'/2) endpoints (the paper's choice for full global bandwidth), so a router needs k' + p ports.
// Radix 64 allows q = 28 (k' = 42, p = 21): 1,568 routers, 32,928 endpoints and 32,928 links, the SF row of
// Table 3 of Zhao et al. (ISCA 2025); 28 is not a prime power, so those are formula counts and cannot be built.
// A build is always the full graph of its q (removing routers breaks diameter 2); endpoints fill the routers in
// id order, p per router.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "topology/fabrics/fabric_builders.hpp"
#include "topology/fabrics/galois_field.hpp"

namespace dsim::topology::detail {
namespace {

struct SlimFlyParams {
  std::uint32_t q = 0;
  int delta = 0;
  std::uint32_t network_radix = 0;  // k'
  std::uint32_t endpoints = 0;      // p, per router
};

// q = 4w + delta; nothing for q = 2 mod 4, which has no MMS graph.
std::optional<SlimFlyParams> params_of(std::uint32_t q) {
  SlimFlyParams out;
  out.q = q;
  switch (q % 4) {
    case 0: out.delta = 0; break;
    case 1: out.delta = 1; break;
    case 3: out.delta = -1; break;
    default: return std::nullopt;
  }
  out.network_radix = static_cast<std::uint32_t>((3 * static_cast<int>(q) - out.delta) / 2);
  out.endpoints = (out.network_radix + 1) / 2;
  return out;
}

bool fits(const SlimFlyParams& params, int radix) {
  return params.network_radix + params.endpoints <= static_cast<std::uint32_t>(radix);
}

SlimFlyParams slim_fly_params(const FabricSpec& spec, std::string_view where) {
  if (spec.slim_fly_q == 0) {
    // The largest q whose routers fit the radix; 28 for radix 64.
    for (auto q = static_cast<std::uint32_t>(spec.radix); q >= 3; --q) {
      const auto params = params_of(q);
      if (params && fits(*params, spec.radix)) return *params;
    }
    fail(where, fmt::format("radix {} is too small for a slim_fly: the smallest (q = 3) needs 8 ports per router "
                            "(5 network + 3 endpoint)",
                            spec.radix));
  }
  if (spec.slim_fly_q < 3) {
    fail(where, fmt::format("slim_fly_q must be at least 3, or 0 to take the largest the radix allows; got {}",
                            spec.slim_fly_q));
  }
  const auto params = params_of(static_cast<std::uint32_t>(spec.slim_fly_q));
  if (!params) {
    fail(where, fmt::format("slim_fly_q = {} is not of the form 4w + delta with delta in {{-1, 0, 1}} (q mod 4 "
                            "must be 0, 1 or 3)",
                            spec.slim_fly_q));
  }
  if (!fits(*params, spec.radix)) {
    fail(where, fmt::format("slim_fly_q = {} needs {} ports per router ({} network + {} endpoint); radix is {}",
                            spec.slim_fly_q, params->network_radix + params->endpoints, params->network_radix,
                            params->endpoints, spec.radix));
  }
  return *params;
}

// "2^2 x 7", for the message that refuses a q which is not a prime power.
std::string factorization(std::uint32_t n) {
  std::string out;
  for (std::uint32_t f = 2; n > 1; ++f) {
    if (f * f > n) f = n;
    std::uint32_t power = 0;
    while (n % f == 0) {
      n /= f;
      ++power;
    }
    if (power == 0) continue;
    if (!out.empty()) out += " x ";
    out += power == 1 ? fmt::format("{}", f) : fmt::format("{}^{}", f, power);
  }
  return out;
}

// Exponents i of the generator sets X = {xi^i} (subgraph 0) and X' (subgraph 1), Hafner's definition as used by
// Besta and Hoefler: delta = 1: even i in [0, q-3] and odd i in [1, q-2]; delta = 0: even i in [0, q-2] and odd i
// in [1, q-1]; delta = -1 (q = 4w - 1): even i in [0, 2w-2] with odd i in [2w-1, 4w-3], and odd i in [1, 2w-1]
// with even i in [2w, 4w-2]. Each set holds (q - delta)/2 elements and is closed under negation.
std::vector<std::uint32_t> generator_exponents(const SlimFlyParams& params, bool primed) {
  const std::uint32_t q = params.q;
  std::vector<std::uint32_t> out;
  const std::uint32_t first = primed ? 1 : 0;
  if (params.delta == 1 || params.delta == 0) {
    const std::uint32_t last = (params.delta == 1 ? q - 3 : q - 2) + first;
    for (std::uint32_t i = first; i <= last; i += 2) out.push_back(i);
  } else {
    const std::uint32_t w = (q + 1) / 4;
    for (std::uint32_t i = first; i <= 2 * w - 2 + first; i += 2) out.push_back(i);
    for (std::uint32_t i = 2 * w - 1 + first; i <= 4 * w - 3 + first; i += 2) out.push_back(i);
  }
  return out;
}

}  // namespace

FabricCounts slim_fly_counts(const FabricSpec& spec, std::string_view where) {
  const SlimFlyParams params = slim_fly_params(spec, where);
  const std::uint64_t q = params.q;
  FabricCounts out;
  out.switches = 2 * q * q;
  out.switches_per_layer = {out.switches};
  out.endpoints = out.switches * params.endpoints;
  out.endpoint_links = out.endpoints;
  out.switch_links = q * q * params.network_radix;
  // Each router has (q - delta)/2 neighbours in its own subgraph and q in the other.
  out.links_per_kind[static_cast<std::size_t>(CableKind::global)] = q * q * q;
  out.links_per_kind[static_cast<std::size_t>(CableKind::intra_group)] = out.switch_links - q * q * q;
  return out;
}

FabricParts build_slim_fly(const BuildRequest& request) {
  const FabricSpec& spec = request.spec;
  const SlimFlyParams params = slim_fly_params(spec, request.where);
  const std::uint32_t q = params.q;
  if (!prime_power(q)) {
    std::uint32_t buildable = q;
    while (buildable >= 3 && !(prime_power(buildable) && params_of(buildable))) --buildable;
    fail(request.where,
         fmt::format("cannot build a slim_fly with q = {}: the MMS construction needs the finite field GF(q), so q "
                     "must be a prime power, and {} = {} is not; the largest buildable q for radix {} is {} (set "
                     "slim_fly_q); full_fabric_counts gives the counts of q = {} from the formulas",
                     q, q, factorization(q), spec.radix, buildable, q));
  }
  const std::uint64_t routers = 2ull * q * q;
  if (request.endpoints > routers * params.endpoints) {
    fail(request.where, fmt::format("{} endpoints exceed the {} that a slim_fly with q = {} holds ({} routers x {} "
                                    "endpoints)",
                                    request.endpoints, routers * params.endpoints, q, routers, params.endpoints));
  }
  check_build_size(request, routers, routers * params.network_radix / 2);

  FabricParts parts(spec, {"router"});
  parts.geometry.endpoints_per_leaf = params.endpoints;
  parts.geometry.slim_fly_q = q;
  parts.geometry.slim_fly_delta = params.delta;
  parts.geometry.network_radix = params.network_radix;
  FabricGraph& graph = *parts.graph;
  for (std::uint32_t s = 0; s < 2; ++s) {
    for (std::uint32_t x = 0; x < q; ++x) add_switches(graph, q, {0, 0, s * q + x});
  }
  const auto id = [q](std::uint32_t s, std::uint32_t x, std::uint32_t y) { return (s * q + x) * q + y; };

  const GaloisField field(q);
  for (std::uint32_t s = 0; s < 2; ++s) {
    std::vector<std::uint32_t> generators;
    std::vector<bool> member(q, false);
    for (const std::uint32_t i : generator_exponents(params, s == 1)) {
      generators.push_back(field.primitive_power(i));
      member[generators.back()] = true;
    }
    const auto distinct = static_cast<std::size_t>(std::count(member.begin(), member.end(), true));
    DSIM_CHECK(distinct == generators.size() && distinct == params.network_radix - q,
               "slim fly q = {}: generator set of {} distinct elements, {} expected", q, distinct,
               params.network_radix - q);
    for (const std::uint32_t g : generators) {
      DSIM_CHECK(member[field.negate(g)], "slim fly q = {}: generator set not closed under negation", q);
    }
    // y ~ y + g for g in the set; each pair is met from both ends (the set is symmetric), so add it once.
    for (std::uint32_t x = 0; x < q; ++x) {
      for (std::uint32_t y = 0; y < q; ++y) {
        for (const std::uint32_t g : generators) {
          const std::uint32_t y2 = field.add(y, g);
          if (y < y2) boost::add_edge(id(s, x, y), id(s, x, y2), CableKind::intra_group, graph);
        }
      }
    }
  }
  for (std::uint32_t x = 0; x < q; ++x) {
    for (std::uint32_t y = 0; y < q; ++y) {
      for (std::uint32_t m = 0; m < q; ++m) {
        const std::uint32_t c = field.subtract(y, field.multiply(m, x));
        boost::add_edge(id(0, x, y), id(1, m, c), CableKind::global, graph);
      }
    }
  }
  for (std::uint32_t r = 0; r < routers; ++r) {
    DSIM_CHECK(boost::out_degree(r, graph) == params.network_radix, "slim fly q = {}: router {} has degree {}", q,
               r, boost::out_degree(r, graph));
  }
  parts.endpoint_switch.resize(request.endpoints);
  for (std::uint32_t e = 0; e < request.endpoints; ++e) parts.endpoint_switch[e] = e / params.endpoints;
  return parts;
}

}  // namespace dsim::topology::detail
