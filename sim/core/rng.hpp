// SPDX-License-Identifier: Apache-2.0
// Seeded random streams, one per named purpose ("router", "ecmp", ...), so adding a consumer of randomness in one
// model never shifts the numbers another model draws. A stream is xoshiro256** seeded through splitmix64 from
// (seed, FNV-1a of the name); every draw is computed here (no std::distribution, whose output differs between
// standard libraries), so the same seed gives the same numbers on every platform.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace dsim::core {

class RngStream {
 public:
  RngStream(std::uint64_t seed, std::string_view name);

  std::uint64_t next_u64();
  // Uniform in [0, 1), 53 random bits.
  double uniform01();
  // Uniform integer in [0, bound), without modulo bias; bound must be positive.
  std::uint64_t uniform_below(std::uint64_t bound);
  // Exponentially distributed with the given mean (> 0).
  double exponential(double mean);

 private:
  std::array<std::uint64_t, 4> state_{};
};

// FNV-1a, 64-bit: a stable hash of a name, the same on every platform and run.
std::uint64_t fnv1a64(std::string_view text);

}  // namespace dsim::core
