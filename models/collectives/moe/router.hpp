// SPDX-License-Identifier: Apache-2.0
// The MoE router model: which routed experts each token picks, for the dispatch/combine models. Synthetic routers
// draw Gumbel-top-k samples (uniform or Zipf popularity), optionally node-limited as in DeepSeek-V3 (section 2.1.2,
// "node-limited routing"; config n_group/topk_group); a balanced router is the ideal of perfect load balance; a
// file router replays recorded routing.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace dsim::core {
class RngStream;
}

namespace dsim::models::collectives::moe {

enum class RouterKind : std::uint8_t { uniform, zipf, balanced, file };
inline constexpr std::array<std::string_view, 4> router_kind_names = {"uniform", "zipf", "balanced", "file"};

// How a group's score is formed for node-limited routing: V3's config sums the top-2 expert scores in the group
// (noaux_tc); DeepEP's tests take the group's maximum.
enum class GroupScore : std::uint8_t { top2_sum, max };
inline constexpr std::array<std::string_view, 2> group_score_names = {"top2_sum", "max"};

struct RouterSpec {
  RouterKind kind = RouterKind::uniform;
  int experts = 256;  // routed experts
  int top_k = 8;      // experts per token
  int groups = 1;     // expert groups (V3: n_group 8); group of expert e is e / (experts / groups); 1 = no limit
  int topk_groups = 1;  // groups one token may use (V3: topk_group 4)
  GroupScore group_score = GroupScore::top2_sum;
  // zipf: the expert of popularity rank r (a seeded random permutation) has weight 1/(r+1)^s
  double zipf_exponent = 1.0;
  std::filesystem::path file;  // file: recorded routing
  std::uint64_t seed = 0;
};

// A routing file, as read and checked: each listed rank's tokens, top_k experts per token, token-major.
struct RecordedRank {
  int rank = 0;
  int position = 0;  // index in the file's "ranks" array, for error paths
  int tokens = 0;
  std::vector<std::uint16_t> experts;
};
struct RecordedRouting {
  int experts = 0;
  int top_k = 0;
  std::vector<RecordedRank> ranks;  // sorted by rank
};

// Routing file format (JSON):
//   {"experts": 256, "top_k": 8,
//    "ranks": [{"rank": 0, "tokens": [[e0, ..., e7], ...]}, ...]}
// "experts" and "top_k" must equal the router spec's; every token lists exactly top_k distinct experts in
// [0, experts); each rank appears once. Any other key is an error. Errors are InputErrors whose source is the file
// name and whose place is a JSON pointer (/ranks/3/tokens/17/2), or "line L, column C" for text that is not JSON.
RecordedRouting read_routing_file(const std::filesystem::path& file, int experts, int top_k);

// Synthetic routers draw, per token, one score per expert: score_e = log(w_e) + Gumbel(0,1) (uniform: w_e = 1).
// The top k scores are a weighted sample without replacement (Gumbel-top-k, equivalently Plackett-Luce). Node-limited
// routing (groups > 1) first scores each group (top2_sum or max of its expert scores), keeps the topk_groups best
// groups, and takes the top_k experts within them.
// Implementation: score_e = -log(T_e) with T_e = X_e / w_e, X_e ~ Exp(1), so the best scores are the first arrivals
// of an exponential race and a top2 sum ranks as the smallest product T1 * T2. The race is drawn in arrival order,
// memorylessly (next arrival after Exp(1) / weight left; which expert, in proportion to w among those left), so a
// token costs O(top_k + groups) draws rather than one per expert; the sample has exactly the distribution of the
// per-expert scores, not their stream of numbers. Exact ties (probability ~2^-53) go to the lower group.
//
// Balanced: token t of `rank` (global index g = rank * tokens + t) takes experts (g * top_k + j) mod experts,
// j < top_k: every expert gets exactly the same count whenever the total picks are a multiple of experts. A token's
// experts are a contiguous run of top_k (cyclically), so with P = experts / groups it touches one group when
// top_k divides both P and experts (V3: P = 32, top_k = 8) and at most 2 groups when P >= top_k; in general up to
// ceil((top_k - 1) / P) + 1. The constructor computes the worst case over the runs that occur and rejects a spec
// whose topk_groups is smaller, so balanced routing always respects the group limit. It is the load-balance ideal,
// not a realistic traffic pattern: with V3's layout each token stays within one node.
//
// File: the recorded experts, returned as they are (the group limit is not checked against them).
class Router {
 public:
  // Checks the spec (experts divisible by groups, 1 <= topk_groups <= groups, top_k <= experts reachable in
  // topk_groups groups, ...) and, for kind file, reads the file. Throws InputError naming the file and JSON path (or
  // line) for a file that does not parse or does not fit, and naming the spec field otherwise (source "router").
  explicit Router(RouterSpec spec);

  // Experts of `tokens` tokens sent by `rank`: top_k per token, token-major, distinct within a token (best score
  // first for uniform and zipf), deterministic given (spec.seed, rank): uniform and zipf draw from the stream
  // (spec.seed, "router rank <r>") token after token, so route(r, n) is a prefix of route(r, n + m). Thread-safe
  // (const, no shared mutable state). File kind: an InputError naming the file for a rank it lacks or a token count
  // it did not record.
  std::vector<std::uint16_t> route(int rank, int tokens) const;

  const RouterSpec& spec() const { return spec_; }

  // The expected share of all (token, expert) picks each expert gets (sums to 1); uniform/balanced: 1/experts (by
  // symmetry, with or without groups); zipf: estimated by routing 65,536 tokens from a fixed stream ("router expected
  // load"), so a share p carries a standard error of about sqrt(p / (65,536 * top_k)); file: counted from the file.
  std::vector<double> expected_load() const;

  // Zipf: the weight w_e of each expert (the most popular has weight 1); other kinds: all 1.
  const std::vector<double>& weights() const { return weights_; }
  // File: the recording read at construction; other kinds: empty.
  const RecordedRouting& recorded() const { return recorded_; }

 private:
  void route_random(core::RngStream& rng, int tokens, std::uint16_t* out) const;
  void route_balanced(int rank, int tokens, std::uint16_t* out) const;
  std::vector<std::uint16_t> route_file(int rank, int tokens) const;

  RouterSpec spec_;
  int group_size_ = 0;                // experts per group
  std::vector<double> weights_;       // w_e
  std::vector<double> group_weight_;  // the sum of w_e over each group, then over all experts
  std::vector<double> alias_prob_;    // zipf: alias tables (router.cpp) for each group, then for all experts
  std::vector<std::uint32_t> alias_;
  RecordedRouting recorded_;
};

}  // namespace dsim::models::collectives::moe
