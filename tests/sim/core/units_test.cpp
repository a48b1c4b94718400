// SPDX-License-Identifier: Apache-2.0
// Tests of sim/core/units: bandwidth prefixes, the seconds-to-picoseconds rounding rule and exact time formatting.
#include <cmath>
#include <cstdint>
#include <limits>

#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"
#include "sim/core/units.hpp"

namespace dsim {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("units: 400 Gb/s is exactly 50e9 bytes per second", "[core]") {
  // 400 Gb/s = 400e9 bits/s / 8 bits per byte = 50e9 B/s. Every step is exact in a double (4e11 and 5e10 are
  // integers below 2^53), so the comparison is exact, not within a tolerance.
  CHECK(units::gbps(400).Bps() == 50e9);
  // 1 Gb/s = 1e9 / 8 = 125e6 B/s, exact.
  CHECK(units::gbps(1).Bps() == 125e6);
  // 50 GB/s = 50 * 1e9 B/s (decimal prefix), the same rate as 400 Gb/s.
  CHECK(units::GBps(50).Bps() == 50e9);
  CHECK(units::GBps(50) == units::gbps(400));
  // And back: 50e9 B/s / 1e9 = 50 GB/s.
  CHECK(units::to_GBps(units::gbps(400)) == 50.0);
}

TEST_CASE("units: 0.1 us is exactly 100,000 ps and other decimal inputs land on whole picoseconds", "[core]") {
  // 0.1 us = 0.1e-6 s = 1e-7 s = 1e-7 * 1e12 ps = 100,000 ps.
  CHECK(units::us(0.1).ps() == 100'000);
  // 0.1 ns = 100 ps; in doubles 0.1 * 1e-9 * 1e12 = 100.00000000000001, one ulp above 100, which the rule takes
  // as floating-point noise (without that, rounding up would give 101 ps).
  CHECK(units::ns(0.1).ps() == 100);
  // 1.7 us = 1,700,000 ps; in doubles 1699999.9999999998, one ulp below.
  CHECK(units::us(1.7).ps() == 1'700'000);
  // 1.3 ms = 1.3e9 ps; in doubles 1300000000.0000002.
  CHECK(units::ms(1.3).ps() == 1'300'000'000);
  // 1 ps = 1e-12 s, and 2 s = 2e12 ps.
  CHECK(units::seconds(1e-12).ps() == 1);
  CHECK(units::seconds(2.0).ps() == 2'000'000'000'000);
  CHECK(units::seconds(0.0).ps() == 0);
  CHECK(units::ps(7).ps() == 7);
}

TEST_CASE("units: a real fraction of a picosecond rounds up", "[core]") {
  // 1 byte at 3 B/s takes 1/3 s = 333,333,333,333.33... ps; the transfer is not done before the last picosecond
  // starts, so the rule rounds up to 333,333,333,334 ps. The fraction (0.33 ps) is far above floating-point noise.
  CHECK(units::transfer_time(units::bytes(1), Bandwidth::from_Bps(3.0)).ps() == 333'333'333'334);
  // 10 bytes at 3 B/s: 3,333,333,333,333.33... ps -> 3,333,333,333,334 ps.
  CHECK(units::transfer_time(units::bytes(10), Bandwidth::from_Bps(3.0)).ps() == 3'333'333'333'334);
  // 1 byte at 3e9 B/s: 333.33... ps -> 334 ps.
  CHECK(units::transfer_time(units::bytes(1), Bandwidth::from_Bps(3e9)).ps() == 334);
  // 2.5 ps -> 3 ps; 0.4 ps -> 1 ps (a non-zero duration never becomes zero).
  CHECK(units::seconds(2.5e-12).ps() == 3);
  CHECK(units::seconds(0.4e-12).ps() == 1);
}

TEST_CASE("units: format_seconds prints the exact decimal seconds of a time", "[core]") {
  // 1 s = 1e12 ps, so a time prints as (ps / 1e12) "." (ps % 1e12 as 12 digits, trailing zeros dropped).
  CHECK(units::format_seconds(Time::zero()) == "0");
  // 1 ps = 0.000000000001 s (eleven zeros after the point, then 1).
  CHECK(units::format_seconds(units::ps(1)) == "0.000000000001");
  // 12,345,000 ps = 12.345 us = 0.000012345 s.
  CHECK(units::format_seconds(units::ps(12'345'000)) == "0.000012345");
  // Whole seconds print without a point: 3e12 ps = "3".
  CHECK(units::format_seconds(units::ps(3'000'000'000'000)) == "3");
  // 1.5e12 ps = "1.5"; 1e12 + 1 ps = "1.000000000001".
  CHECK(units::format_seconds(units::ps(1'500'000'000'000)) == "1.5");
  CHECK(units::format_seconds(units::ps(1'000'000'000'001)) == "1.000000000001");
  // Negative times keep the sign in front of the same digits.
  CHECK(units::format_seconds(units::ps(-12'345'000)) == "-0.000012345");
  CHECK(units::format_seconds(units::ps(-2'000'000'000'000)) == "-2");
  // The extremes: 2^63 - 1 ps = 9,223,372,036,854,775,807 ps = 9223372.036854775807 s, and INT64_MIN is one more
  // in magnitude (its negation overflows, so this pins that the formatter avoids it).
  CHECK(units::format_seconds(Time::infinite()) == "9223372.036854775807");
  CHECK(units::format_seconds(units::ps(std::numeric_limits<std::int64_t>::min())) == "-9223372.036854775808");
}

TEST_CASE("units: transfer_time and compute_time match hand-derived durations", "[core]") {
  // 1 GB over 400 Gb/s: 1e9 B / 50e9 B/s = 0.02 s = 20,000,000,000 ps.
  CHECK(units::transfer_time(units::bytes(1'000'000'000), units::gbps(400)).ps() == 20'000'000'000);
  // 1 MB over 100 Gb/s: 1e6 B / 12.5e9 B/s = 80 us = 80,000,000 ps.
  CHECK(units::transfer_time(units::bytes(1'000'000), units::gbps(100)).ps() == 80'000'000);
  // 0 bytes take no time.
  CHECK(units::transfer_time(units::bytes(0), units::GBps(1)).ps() == 0);
  // 1e15 FLOP at 1e15 FLOP/s = 1 s.
  CHECK(units::compute_time(1e15, 1e15).ps() == 1'000'000'000'000);
  // 2e12 FLOP at 989e12 FLOP/s = 2/989 s = 0.0020222446916076846 s = 2,022,244,691.6077 ps -> rounds up to
  // 2,022,244,692 ps.
  CHECK(units::compute_time(2e12, 989e12).ps() == 2'022'244'692);
  // 1e12 FLOP at 3e12 FLOP/s = 1/3 s -> 333,333,333,334 ps (rounded up, like a transfer).
  CHECK(units::compute_time(1e12, 3e12).ps() == 333'333'333'334);
  // to_seconds / to_us invert whole-unit times: 1,500,000 ps = 1.5 us = 1.5e-6 s (relative tolerance 1e-15).
  CHECK(units::to_us(units::ps(1'500'000)) == Approx(1.5).epsilon(1e-15));
  CHECK(units::to_seconds(units::ps(1'500'000)) == Approx(1.5e-6).epsilon(1e-15));
}

TEST_CASE("units: negative, NaN, infinite or out-of-range input throws InternalError", "[core]") {
  // The conversions guard their inputs with DSIM_CHECK: a negative or non-finite time is a bug upstream.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(units::seconds(-1.0), InternalError);
  CHECK_THROWS_WITH(units::seconds(-1.0), Contains("time of -1 s is negative or not finite"));
  CHECK_THROWS_AS(units::seconds(nan), InternalError);
  CHECK_THROWS_AS(units::seconds(inf), InternalError);
  CHECK_THROWS_AS(units::us(-0.1), InternalError);
  // 1e7 s = 1e19 ps, beyond int64's 9.22e18.
  CHECK_THROWS_WITH(units::seconds(1e7), Contains("does not fit in int64 picoseconds"));
  // A zero, negative or NaN rate, and a negative or NaN FLOP count.
  CHECK_THROWS_WITH(units::transfer_time(units::bytes(1), Bandwidth::from_Bps(0.0)), Contains("is not positive"));
  CHECK_THROWS_AS(units::transfer_time(units::bytes(1), Bandwidth::from_Bps(-5.0)), InternalError);
  CHECK_THROWS_AS(units::transfer_time(units::bytes(1), Bandwidth::from_Bps(nan)), InternalError);
  CHECK_THROWS_WITH(units::compute_time(-1.0, 1e12), Contains("negative or not finite"));
  CHECK_THROWS_AS(units::compute_time(nan, 1e12), InternalError);
  CHECK_THROWS_AS(units::compute_time(1.0, 0.0), InternalError);
  CHECK_THROWS_AS(units::compute_time(1.0, nan), InternalError);
}

}  // namespace
}  // namespace dsim
