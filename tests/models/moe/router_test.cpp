// SPDX-License-Identifier: Apache-2.0
// The MoE router: Gumbel-top-k routing (checked against a direct computation), node limits, loads, determinism,
// balanced routing, recorded routing files and their errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "tests/sim/scenario/input_error_of.hpp"
#include "models/collectives/moe/expert_placement.hpp"
#include "models/collectives/moe/router.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"

namespace dsim::models::collectives::moe {
namespace {

constexpr std::uint64_t seed = 20240607;  // every randomised test below uses this seed

std::filesystem::path data(const char* name) {
  return std::filesystem::path(DSIM_SOURCE_DIR) / "tests/models/moe/data" / name;
}

RouterSpec spec_of(RouterKind kind, int experts, int top_k, int groups = 1, int topk_groups = 1) {
  RouterSpec spec;
  spec.kind = kind;
  spec.experts = experts;
  spec.top_k = top_k;
  spec.groups = groups;
  spec.topk_groups = topk_groups;
  spec.seed = seed;
  return spec;
}

std::span<const std::uint16_t> token_of(const std::vector<std::uint16_t>& routes, int top_k, int t) {
  return {routes.data() + static_cast<std::size_t>(t * top_k), static_cast<std::size_t>(top_k)};
}

std::size_t distinct_groups(std::span<const std::uint16_t> token, int group_size) {
  std::set<int> groups;
  for (const std::uint16_t e : token) groups.insert(e / group_size);
  return groups.size();
}

std::vector<double> counted_shares(const Router& router, int ranks, int tokens) {
  std::vector<double> share(static_cast<std::size_t>(router.spec().experts), 0.0);
  const double total = static_cast<double>(ranks) * tokens * router.spec().top_k;
  for (int r = 0; r < ranks; ++r) {
    for (const std::uint16_t e : router.route(r, tokens)) share[e] += 1.0 / total;
  }
  return share;
}

using testing::input_error_of;

// Gumbel-top-k by its definition: per token one score per expert, score_e = log w_e + G_e with
// G_e = -log(-log(1 - U_e)); groups scored (top2 sum or max), the best kept, top_k taken by sorting, best first.
std::vector<std::uint16_t> direct_route(const Router& router, core::RngStream& rng, int tokens) {
  const RouterSpec& spec = router.spec();
  const int size = spec.experts / spec.groups;
  std::vector<std::uint16_t> out;
  std::vector<double> score(static_cast<std::size_t>(spec.experts));
  for (int t = 0; t < tokens; ++t) {
    for (int e = 0; e < spec.experts; ++e) {
      score[e] = std::log(router.weights()[e]) - std::log(-std::log1p(-rng.uniform01()));
    }
    std::vector<std::pair<double, int>> group_score;
    for (int g = 0; g < spec.groups; ++g) {
      std::vector<double> in(score.begin() + g * size, score.begin() + (g + 1) * size);
      std::sort(in.rbegin(), in.rend());
      const bool max = spec.group_score == GroupScore::max || spec.groups == 1;
      group_score.emplace_back(-(max ? in[0] : in[0] + in[1]), g);
    }
    std::sort(group_score.begin(), group_score.end());
    std::vector<int> allowed;
    for (int i = 0; i < spec.topk_groups; ++i) {
      for (int e = group_score[i].second * size; e < (group_score[i].second + 1) * size; ++e) allowed.push_back(e);
    }
    std::sort(allowed.begin(), allowed.end(), [&](int a, int b) { return score[a] > score[b]; });
    for (int j = 0; j < spec.top_k; ++j) out.push_back(static_cast<std::uint16_t>(allowed[j]));
  }
  return out;
}

// How often each expert is the j-th pick: share[j * experts + e].
std::vector<double> position_shares(const std::vector<std::uint16_t>& routes, int experts, int top_k) {
  std::vector<double> share(static_cast<std::size_t>(experts * top_k), 0.0);
  const double tokens = static_cast<double>(routes.size() / static_cast<std::size_t>(top_k));
  for (std::size_t i = 0; i < routes.size(); ++i) {
    share[(i % static_cast<std::size_t>(top_k)) * static_cast<std::size_t>(experts) + routes[i]] += 1.0 / tokens;
  }
  return share;
}

}  // namespace

TEST_CASE("router: routes follow the distribution of per-expert Gumbel scores, pick by pick", "[models]") {
  // The router draws the exponential race in arrival order; the definition draws one Gumbel score per expert. Both
  // must give each expert the same chance at each position: 12 experts in 4 groups of 3, keep 2, top_k 3, uniform
  // and zipf (s = 1), both group scores and no limit. 200,000 tokens each: a share p differs between two independent
  // estimates by sd sqrt(2 p (1 - p) / 200,000) <= 0.0016; allowed: 5 sd + 1e-4.
  constexpr int tokens = 200000;
  for (const RouterKind kind : {RouterKind::uniform, RouterKind::zipf}) {
    for (const auto& [groups, topk_groups, score] : {std::tuple{4, 2, GroupScore::top2_sum},
                                                     std::tuple{4, 2, GroupScore::max},
                                                     std::tuple{1, 1, GroupScore::max}}) {
      RouterSpec spec = spec_of(kind, 12, 3, groups, topk_groups);
      spec.group_score = score;
      const Router router(spec);
      core::RngStream rng(seed, "direct gumbel");
      const auto routed = position_shares(router.route(0, tokens), 12, 3);
      const auto direct = position_shares(direct_route(router, rng, tokens), 12, 3);
      for (std::size_t i = 0; i < routed.size(); ++i) {
        const double p = 0.5 * (routed[i] + direct[i]);
        CAPTURE(kind, groups, score, i / 12, i % 12, seed);
        CHECK(std::abs(routed[i] - direct[i]) <= 5.0 * std::sqrt(2.0 * p * (1.0 - p) / tokens) + 1e-4);
      }
    }
  }
}

TEST_CASE("router: node-limited routing never sends a token to more than topk_groups groups", "[models]") {
  // 64 experts in 8 groups of 8, top_k 6, at most 2 groups. Unlimited, 6 uniform picks from 64 fit in 2 groups with
  // probability 28 x C(16,6) / C(64,6) = 0.3% (zipf picks cluster a little more), so over 4,000 of 5,000 unlimited
  // tokens use more than 2 groups: the limit binds.
  for (const RouterKind kind : {RouterKind::uniform, RouterKind::zipf}) {
    for (const GroupScore score : {GroupScore::top2_sum, GroupScore::max}) {
      RouterSpec spec = spec_of(kind, 64, 6, 8, 2);
      spec.group_score = score;
      const auto limited = Router(spec).route(0, 5000);
      const auto free = Router(spec_of(kind, 64, 6)).route(0, 5000);
      int over_limit_when_free = 0;
      for (int t = 0; t < 5000; ++t) {
        REQUIRE(distinct_groups(token_of(limited, 6, t), 8) <= 2);
        over_limit_when_free += distinct_groups(token_of(free, 6, t), 8) > 2 ? 1 : 0;
      }
      CHECK(over_limit_when_free > 4000);
    }
  }
}

TEST_CASE("router: experts are distinct within a token and in range for every kind", "[models]") {
  // Includes the edge top_k = experts (5 of 5: every token is a permutation) and balanced runs that wrap (10, 3).
  std::vector<RouterSpec> specs = {spec_of(RouterKind::uniform, 256, 8, 8, 4), spec_of(RouterKind::zipf, 256, 8),
                                   spec_of(RouterKind::balanced, 256, 8, 8, 1), spec_of(RouterKind::uniform, 5, 5),
                                   spec_of(RouterKind::balanced, 10, 3)};
  specs[1].zipf_exponent = 2.0;
  for (const RouterSpec& spec : specs) {
    const auto routes = Router(spec).route(7, 1000);
    REQUIRE(routes.size() == 1000u * static_cast<std::size_t>(spec.top_k));
    for (int t = 0; t < 1000; ++t) {
      const auto token = token_of(routes, spec.top_k, t);
      CHECK(std::set<std::uint16_t>(token.begin(), token.end()).size() == token.size());
      CHECK(std::all_of(token.begin(), token.end(), [&](std::uint16_t e) { return e < spec.experts; }));
    }
  }
}

TEST_CASE("router: uniform routing loads every expert within 15 percent of the mean", "[models]") {
  // 4 ranks x 5,000 tokens x 4 picks over 64 experts: 1,250 picks per expert, standard deviation about
  // sqrt(1250 x 60/64) = 34, so 15% (187) is over 5 deviations; true with and without node limits by symmetry.
  for (const int groups : {1, 8}) {
    const Router router(spec_of(RouterKind::uniform, 64, 4, groups, groups == 1 ? 1 : 2));
    const auto share = counted_shares(router, 4, 5000);
    for (const double s : share) CHECK(s == Approx(1.0 / 64).epsilon(0.15));
    for (const double s : router.expected_load()) CHECK(s == 1.0 / 64);
  }
}

TEST_CASE("router: zipf with s = 1.2 puts more load on the most popular expert than uniform does", "[models]") {
  // The most popular expert has weight 1, the next 2^-1.2 = 0.44, ...: over 64 experts the weights sum to 3.42, so
  // the first of 4 picks alone takes it 29% of the time: its share of picks is over 29%/4 = 7.3%, against uniform's
  // 1/64 = 1.6%; the check asks for more than 4/64 = 6.25%.
  RouterSpec spec = spec_of(RouterKind::zipf, 64, 4);
  spec.zipf_exponent = 1.2;
  const Router router(spec);
  const auto hottest = static_cast<std::size_t>(
      std::max_element(router.weights().begin(), router.weights().end()) - router.weights().begin());
  const auto share = counted_shares(router, 2, 5000);
  CHECK(share[hottest] > 4.0 / 64);
  CHECK(share[hottest] == *std::max_element(share.begin(), share.end()));
  const auto expected = router.expected_load();
  CHECK(expected[hottest] == Approx(share[hottest]).epsilon(0.05));
  double sum = 0;
  for (const double s : expected) sum += s;
  CHECK(sum == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("router: zipf picks follow the Plackett-Luce inclusion probabilities", "[models]") {
  // 3 experts, s = 1: weights 1, 1/2, 1/3 (W = 11/6), top_k 2. An expert is left out when it is drawn last:
  // P(out w=1) = (1/2)/W x (1/3)/(W-1/2) + (1/3)/W x (1/2)/(W-1/3) = 0.0682 + 0.0606 = 0.1288, and likewise
  // 0.3394 for w=1/2, 0.5318 for w=1/3. Shares are (1 - P(out)) / 2: 0.4356, 0.3303, 0.2341 (checked to 0.01;
  // 40,000 tokens give a standard error near 0.002).
  RouterSpec spec = spec_of(RouterKind::zipf, 3, 2);
  const Router router(spec);
  const auto share = counted_shares(router, 4, 10000);
  const auto expected = router.expected_load();
  for (std::size_t e = 0; e < 3; ++e) {
    const double w = router.weights()[e];
    const double want = w == 1.0 ? 0.4356 : w == 0.5 ? 0.3303 : 0.2341;
    CAPTURE(e, w, seed);
    CHECK(share[e] == Approx(want).margin(0.01));
    CHECK(expected[e] == Approx(want).margin(0.01));
  }
}

TEST_CASE("router: zipf expected load with top_k 1 is the normalised weights", "[models]") {
  // One pick from weights 1, 1/2, 1/3, 1/4 (sum 25/12): shares 0.48, 0.24, 0.16, 0.12 (65,536 sampled tokens,
  // standard error at most 0.002; checked to 0.01).
  const Router router(spec_of(RouterKind::zipf, 4, 1));
  const auto expected = router.expected_load();
  for (std::size_t e = 0; e < 4; ++e) {
    CHECK(expected[e] == Approx(router.weights()[e] * 12.0 / 25.0).margin(0.01));
  }
}

TEST_CASE("router: balanced routing gives every expert exactly the same load", "[models]") {
  // 4 ranks x 24 tokens x 8 picks = 768 = 12 x 64: token g takes experts 8g .. 8g+7 mod 64, so every expert is
  // picked exactly 12 times; with 8 groups of 8 each token stays in one group.
  const Router router(spec_of(RouterKind::balanced, 64, 8, 8, 1));
  std::vector<int> count(64, 0);
  for (int r = 0; r < 4; ++r) {
    const auto routes = router.route(r, 24);
    for (int t = 0; t < 24; ++t) {
      CHECK(distinct_groups(token_of(routes, 8, t), 8) == 1);
      CHECK(token_of(routes, 8, t)[0] == ((r * 24 + t) * 8) % 64);
    }
    for (const std::uint16_t e : routes) ++count[e];
  }
  CHECK(std::all_of(count.begin(), count.end(), [](int c) { return c == 12; }));
  for (const double s : router.expected_load()) CHECK(s == 1.0 / 64);
}

TEST_CASE("router: balanced routing is refused when its runs of experts break the group limit", "[models]") {
  // 64 experts in 8 groups of 8, top_k 6: runs start at even experts (gcd(6, 64) = 2), and a run of 6 from
  // offset 4 or 6 of a group crosses into the next, so topk_groups 1 is refused and 2 is accepted. With top_k 4
  // (offsets 0 and 4) every run stays in its group.
  const InputError error = input_error_of([] { Router(spec_of(RouterKind::balanced, 64, 6, 8, 1)); });
  CHECK(error.source() == "router");
  CHECK(error.where() == "topk_groups");
  CHECK_THAT(error.message(), Catch::Contains("span up to 2 groups of 8, more than topk_groups 1"));
  CHECK_NOTHROW(Router(spec_of(RouterKind::balanced, 64, 6, 8, 2)));
  CHECK_NOTHROW(Router(spec_of(RouterKind::balanced, 64, 4, 8, 1)));
}

TEST_CASE("router: the same seed gives identical routes and another rank or seed gives different ones", "[models]") {
  // Routes depend only on (seed, rank): two routers of one spec agree; 512 tokens of 8 picks from another stream
  // coincide with probability far below 2^-1000.
  RouterSpec spec = spec_of(RouterKind::uniform, 256, 8, 8, 4);
  const Router a(spec);
  const Router b(spec);
  spec.seed = seed + 1;
  const Router c(spec);
  const auto routes = a.route(5, 512);
  CHECK(routes == b.route(5, 512));
  CHECK(routes != a.route(6, 512));
  CHECK(routes != c.route(5, 512));
  // Tokens draw in order, so a shorter call is a prefix of a longer one.
  const auto shorter = a.route(5, 100);
  CHECK(std::equal(shorter.begin(), shorter.end(), routes.begin()));
}

TEST_CASE("router: DeepEP-like routing of 8 experts in 4 of 8 nodes reaches 3.5 to 4 nodes per token", "[models]") {
  // 256 experts on 64 GPUs (8 nodes of 8), 8 groups = 8 nodes, keep 4 groups by their maximum, top_k 8. A token
  // never reaches more than the 4 kept nodes. It reaches fewer only when the 3 best groups hold 8 experts scoring
  // above the 4th group's maximum m4: m4 is about the median group maximum (32 uniforms per group: the top
  // 1 - 2^(-1/32) = 2.1% quantile), and a group whose maximum beats it has 1 + Binomial(31, ~0.02) = ~1.7 experts
  // above it, so the 3 best groups hold ~5 such experts and rarely 8: the mean lies just below 4 (3.97 here).
  RouterSpec spec = spec_of(RouterKind::uniform, 256, 8, 8, 4);
  spec.group_score = GroupScore::max;
  const Router router(spec);
  std::vector<GpuId> group;
  for (std::uint32_t g = 0; g < 64; ++g) group.emplace_back(g);
  const ExpertPlacement placement(256, group, 8);
  double nodes_total = 0;
  int tokens = 0;
  for (int rank = 0; rank < 64; rank += 9) {
    const auto routes = router.route(rank, 1024);
    for (int t = 0; t < 1024; ++t) {
      std::set<int> nodes;
      for (const std::uint16_t e : token_of(routes, 8, t)) {
        nodes.insert(placement.node_of(placement.gpu_for(e, GpuId(static_cast<std::uint32_t>(rank)), t)));
      }
      REQUIRE(nodes.size() <= 4);
      nodes_total += static_cast<double>(nodes.size());
      ++tokens;
    }
  }
  const double mean = nodes_total / tokens;
  CAPTURE(mean, seed);
  CHECK(mean >= 3.5);
  CHECK(mean <= 4.0);
}

TEST_CASE("router: the file router returns the recorded routes and counts its load from them", "[models]") {
  // routing_small.json: rank 2 has tokens (7,0), (3,4); rank 0 has (0,1), (2,3), (0,5). Ten picks: expert 0 three
  // times (0.3), 3 twice (0.2), 1, 2, 4, 5, 7 once (0.1), 6 never.
  RouterSpec spec = spec_of(RouterKind::file, 8, 2);
  spec.file = data("routing_small.json");
  const Router router(spec);
  CHECK(router.route(2, 2) == std::vector<std::uint16_t>{7, 0, 3, 4});
  CHECK(router.route(0, 3) == std::vector<std::uint16_t>{0, 1, 2, 3, 0, 5});
  const std::vector<double> want = {0.3, 0.1, 0.1, 0.2, 0.1, 0.1, 0.0, 0.1};
  const auto load = router.expected_load();
  for (std::size_t e = 0; e < 8; ++e) CHECK(load[e] == Approx(want[e]).margin(1e-12));
}

TEST_CASE("router: asking the file router for a rank it lacks or another token count names the file", "[models]") {
  RouterSpec spec = spec_of(RouterKind::file, 8, 2);
  spec.file = data("routing_small.json");
  const Router router(spec);
  const InputError missing = input_error_of([&] { router.route(1, 2); });
  CHECK(missing.source() == spec.file.string());
  CHECK(missing.message() == "no routing recorded for rank 1; the file has rank(s) 0, 2");
  const InputError count = input_error_of([&] { router.route(0, 4); });
  CHECK(count.source() == spec.file.string());
  CHECK(count.where() == "/ranks/1/tokens");
  CHECK(count.message() == "rank 0 has 3 recorded tokens, but 4 were asked for");
}

TEST_CASE("router: each bad routing file gives an error naming the file and the place", "[models]") {
  struct Case {
    const char* file;
    const char* where;
    const char* message;
  };
  const Case cases[] = {
      // nlohmann reports the column where the unexpected token ends: "ranks" spans columns 3 to 9 of line 4.
      {"routing_bad_syntax.json", "line 4, column 9", "syntax error while parsing object"},
      {"routing_bad_range.json", "/ranks/1/tokens/0/1", "8 is out of range [0, 7]"},
      {"routing_bad_duplicate.json", "/ranks/0/tokens/1/1", "expert 5 appears twice in this token"},
      {"routing_bad_count.json", "/ranks/0/tokens/2", "expected top_k = 2 experts, got 3"},
      {"routing_bad_experts.json", "/experts", "the file has 16 experts, but the router has 8"},
      {"routing_bad_top_k.json", "/top_k", "the file has top_k 3, but the router has 2"},
      {"routing_bad_key.json", "/ranks/0/token", "unknown key 'token'; expected rank, tokens"},
      {"routing_bad_rank_twice.json", "/ranks/2/rank", "rank 1 is listed twice (first at /ranks/0)"},
      {"routing_bad_type.json", "/ranks/0/tokens/0/1", "expected an integer, got \"1\""},
      {"routing_missing.json", "", "cannot open the routing file"},
  };
  for (const Case& c : cases) {
    RouterSpec spec = spec_of(RouterKind::file, 8, 2);
    spec.file = data(c.file);
    CAPTURE(c.file);
    const InputError error = input_error_of([&] { Router{spec}; });
    CHECK(error.source() == spec.file.string());
    CHECK(error.where() == c.where);
    CHECK_THAT(error.message(), Catch::Contains(c.message));
  }
}

TEST_CASE("router: a spec that cannot route names the field at fault", "[models]") {
  struct Case {
    RouterSpec spec;
    const char* where;
    const char* message;
  };
  RouterSpec zipf = spec_of(RouterKind::zipf, 8, 2);
  zipf.zipf_exponent = -1.0;
  RouterSpec top2 = spec_of(RouterKind::uniform, 8, 2, 8, 2);
  const Case cases[] = {
      {spec_of(RouterKind::uniform, 0, 1), "experts", "must be between 1 and 65536 (expert ids are 16-bit), got 0"},
      {spec_of(RouterKind::uniform, 8, 9), "top_k", "must be between 1 and experts (8), got 9"},
      {spec_of(RouterKind::uniform, 8, 2, 3, 1), "groups", "must be at least 1 and divide experts (8), got 3"},
      {spec_of(RouterKind::uniform, 8, 2, 4, 5), "topk_groups", "must be between 1 and groups (4), got 5"},
      {spec_of(RouterKind::uniform, 256, 8, 64, 1), "top_k", "8 experts do not fit in topk_groups 1 groups of 4"},
      {top2, "group_score", "top2_sum needs at least 2 experts per group; use max"},
      {zipf, "zipf_exponent", "must be between 0 and 16, got -1"},
      {spec_of(RouterKind::file, 8, 2), "file", "a file router needs a routing file"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.where);
    const InputError error = input_error_of([&] { Router{c.spec}; });
    CHECK(error.source() == "router");
    CHECK(error.where() == c.where);
    CHECK_THAT(error.message(), Catch::Contains(c.message));
  }
}

}  // namespace dsim::models::collectives::moe
