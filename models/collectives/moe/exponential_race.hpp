// SPDX-License-Identifier: Apache-2.0
// The sampling core of the uniform and zipf routers (router.hpp): Gumbel-top-k with node-limited groups, drawn as an
// exponential race. A detail of router.cpp, kept apart so each file stays short; nothing else includes it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/core/rng.hpp"

namespace dsim::models::collectives::moe::detail {

struct Pick {
  double key = 0.0;
  std::uint32_t index = 0;
};

// The `capacity` smallest keys offered so far, sorted ascending, in caller-owned slots. Offers come in increasing
// index order and an equal key never displaces a kept one, so ties go to the lower index.
class SmallestK {
 public:
  SmallestK(Pick* slots, int capacity) : slots_(slots), capacity_(capacity) {}

  const Pick& operator[](int i) const { return slots_[i]; }

  void offer(double key, std::uint32_t index) {
    if (size_ == capacity_) {
      if (!(key < slots_[size_ - 1].key)) return;
      --size_;
    }
    int i = size_++;
    for (; i > 0 && key < slots_[i - 1].key; --i) slots_[i] = slots_[i - 1];
    slots_[i] = Pick{key, index};
  }

 private:
  Pick* slots_;
  int capacity_;
  int size_ = 0;
};

// What the race needs of the router, for one view of the experts: `groups` groups of `size` (all experts as one
// group when no group limit applies).
struct RaceSetup {
  int top_k;
  int groups;
  int size;
  int topk_groups;
  int per_group_best;          // 1 (max) or 2 (top2_sum); 0 when no group limit applies
  const double* weight;        // w_e
  const double* alias_prob;    // weighted: each group's alias table (Walker), position i of group g at g * size + i
  const std::uint32_t* alias;  // the expert drawn instead, at the same position
  const double* group_weight;  // the sum of w over each group
};

// Gumbel-top-k as an exponential race (see router.hpp): expert e arrives at X_e / w_e, X_e ~ Exp(1). Within a
// group, the next arrival comes Exp(1) / (weight not yet arrived) after the last, and is expert e with probability
// w_e / (weight not yet arrived), independently of the past (the race is memoryless). So a group's first arrivals
// cost one draw each, a group's score needs only its first one or two, and the top_k of the chosen groups merge
// their arrivals in time order, revealing more only as needed. Unweighted (uniform) experts are drawn by
// uniform_below, weighted (zipf) ones from an alias table; a draw that gives an expert already arrived is redrawn
// (rejection keeps the proportions of those left), and after 16 such draws the experts left are walked instead.
template <bool Weighted>
class ExponentialRace {
 public:
  ExponentialRace(const RaceSetup& setup, core::RngStream& rng)
      : s_(setup),
        rng_(rng),
        cap_(static_cast<std::size_t>(std::min(setup.size, setup.per_group_best + setup.top_k))),
        stamp_(static_cast<std::size_t>(setup.groups) * static_cast<std::size_t>(setup.size), 0),
        count_(static_cast<std::size_t>(setup.groups)),
        last_(count_.size()),
        remaining_(count_.size()),
        arrivals_(count_.size() * cap_),
        slots_(static_cast<std::size_t>(setup.topk_groups)),
        chosen_(slots_.size()),
        position_(slots_.size()) {}

