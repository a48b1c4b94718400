// SPDX-License-Identifier: Apache-2.0
// The router: spec checks, Gumbel-top-k routing with node limits, balanced routing, and expected loads.
#include "models/collectives/moe/router.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "models/collectives/moe/exponential_race.hpp"
#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"

namespace dsim::models::collectives::moe {
namespace {

constexpr int max_experts = 1 << 16;  // expert ids are 16-bit
constexpr int expected_load_tokens = 1 << 16;
constexpr int expected_load_chunk = 4096;

[[noreturn]] void spec_error(const char* field, const std::string& message) {
  throw InputError("router", field, message);
}

// The group spans that the runs [s, s + top_k) of balanced routing reach, at worst: s = g * top_k mod experts takes
// every multiple of gcd(top_k, experts), and a run wraps at experts, which is a group boundary.
int balanced_worst_groups(int experts, int top_k, int group_size, int groups) {
  const int step = std::gcd(top_k, experts);
  int worst = 0;
  for (int s = 0; s < experts; s += step) {
    worst = std::max(worst, std::min(groups, (s + top_k - 1) / group_size - s / group_size + 1));
  }
  return worst;
}

// Walker's alias table for experts [begin, end) (Vose's construction): position i keeps expert begin + i with
// probability prob[i], else gives alias[i]; drawing a position uniformly then yields e with probability w_e / sum w.
void build_alias(const std::vector<double>& weight, std::size_t begin, std::size_t end, double* prob,
                 std::uint32_t* alias) {
  const std::size_t n = end - begin;
  double total = 0.0;
  for (std::size_t e = begin; e < end; ++e) total += weight[e];
  std::vector<double> scaled(n);
  std::vector<std::size_t> small;
  std::vector<std::size_t> large;
  for (std::size_t i = 0; i < n; ++i) {
    scaled[i] = weight[begin + i] * static_cast<double>(n) / total;
    (scaled[i] < 1.0 ? small : large).push_back(i);
  }
  while (!small.empty() && !large.empty()) {
    const std::size_t less = small.back();
    const std::size_t more = large.back();
    small.pop_back();
    prob[less] = scaled[less];
    alias[less] = static_cast<std::uint32_t>(begin + more);
    scaled[more] = (scaled[more] + scaled[less]) - 1.0;
    if (scaled[more] < 1.0) {
      large.pop_back();
      small.push_back(more);
    }
  }
  // What is left holds probability 1 up to rounding.
  for (const std::vector<std::size_t>* rest : {&small, &large}) {
    for (const std::size_t i : *rest) {
      prob[i] = 1.0;
      alias[i] = static_cast<std::uint32_t>(begin + i);
    }
  }
}

}  // namespace

Router::Router(RouterSpec spec) : spec_(std::move(spec)) {
  if (static_cast<std::size_t>(spec_.kind) >= router_kind_names.size()) spec_error("kind", "unknown router kind");
  if (static_cast<std::size_t>(spec_.group_score) >= group_score_names.size()) {
    spec_error("group_score", "unknown group score");
  }
  if (spec_.experts < 1 || spec_.experts > max_experts) {
    spec_error("experts", fmt::format("must be between 1 and {} (expert ids are 16-bit), got {}", max_experts,
                                      spec_.experts));
  }
  if (spec_.top_k < 1 || spec_.top_k > spec_.experts) {
    spec_error("top_k", fmt::format("must be between 1 and experts ({}), got {}", spec_.experts, spec_.top_k));
  }
  if (spec_.groups < 1 || spec_.experts % spec_.groups != 0) {
    spec_error("groups", fmt::format("must be at least 1 and divide experts ({}), got {}", spec_.experts,
                                     spec_.groups));
  }
  group_size_ = spec_.experts / spec_.groups;
  if (spec_.topk_groups < 1 || spec_.topk_groups > spec_.groups) {
    spec_error("topk_groups", fmt::format("must be between 1 and groups ({}), got {}", spec_.groups,
                                          spec_.topk_groups));
  }
  if (spec_.top_k > spec_.topk_groups * group_size_) {
    spec_error("top_k", fmt::format("{} experts do not fit in topk_groups {} groups of {} experts; lower top_k or "
                                    "raise topk_groups",
                                    spec_.top_k, spec_.topk_groups, group_size_));
  }
  if (spec_.groups > 1 && spec_.group_score == GroupScore::top2_sum && group_size_ < 2) {
    spec_error("group_score", "top2_sum needs at least 2 experts per group; use max");
  }
  weights_.assign(static_cast<std::size_t>(spec_.experts), 1.0);
  switch (spec_.kind) {
    case RouterKind::uniform:
      break;
    case RouterKind::zipf: {
      // Above 16 the weight ratios (up to 65536^s) would leave double's range; such skew is one expert anyway.
      if (!(spec_.zipf_exponent >= 0.0 && spec_.zipf_exponent <= 16.0)) {
        spec_error("zipf_exponent", fmt::format("must be between 0 and 16, got {}", spec_.zipf_exponent));
      }
      // Popularity ranks are a Fisher-Yates shuffle from their own stream, so they do not depend on the ranks routed.
      std::vector<std::uint32_t> order(weights_.size());
      std::iota(order.begin(), order.end(), 0u);
      core::RngStream rng(spec_.seed, "router zipf popularity");
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform_below(i)]);
      for (std::size_t r = 0; r < order.size(); ++r) {
        weights_[order[r]] = std::pow(static_cast<double>(r + 1), -spec_.zipf_exponent);
      }
      break;
    }
    case RouterKind::balanced: {
      const int worst = balanced_worst_groups(spec_.experts, spec_.top_k, group_size_, spec_.groups);
      if (worst > spec_.topk_groups) {
        spec_error("topk_groups",
                   fmt::format("balanced routing gives a token top_k {} consecutive experts, which span up to {} "
                               "groups of {}, more than topk_groups {}; raise topk_groups or make experts per group "
                               "a multiple of top_k",
                               spec_.top_k, worst, group_size_, spec_.topk_groups));
      }
      break;
    }
    case RouterKind::file:
      if (spec_.file.empty()) spec_error("file", "a file router needs a routing file");
      recorded_ = read_routing_file(spec_.file, spec_.experts, spec_.top_k);
      break;
  }
  // group_weight_: [each group | all]; alias tables: [each group's | all experts'] (zipf only).
  const auto count = weights_.size();
  const auto size = static_cast<std::size_t>(group_size_);
  group_weight_.assign(static_cast<std::size_t>(spec_.groups) + 1, 0.0);
  for (std::size_t e = 0; e < count; ++e) {
    group_weight_[e / size] += weights_[e];
    group_weight_.back() += weights_[e];
  }
  if (spec_.kind == RouterKind::zipf) {
    alias_prob_.resize(2 * count);
    alias_.resize(2 * count);
    for (std::size_t g = 0; g + 1 < group_weight_.size(); ++g) {
      build_alias(weights_, g * size, (g + 1) * size, alias_prob_.data() + g * size, alias_.data() + g * size);
    }
    build_alias(weights_, 0, count, alias_prob_.data() + count, alias_.data() + count);
  }
}

