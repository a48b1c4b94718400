// SPDX-License-Identifier: Apache-2.0
// Time, sizes and bandwidths, and every conversion between them and the units scenario keys name.
// Time is an int64 count of picoseconds (2^63 ps is about 106 days of simulated time); sizes are bytes;
// bandwidth is bytes per second. Prefixes are decimal, as in vendor data sheets: 1 GB = 1e9 bytes, 1 Gb = 1e9 bits.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string>

namespace dsim {

class Time {
 public:
  constexpr Time() = default;
  static constexpr Time from_ps(std::int64_t ps) { return Time(ps); }
  static constexpr Time zero() { return Time(0); }
  // A time later than any event: used as "never".
  static constexpr Time infinite() { return Time(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ps() const { return ps_; }
  constexpr bool is_infinite() const { return ps_ == std::numeric_limits<std::int64_t>::max(); }

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Time other) const { return Time(ps_ + other.ps_); }
  constexpr Time operator-(Time other) const { return Time(ps_ - other.ps_); }
  constexpr Time& operator+=(Time other) { ps_ += other.ps_; return *this; }
  constexpr Time& operator-=(Time other) { ps_ -= other.ps_; return *this; }
  constexpr Time operator*(std::int64_t factor) const { return Time(ps_ * factor); }

 private:
  constexpr explicit Time(std::int64_t ps) : ps_(ps) {}
  std::int64_t ps_ = 0;
};

class Bytes {
 public:
  constexpr Bytes() = default;
  constexpr explicit Bytes(std::uint64_t count) : count_(count) {}
  constexpr std::uint64_t count() const { return count_; }
  constexpr auto operator<=>(const Bytes&) const = default;
  constexpr Bytes operator+(Bytes other) const { return Bytes(count_ + other.count_); }
  constexpr Bytes& operator+=(Bytes other) { count_ += other.count_; return *this; }

 private:
  std::uint64_t count_ = 0;
};

// Bytes per second. Always positive and finite where a model uses it; the scenario loader checks that.
class Bandwidth {
 public:
  constexpr Bandwidth() = default;
  static constexpr Bandwidth from_Bps(double bytes_per_s) { return Bandwidth(bytes_per_s); }
  constexpr double Bps() const { return bytes_per_s_; }
  constexpr auto operator<=>(const Bandwidth&) const = default;
  constexpr Bandwidth operator*(double factor) const { return Bandwidth(bytes_per_s_ * factor); }

 private:
  constexpr explicit Bandwidth(double bytes_per_s) : bytes_per_s_(bytes_per_s) {}
  double bytes_per_s_ = 0.0;
};

namespace units {

inline constexpr std::int64_t ps_per_ns = 1'000;
inline constexpr std::int64_t ps_per_us = 1'000'000;
inline constexpr std::int64_t ps_per_ms = 1'000'000'000;
inline constexpr std::int64_t ps_per_s = 1'000'000'000'000;

// The one rounding rule from real-valued seconds to picoseconds: round up (a transfer or kernel is not finished
// before its last byte or cycle), except that a value within floating-point noise (1e-14 relative, some 45 ulps;
// a conversion chain adds a few) of a whole picosecond is taken as that picosecond, so 0.1 us read from JSON is
// exactly 100,000 ps while 1 byte at 3 B/s (333,333,333,333.3 ps) still rounds up.
// Throws InternalError for negative, NaN or out-of-range input.
Time seconds(double s);
inline Time us(double v) { return seconds(v * 1e-6); }
inline Time ms(double v) { return seconds(v * 1e-3); }
inline Time ns(double v) { return seconds(v * 1e-9); }
constexpr Time ps(std::int64_t v) { return Time::from_ps(v); }

constexpr double to_seconds(Time t) { return static_cast<double>(t.ps()) / static_cast<double>(ps_per_s); }
constexpr double to_us(Time t) { return static_cast<double>(t.ps()) / static_cast<double>(ps_per_us); }

// Exact decimal seconds of a time, e.g. 12,345,000 ps -> "0.000012345"; deterministic and lossless.
std::string format_seconds(Time t);
// Exact decimal microseconds, e.g. 12,345,000 ps -> "12.345" (Chrome trace timestamps are in us).
std::string format_us(Time t);

constexpr Bandwidth gbps(double gigabits_per_s) { return Bandwidth::from_Bps(gigabits_per_s * 1e9 / 8.0); }
constexpr Bandwidth GBps(double gigabytes_per_s) { return Bandwidth::from_Bps(gigabytes_per_s * 1e9); }
constexpr double to_GBps(Bandwidth b) { return b.Bps() / 1e9; }

constexpr Bytes bytes(std::uint64_t n) { return Bytes(n); }

// Time to move `size` at `rate`, rounded up by the rule of seconds().
Time transfer_time(Bytes size, Bandwidth rate);

// Time to execute `flops` floating-point operations at `flops_per_s`, rounded up.
Time compute_time(double flops, double flops_per_s);

}  // namespace units
}  // namespace dsim