  // The top_k experts of one token, in arrival order (best score first).
  void token(std::uint16_t* out) {
    ++token_;
    if (s_.per_group_best == 0) {
      start(0);
      for (int j = 0; j < s_.top_k; ++j) out[j] = static_cast<std::uint16_t>(reveal(0, false).index);
      return;
    }
    // Group scores as keys (smaller is better): the max of scores is the first arrival; the top2 sum of scores
    // -log(t1) - log(t2) = -log(t1 * t2) ranks as the product of the first two arrival times.
    SmallestK best_groups(slots_.data(), s_.topk_groups);
    for (std::size_t g = 0; g < count_.size(); ++g) {
      start(g);
      double score = reveal(g, true).key;
      if (s_.per_group_best == 2) score *= reveal(g, true).key;
      best_groups.offer(score, static_cast<std::uint32_t>(g));
    }
    for (std::size_t i = 0; i < chosen_.size(); ++i) {
      chosen_[i] = best_groups[static_cast<int>(i)].index;
      position_[i] = 0;
    }
    std::sort(chosen_.begin(), chosen_.end());  // equal arrival times go to the lower group
    for (int j = 0; j < s_.top_k; ++j) {
      std::size_t first = chosen_.size();
      for (std::size_t i = 0; i < chosen_.size(); ++i) {
        const std::size_t g = chosen_[i];
        if (position_[i] == count_[g]) {
          if (count_[g] == static_cast<std::size_t>(s_.size)) continue;  // every expert of the group is out
          reveal(g, true);
        }
        const double key = arrival(g, position_[i]).key;
        if (first == chosen_.size() || key < arrival(chosen_[first], position_[first]).key) first = i;
      }
      // Some chosen group has an expert left: top_k <= topk_groups * size, checked by the constructor.
      out[j] = static_cast<std::uint16_t>(arrival(chosen_[first], position_[first]++).index);
    }
  }

 private:
  Pick& arrival(std::size_t g, std::size_t i) { return arrivals_[g * cap_ + i]; }

  void start(std::size_t g) {
    count_[g] = 0;
    last_[g] = 0.0;
    remaining_[g] = s_.group_weight[g];
  }

  // Group g's next arrival; untimed arrivals (no group limit) skip the time, which nothing then reads.
  const Pick& reveal(std::size_t g, bool timed) {
    if (timed) last_[g] -= std::log1p(-rng_.uniform01()) / remaining_[g];
    const std::uint32_t e = draw(g);
    stamp_[e] = token_;
    remaining_[g] -= s_.weight[e];
    // Cancellation can leave a sliver of the weight sum (or less than none) once the heavy experts are out.
    if (Weighted && remaining_[g] <= s_.group_weight[g] * 0x1.0p-30) remaining_[g] = sum_left(g);
    Pick& slot = arrival(g, count_[g]++);
    slot = Pick{last_[g], e};
    return slot;
  }

  std::uint32_t draw(std::size_t g) {
    const std::size_t begin = g * static_cast<std::size_t>(s_.size);
    const std::size_t end = begin + static_cast<std::size_t>(s_.size);
    for (int attempt = 0; attempt < 16; ++attempt) {
      std::size_t e = 0;
      if constexpr (Weighted) {
        e = begin + rng_.uniform_below(static_cast<std::uint64_t>(s_.size));
        if (!(rng_.uniform01() < s_.alias_prob[e])) e = s_.alias[e];
      } else {
        e = begin + rng_.uniform_below(static_cast<std::uint64_t>(s_.size));
      }
      if (stamp_[e] != token_) return static_cast<std::uint32_t>(e);
    }
    // Rejections keep failing only once most of the group's weight has arrived: walk the experts left.
    double x = rng_.uniform01() * sum_left(g);
    std::size_t pick = end;
    for (std::size_t e = begin; e < end; ++e) {
      if (stamp_[e] == token_) continue;
      pick = e;
      x -= s_.weight[e];
      if (x < 0.0) break;
    }
    return static_cast<std::uint32_t>(pick);  // the last expert left when rounding leaves x >= 0
  }

  double sum_left(std::size_t g) const {
    double sum = 0.0;
    const auto size = static_cast<std::size_t>(s_.size);
    for (std::size_t e = g * size; e < (g + 1) * size; ++e) {
      if (stamp_[e] != token_) sum += s_.weight[e];
    }
    return sum;
  }

  RaceSetup s_;
  core::RngStream& rng_;
  std::size_t cap_;                   // arrivals kept per group
  std::vector<std::uint32_t> stamp_;  // == token_: the expert has arrived in this token
  std::uint32_t token_ = 0;
  std::vector<std::size_t> count_;    // arrivals revealed per group
  std::vector<double> last_;          // time of the last arrival per group
  std::vector<double> remaining_;     // weight not yet arrived per group
  std::vector<Pick> arrivals_;
  std::vector<Pick> slots_;
  std::vector<std::uint32_t> chosen_;
  std::vector<std::size_t> position_;  // next arrival of each chosen group to merge
};

}  // namespace dsim::models::collectives::moe::detail
