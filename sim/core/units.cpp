// SPDX-License-Identifier: Apache-2.0
#include "sim/core/units.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/core/check.hpp"

namespace dsim::units {

Time seconds(double s) {
  DSIM_CHECK(std::isfinite(s) && s >= 0.0, "time of {} s is negative or not finite", s);
  const double picos = s * static_cast<double>(ps_per_s);
  DSIM_CHECK(picos < 9.2e18, "time of {} s does not fit in int64 picoseconds", s);
  const double nearest = std::nearbyint(picos);
  // A wider tolerance would swallow real fractions: at 1e-9 every time above 0.5 ms rounded to nearest.
  if (std::fabs(picos - nearest) <= 1e-14 * std::max(1.0, picos)) {
    return Time::from_ps(static_cast<std::int64_t>(nearest));
  }
  return Time::from_ps(static_cast<std::int64_t>(std::ceil(picos)));
}

namespace {

// value / scale as an exact decimal, trailing zeros of the fraction dropped; scale is a power of ten.
std::string format_scaled(std::int64_t ps, std::uint64_t scale, int fraction_digits) {
  const bool negative = ps < 0;
  // -(INT64_MIN) overflows; such a time never occurs in a run, but formatting must not be UB.
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(ps + 1)) + 1u : static_cast<std::uint64_t>(ps);
  const std::uint64_t whole = magnitude / scale;
  const std::uint64_t frac = magnitude % scale;
  std::string out = fmt::format("{}{}", negative ? "-" : "", whole);
  if (frac != 0) {
    std::string digits = fmt::format("{:0{}}", frac, fraction_digits);
    digits.erase(digits.find_last_not_of('0') + 1);
    out += '.';
    out += digits;
  }
  return out;
}

}  // namespace

std::string format_seconds(Time t) { return format_scaled(t.ps(), static_cast<std::uint64_t>(ps_per_s), 12); }
std::string format_us(Time t) { return format_scaled(t.ps(), static_cast<std::uint64_t>(ps_per_us), 6); }

Time transfer_time(Bytes size, Bandwidth rate) {
  DSIM_CHECK(rate.Bps() > 0.0 && std::isfinite(rate.Bps()), "bandwidth {} B/s is not positive", rate.Bps());
  return seconds(static_cast<double>(size.count()) / rate.Bps());
}

Time compute_time(double flops, double flops_per_s) {
  DSIM_CHECK(flops_per_s > 0.0 && std::isfinite(flops_per_s), "compute rate {} FLOP/s is not positive", flops_per_s);
  DSIM_CHECK(flops >= 0.0 && std::isfinite(flops), "FLOP count {} is negative or not finite", flops);
  return seconds(flops / flops_per_s);
}

}  // namespace dsim::units
