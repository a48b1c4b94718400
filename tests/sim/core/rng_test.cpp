// SPDX-License-Identifier: Apache-2.0
// Tests of RngStream (xoshiro256** seeded from (seed, name)) and of the FNV-1a name hash.
#include <algorithm>
#include <array>
#include <cstdint>

#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"

namespace dsim::core {
namespace {

TEST_CASE("rng: fnv1a64 gives the published FNV-1a 64-bit hashes", "[core]") {
  // FNV-1a 64: start from the offset basis 0xcbf29ce484222325, then per byte xor it in and multiply by the prime
  // 0x100000001b3. The empty string is the basis itself; "a" and "foobar" are the reference test vectors.
  CHECK(fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("rng: the first draws of stream (42, \"ecmp\") are pinned", "[core]") {
  // Computed once by an independent reimplementation of the reference algorithms: state = four splitmix64 outputs
  // from 42 ^ fnv1a64("ecmp") = 42 ^ 0x300afe60260cc064, then xoshiro256** (Blackman and Vigna). A change to the
  // seeding or the generator changes every run's numbers, and shows here first.
  RngStream rng(42, "ecmp");
  CHECK(rng.next_u64() == 0x46aa9c4f42f88a51ull);
  CHECK(rng.next_u64() == 0x79f7c8f35a673aabull);
  CHECK(rng.next_u64() == 0x4eb0352ee7ce29d4ull);
  CHECK(rng.next_u64() == 0xdb65c0abc1cd19a3ull);
  // uniform01 is the top 53 bits times 2^-53: the fifth draw of a fresh stream, built the same way, equals the
  // first draw's (0x46aa9c4f42f88a51 >> 11) * 2^-53 = 0.2760408109197404 (to 1e-15, the printed digits).
  RngStream fresh(42, "ecmp");
  CHECK(fresh.uniform01() == Approx(0.2760408109197404).margin(1e-15));
  CHECK(fresh.uniform01() == Approx(0.4764371484874602).margin(1e-15));
}

TEST_CASE("rng: the same (seed, name) gives the same sequence", "[core]") {
  // Two streams built from the same pair hold the same state, so 1,000 draws agree one by one.
  RngStream a(7, "router");
  RngStream b(7, "router");
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(a.next_u64() == b.next_u64());
  }
}

TEST_CASE("rng: different names or seeds give different streams", "[core]") {
  // Different names hash to different FNV-1a values, so splitmix64 starts elsewhere: the first four draws differ
  // (equal 64-bit draws by chance have probability 2^-64 each). The same holds for a different seed.
  RngStream router(7, "router");
  RngStream ecmp(7, "ecmp");
  RngStream other_seed(8, "router");
  int same_name = 0;
  int same_seed = 0;
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t r = router.next_u64();
    same_name += r == ecmp.next_u64() ? 1 : 0;
    same_seed += r == other_seed.next_u64() ? 1 : 0;
  }
  CHECK(same_name == 0);
  CHECK(same_seed == 0);
}

TEST_CASE("rng: uniform01 stays at or above 0 and below 1, with mean near 1/2", "[core]") {
  // U(0,1) has mean 1/2 and standard deviation 1/sqrt(12) = 0.2887; over 100,000 draws the sample mean's standard
  // deviation is 0.2887 / sqrt(1e5) = 0.00091, so a tolerance of 0.005 is about 5.5 sigma.
  RngStream rng(2024, "uniform01");
  constexpr int draws = 100'000;
  double sum = 0.0;
  double lowest = 1.0;
  double highest = 0.0;
  for (int i = 0; i < draws; ++i) {
    const double u = rng.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
    lowest = std::min(lowest, u);
    highest = std::max(highest, u);
  }
  CHECK(sum / draws == Approx(0.5).margin(0.005));
  // The draws cover the interval: with 1e5 draws, the extremes lie within 1e-3 of the ends unless the generator
  // is broken (probability (1 - 1e-3)^1e5 = e^-100 otherwise).
  CHECK(lowest < 1e-3);
  CHECK(highest > 1.0 - 1e-3);
}

TEST_CASE("rng: uniform_below stays below its bound and is roughly uniform (chi-square)", "[core]") {
  // 100,000 draws below 10: each value is expected 10,000 times. The statistic sum (observed - expected)^2 /
  // expected follows chi-square with 9 degrees of freedom (mean 9, 99.9th percentile 27.9); the generous limit 40
  // fails with probability about 1e-5 for a good generator, and at once for a biased or stuck one.
  RngStream rng(2024, "uniform_below");
  constexpr int draws = 100'000;
  constexpr std::uint64_t bound = 10;
  std::array<int, bound> counts{};
  for (int i = 0; i < draws; ++i) {
    const std::uint64_t v = rng.uniform_below(bound);
    REQUIRE(v < bound);
    ++counts[v];
  }
  const double expected = static_cast<double>(draws) / bound;
  double chi_square = 0.0;
  for (const int c : counts) {
    chi_square += (c - expected) * (c - expected) / expected;
  }
  INFO("chi-square with 9 degrees of freedom: " << chi_square);
  CHECK(chi_square < 40.0);
}

TEST_CASE("rng: uniform_below handles the edge bounds", "[core]") {
  // Bound 1 admits only 0. Bound 2^63 + 1 rejects nearly half of all 64-bit draws (the threshold is
  // 2^64 mod (2^63 + 1) = 2^63 - 1), which exercises the rejection loop; results stay below the bound and both
  // halves [0, 2^62) and [2^62, bound) occur. Bound 0 is a bug and throws.
  RngStream rng(5, "edges");
  for (int i = 0; i < 100; ++i) {
    REQUIRE(rng.uniform_below(1) == 0);
  }
  const std::uint64_t big = (std::uint64_t{1} << 63) + 1;
  int low_half = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t v = rng.uniform_below(big);
    REQUIRE(v < big);
    low_half += v < (std::uint64_t{1} << 62) ? 1 : 0;
  }
  // About 500 of 1,000 fall in the lower half (standard deviation 16); 400..600 is over 6 sigma.
  CHECK(low_half > 400);
  CHECK(low_half < 600);
  CHECK_THROWS_AS(rng.uniform_below(0), InternalError);
}

TEST_CASE("rng: exponential draws have the requested mean", "[core]") {
  // Exp with mean 2.5 has standard deviation 2.5; the mean of 100,000 draws has standard deviation
  // 2.5 / sqrt(1e5) = 0.0079, so a tolerance of 0.04 (1.6 %) is about 5 sigma. Draws are never negative.
  RngStream rng(2024, "exponential");
  constexpr int draws = 100'000;
  double sum = 0.0;
  for (int i = 0; i < draws; ++i) {
    const double x = rng.exponential(2.5);
    REQUIRE(x >= 0.0);
    sum += x;
  }
  CHECK(sum / draws == Approx(2.5).margin(0.04));
  // A non-positive mean is a bug.
  CHECK_THROWS_AS(rng.exponential(0.0), InternalError);
  CHECK_THROWS_AS(rng.exponential(-1.0), InternalError);
}

}  // namespace
}  // namespace dsim::core