std::vector<std::uint16_t> Router::route(int rank, int tokens) const {
  DSIM_CHECK(rank >= 0 && tokens >= 0, "route(rank {}, tokens {}) needs non-negative arguments", rank, tokens);
  if (spec_.kind == RouterKind::file) return route_file(rank, tokens);
  std::vector<std::uint16_t> out(static_cast<std::size_t>(tokens) * static_cast<std::size_t>(spec_.top_k));
  if (spec_.kind == RouterKind::balanced) {
    route_balanced(rank, tokens, out.data());
  } else {
    core::RngStream rng(spec_.seed, fmt::format("router rank {}", rank));
    route_random(rng, tokens, out.data());
  }
  return out;
}

void Router::route_random(core::RngStream& rng, int tokens, std::uint16_t* out) const {
  const bool limited = spec_.groups > 1 && spec_.topk_groups < spec_.groups;
  const detail::RaceSetup setup{spec_.top_k,
                        limited ? spec_.groups : 1,
                        limited ? group_size_ : spec_.experts,
                        limited ? spec_.topk_groups : 1,
                        limited ? (spec_.group_score == GroupScore::max ? 1 : 2) : 0,
                        weights_.data(),
                        alias_prob_.data() + (limited || alias_prob_.empty() ? 0 : weights_.size()),
                        alias_.data() + (limited || alias_.empty() ? 0 : weights_.size()),
                        group_weight_.data() + (limited ? 0 : group_weight_.size() - 1)};
  const auto top_k = static_cast<std::size_t>(spec_.top_k);
  if (spec_.kind == RouterKind::zipf) {
    detail::ExponentialRace<true> race(setup, rng);
    for (int t = 0; t < tokens; ++t, out += top_k) race.token(out);
  } else {
    detail::ExponentialRace<false> race(setup, rng);
    for (int t = 0; t < tokens; ++t, out += top_k) race.token(out);
  }
}

void Router::route_balanced(int rank, int tokens, std::uint16_t* out) const {
  const auto experts = static_cast<std::uint64_t>(spec_.experts);
  const auto top_k = static_cast<std::uint64_t>(spec_.top_k);
  // The first token's global index g = rank * tokens, reduced mod experts before it is multiplied by top_k.
  const std::uint64_t g0 = static_cast<std::uint64_t>(rank) % experts * (static_cast<std::uint64_t>(tokens) % experts);
  std::uint64_t start = g0 % experts * top_k % experts;
  for (int t = 0; t < tokens; ++t) {
    std::uint64_t e = start;
    for (std::uint64_t j = 0; j < top_k; ++j) {
      *out++ = static_cast<std::uint16_t>(e);
      if (++e == experts) e = 0;
    }
    start = (start + top_k) % experts;
  }
}

std::vector<double> Router::expected_load() const {
  const auto experts = static_cast<std::size_t>(spec_.experts);
  std::vector<double> load(experts, 1.0 / static_cast<double>(experts));
  if (spec_.kind == RouterKind::zipf) {
    std::vector<std::uint64_t> count(experts, 0);
    std::vector<std::uint16_t> picks(static_cast<std::size_t>(expected_load_chunk * spec_.top_k));
    core::RngStream rng(spec_.seed, "router expected load");
    for (int done = 0; done < expected_load_tokens; done += expected_load_chunk) {
      route_random(rng, expected_load_chunk, picks.data());
      for (const std::uint16_t e : picks) ++count[e];
    }
    const double total = static_cast<double>(expected_load_tokens) * spec_.top_k;
    for (std::size_t e = 0; e < experts; ++e) load[e] = static_cast<double>(count[e]) / total;
  } else if (spec_.kind == RouterKind::file) {
    std::vector<std::uint64_t> count(experts, 0);
    std::uint64_t total = 0;
    for (const RecordedRank& rank : recorded_.ranks) {
      for (const std::uint16_t e : rank.experts) ++count[e];
      total += rank.experts.size();
    }
    // A file with no tokens says nothing about load; spread it evenly rather than divide by zero.
    if (total > 0) {
      for (std::size_t e = 0; e < experts; ++e) load[e] = static_cast<double>(count[e]) / static_cast<double>(total);
    }
  }
  return load;
}

}  // namespace dsim::models::collectives::moe
