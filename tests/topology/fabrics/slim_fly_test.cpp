// SPDX-License-Identifier: Apache-2.0
// Slim Fly: the finite fields behind the MMS construction, the graph's size, degree and diameter for prime and
// prime-power q, and the refusal of q that cannot be built.
#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/topology/fabrics/fabric_test_support.hpp"
#include "topology/fabrics/fabric.hpp"
#include "topology/fabrics/galois_field.hpp"

namespace dsim::topology {
namespace {

using testing::input_error_of;
using testing::spec_of;

constexpr auto where = "/cluster/fabric";

FabricSpec slim_fly(int q, int radix) {
  FabricSpec spec = spec_of(FabricKind::slim_fly, radix);
  spec.slim_fly_q = q;
  return spec;
}

TEST_CASE("galois field: prime powers are recognised and others refused", "[topology]") {
  CHECK(detail::prime_power(2)->prime == 2);
  CHECK(detail::prime_power(27)->exponent == 3);
  CHECK(detail::prime_power(49)->prime == 7);
  CHECK(detail::prime_power(23)->exponent == 1);
  CHECK_FALSE(detail::prime_power(1).has_value());
  CHECK_FALSE(detail::prime_power(28).has_value());
  CHECK_FALSE(detail::prime_power(12).has_value());
}

TEST_CASE("galois field: GF(q) is a field with a primitive element, for prime and prime-power q", "[topology]") {
  for (const std::uint32_t q : {3u, 4u, 5u, 8u, 9u, 16u, 25u, 27u}) {
    CAPTURE(q);
    const detail::GaloisField field(q);
    // xi^0 .. xi^(q-2) run through every nonzero element once.
    std::vector<bool> seen(q, false);
    for (std::uint32_t i = 0; i + 1 < q; ++i) seen[field.primitive_power(i)] = true;
    CHECK_FALSE(seen[0]);
    CHECK(std::count(seen.begin(), seen.end(), true) == static_cast<long>(q - 1));
    // Field axioms over all elements: additive inverse, unit, distributivity, multiplicative inverse.
    bool ok = true;
    for (std::uint32_t a = 0; a < q; ++a) {
      ok &= field.add(a, field.negate(a)) == 0 && field.multiply(a, 1) == a && field.add(a, 0) == a;
      bool has_inverse = a == 0;
      for (std::uint32_t b = 0; b < q; ++b) {
        has_inverse |= field.multiply(a, b) == 1;
        ok &= field.add(a, b) == field.add(b, a) && field.multiply(a, b) == field.multiply(b, a);
        for (std::uint32_t c = 0; c < q; ++c) {
          ok &= field.multiply(a, field.add(b, c)) == field.add(field.multiply(a, b), field.multiply(a, c));
        }
      }
      ok &= has_inverse;
    }
    CHECK(ok);
  }
}

TEST_CASE("slim_fly: q = 5 is the Hoffman-Singleton graph", "[topology]") {
  // q = 5 = 4 + 1: 2 x 25 = 50 routers of network radix (15 - 1)/2 = 7, p = 4 endpoints, 50 x 7 / 2 = 175 links.
  // That is the Moore graph of degree 7 and diameter 2: adjacent routers share no neighbour, others exactly one.
  const Fabric fabric = testing::full_build(slim_fly(5, 12));
  const FabricCounts counts = fabric.counts();
  CHECK(counts.switches == 50);
  CHECK(counts.switch_links == 175);
  CHECK(counts.endpoints == 200);
  bool moore = true;
  for (std::uint32_t a = 0; a < 50; ++a) {
    for (std::uint32_t b = a + 1; b < 50; ++b) {
      const auto na = fabric.neighbours(a);
      const auto nb = fabric.neighbours(b);
      std::vector<std::uint32_t> common;
      std::set_intersection(na.begin(), na.end(), nb.begin(), nb.end(), std::back_inserter(common));
      moore &= common.size() == (fabric.distance(a, b) == 1 ? 0u : 1u);
    }
  }
  CHECK(moore);
}

TEST_CASE("slim_fly: every buildable q gives 2q^2 routers of radix (3q - delta)/2 and diameter 2", "[topology]") {
  for (const int q : {3, 4, 5, 7, 8, 9, 11, 13, 16, 17, 19, 23, 25, 27}) {
    const int delta = q % 4 == 3 ? -1 : q % 4;
    const int network_radix = (3 * q - delta) / 2;
    const int p = (network_radix + 1) / 2;
    const int radix = network_radix + p + (network_radix + p) % 2;  // the smallest even radix that fits
    CAPTURE(q, network_radix, radix);
    const Fabric fabric = testing::full_build(slim_fly(q, radix));
    CHECK(fabric.switch_count() == static_cast<std::uint32_t>(2 * q * q));
    CHECK(fabric.counts() == full_fabric_counts(slim_fly(q, radix)));
    // Diameter 2: every router reaches all others within two hops (stamp the two-hop ball of each router).
    bool regular = true;
    bool diameter_two = true;
    std::vector<std::uint32_t> stamp(fabric.switch_count(), 0);
    for (std::uint32_t s = 0; s < fabric.switch_count(); ++s) {
      regular &= fabric.neighbours(s).size() == static_cast<std::size_t>(network_radix);
      std::uint32_t reached = 0;
      const auto visit = [&](std::uint32_t t) { reached += stamp[t] != s + 1 ? 1u : 0u; stamp[t] = s + 1; };
      visit(s);
      for (const std::uint32_t n : fabric.neighbours(s)) {
        visit(n);
        for (const std::uint32_t n2 : fabric.neighbours(n)) visit(n2);
      }
      diameter_two &= reached == fabric.switch_count();
    }
    CHECK(regular);
    CHECK(diameter_two);
  }
}

TEST_CASE("slim_fly: a partial build keeps the whole graph and fills routers p endpoints at a time", "[topology]") {
  // q = 5, p = 4: endpoint 9 sits on router 9 / 4 = 2; the 50 routers stay for diameter 2.
  const Fabric fabric = build_fabric(slim_fly(5, 12), 10, 2, where);
  CHECK(fabric.switch_count() == 50);
  CHECK(fabric.switch_of_endpoint(9) == 2);
  CHECK(fabric.geometry().endpoints_per_leaf == 4);
}

TEST_CASE("slim_fly: q = 28 (Table 3's row) has counts but cannot be built", "[topology]") {
  CHECK(input_error_of([] { build_fabric(spec_of(FabricKind::slim_fly, 64), 32, 8, where); }) ==
        "cannot build a slim_fly with q = 28: the MMS construction needs the finite field GF(q), so q must be a prime "
        "power, and 28 = 2^2 x 7 is not; the largest buildable q for radix 64 is 27 (set slim_fly_q); "
        "full_fabric_counts gives the counts of q = 28 from the formulas");
  // q = 27 = 3^3 (delta = -1): k' = 41, p = 21, 62 ports; 1,458 routers, 30,618 endpoints.
  const Fabric built = build_fabric(slim_fly(27, 64), 32, 8, where);
  CHECK(built.switch_count() == 1458);
  CHECK(max_endpoints(slim_fly(27, 64)) == 30618);
}

TEST_CASE("slim_fly: q must be of the form 4w + delta and fit the radix", "[topology]") {
  CHECK(input_error_of([] { build_fabric(slim_fly(6, 64), 8, 8, where); }) ==
        "slim_fly_q = 6 is not of the form 4w + delta with delta in {-1, 0, 1} (q mod 4 must be 0, 1 or 3)");
  CHECK(input_error_of([] { build_fabric(slim_fly(29, 64), 8, 8, where); }) ==
        "slim_fly_q = 29 needs 65 ports per router (43 network + 22 endpoint); radix is 64");
  CHECK(input_error_of([] { build_fabric(slim_fly(2, 64), 8, 8, where); }) ==
        "slim_fly_q must be at least 3, or 0 to take the largest the radix allows; got 2");
  CHECK(input_error_of([] { full_fabric_counts(spec_of(FabricKind::slim_fly, 6), where); }) ==
        "radix 6 is too small for a slim_fly: the smallest (q = 3) needs 8 ports per router (5 network + 3 endpoint)");
}

}  // namespace
}  // namespace dsim::topology
