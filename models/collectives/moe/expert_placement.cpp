// SPDX-License-Identifier: Apache-2.0
// Expert placement: contiguous primary blocks, greedy redundant replicas, and the replica a token is sent to.
#include "models/collectives/moe/expert_placement.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"

namespace dsim::models::collectives::moe {
namespace {

[[noreturn]] void placement_error(const char* argument, const std::string& message) {
  throw InputError("placement", argument, message);
}

}  // namespace

ExpertPlacement::ExpertPlacement(int experts, std::vector<GpuId> group, int gpus_per_node, int redundant,
                                 std::span<const double> expected_load)
    : experts_(experts), group_(std::move(group)), gpus_per_node_(gpus_per_node), redundant_(redundant) {
  if (group_.empty()) placement_error("group", "the EP group has no GPUs");
  const int n = static_cast<int>(group_.size());
  if (experts_ < 1 || experts_ % n != 0) {
    placement_error("experts", fmt::format("{} experts do not divide evenly over the group's {} GPUs", experts_, n));
  }
  if (gpus_per_node_ < 1) placement_error("gpus_per_node", fmt::format("must be at least 1, got {}", gpus_per_node_));
  for (int i = 0; i < n; ++i) {
    const GpuId gpu = group_[static_cast<std::size_t>(i)];
    if (!gpu.valid()) placement_error("group", fmt::format("GPU {} of the group is not set", i));
    by_gpu_.emplace_back(gpu, i);
  }
  std::sort(by_gpu_.begin(), by_gpu_.end());
  for (std::size_t i = 1; i < by_gpu_.size(); ++i) {
    if (by_gpu_[i].first == by_gpu_[i - 1].first) {
      placement_error("group", fmt::format("GPU {} appears twice in the group", by_gpu_[i].first.value()));
    }
  }
  if (redundant_ < 0 || redundant_ > experts_) {
    placement_error("redundant", fmt::format("must be between 0 and experts ({}), got {}", experts_, redundant_));
  }
  if (redundant_ > 0 && n == 1) placement_error("redundant", "a redundant replica needs a second GPU in the group");
  if (!expected_load.empty() && expected_load.size() != static_cast<std::size_t>(experts_)) {
    placement_error("expected_load", fmt::format("has {} entries, expected one per expert ({})",
                                                 expected_load.size(), experts_));
  }
  for (std::size_t e = 0; e < expected_load.size(); ++e) {
    if (!(std::isfinite(expected_load[e]) && expected_load[e] >= 0.0)) {
      placement_error("expected_load", fmt::format("entry {} is {}, expected a finite share >= 0", e,
                                                   expected_load[e]));
    }
  }

  const auto count = static_cast<std::size_t>(experts_);
  const int per_gpu = experts_ / n;
  std::vector<double> load(count, 1.0 / static_cast<double>(experts_));
  if (!expected_load.empty()) load.assign(expected_load.begin(), expected_load.end());

  // Greedy redundant placement; extra_of[e] is the group index given e's replica, or -1.
  std::vector<int> extra_of(count, -1);
  std::vector<double> gpu_load(static_cast<std::size_t>(n), 0.0);
  for (std::size_t e = 0; e < count; ++e) gpu_load[e / static_cast<std::size_t>(per_gpu)] += load[e];
  std::vector<int> hot(count);
  std::iota(hot.begin(), hot.end(), 0);
  std::stable_sort(hot.begin(), hot.end(), [&](int a, int b) {
    return load[static_cast<std::size_t>(a)] > load[static_cast<std::size_t>(b)];
  });
  const int cap = (redundant_ + n - 1) / n;
  std::vector<int> extras(static_cast<std::size_t>(n), 0);
  for (int r = 0; r < redundant_; ++r) {
    const auto e = static_cast<std::size_t>(hot[static_cast<std::size_t>(r)]);
    const int primary = static_cast<int>(e) / per_gpu;
    int best = -1;
    for (const bool capped : {true, false}) {
      for (int g = 0; g < n; ++g) {
        if (g == primary || (capped && extras[static_cast<std::size_t>(g)] >= cap)) continue;
        if (best < 0 || gpu_load[static_cast<std::size_t>(g)] < gpu_load[static_cast<std::size_t>(best)]) best = g;
      }
      if (best >= 0) break;
    }
    DSIM_CHECK(best >= 0, "no GPU can take a replica of expert {}", e);
    // The expert's traffic now splits over two replicas.
    gpu_load[static_cast<std::size_t>(primary)] -= load[e] / 2;
    gpu_load[static_cast<std::size_t>(best)] += load[e] / 2;
    ++extras[static_cast<std::size_t>(best)];
    extra_of[e] = best;
  }

  replica_begin_.reserve(count + 1);
  for (std::size_t e = 0; e < count; ++e) {
    replica_begin_.push_back(static_cast<std::uint32_t>(replica_pool_.size()));
    replica_pool_.push_back(group_[e / static_cast<std::size_t>(per_gpu)]);
    if (extra_of[e] >= 0) replica_pool_.push_back(group_[static_cast<std::size_t>(extra_of[e])]);
  }
  replica_begin_.push_back(static_cast<std::uint32_t>(replica_pool_.size()));

  hosted_begin_.reserve(static_cast<std::size_t>(n) + 1);
  for (int g = 0; g < n; ++g) {
    hosted_begin_.push_back(static_cast<std::uint32_t>(hosted_pool_.size()));
    for (int e = g * per_gpu; e < (g + 1) * per_gpu; ++e) hosted_pool_.push_back(e);
    for (std::size_t e = 0; e < count; ++e) {
      if (extra_of[e] == g) hosted_pool_.push_back(static_cast<int>(e));
    }
  }
  hosted_begin_.push_back(static_cast<std::uint32_t>(hosted_pool_.size()));
}

GpuId ExpertPlacement::gpu_for(int expert, GpuId src, int token) const {
  DSIM_CHECK(token >= 0, "gpu_for: token {} is negative", token);
  const std::span<const GpuId> hosts = replicas(expert);
  if (hosts.size() == 1) return hosts[0];
  const int src_node = node_of(src);
  for (const GpuId gpu : hosts) {
    if (node_of(gpu) == src_node) return gpu;
  }
  return hosts[static_cast<std::size_t>(token) % hosts.size()];
}

std::span<const GpuId> ExpertPlacement::replicas(int expert) const {
  DSIM_CHECK(expert >= 0 && expert < experts_, "expert {} is outside [0, {})", expert, experts_);
  const auto e = static_cast<std::size_t>(expert);
  return {replica_pool_.data() + replica_begin_[e], replica_begin_[e + 1] - replica_begin_[e]};
}

int ExpertPlacement::node_of(GpuId gpu) const {
  DSIM_CHECK(gpu.valid(), "node_of: GPU id is not set");
  return static_cast<int>(gpu.value() / static_cast<GpuId::Value>(gpus_per_node_));
}

int ExpertPlacement::index_of(GpuId gpu) const {
  const auto found = std::lower_bound(by_gpu_.begin(), by_gpu_.end(), std::pair<GpuId, int>(gpu, -1));
  return found != by_gpu_.end() && found->first == gpu ? found->second : -1;
}

std::span<const int> ExpertPlacement::hosted(int index) const {
  DSIM_CHECK(index >= 0 && index < static_cast<int>(group_.size()), "group index {} is outside [0, {})", index,
             group_.size());
  const auto i = static_cast<std::size_t>(index);
  return {hosted_pool_.data() + hosted_begin_[i], hosted_begin_[i + 1] - hosted_begin_[i]};
}

}  // namespace dsim::models::collectives::moe
