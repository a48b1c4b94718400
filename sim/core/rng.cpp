// SPDX-License-Identifier: Apache-2.0
#include "sim/core/rng.hpp"

#include <cmath>

#include "sim/core/check.hpp"

namespace dsim::core {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  x += 0x9e3779b97f4a7c15ull;
  std::uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

RngStream::RngStream(std::uint64_t seed, std::string_view name) {
  std::uint64_t mix = seed ^ fnv1a64(name);
  for (auto& word : state_) word = splitmix64(mix);
}

std::uint64_t RngStream::next_u64() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double RngStream::uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

std::uint64_t RngStream::uniform_below(std::uint64_t bound) {
  DSIM_CHECK(bound > 0, "uniform_below(0)");
  // Rejection of the top partial range (Lemire's threshold) keeps every value equally likely.
  const std::uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const std::uint64_t r = next_u64();
    if (r >= threshold) return r % bound;
  }
}

double RngStream::exponential(double mean) {
  DSIM_CHECK(mean > 0.0, "exponential mean {} is not positive", mean);
  return -mean * std::log1p(-uniform01());
}

}  // namespace dsim::core
