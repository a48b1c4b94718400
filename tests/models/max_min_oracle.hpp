// SPDX-License-Identifier: Apache-2.0
// Test-only oracle for MaxMinSolver: plain progressive filling over every flow, recomputed from scratch, written for
// obviously-correct rather than fast (O(steps x links x flows)).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <vector>

namespace dsim::models::network::testing {

class MaxMinOracle {
 public:
  void add_link(double capacity_Bps) { capacity_.push_back(capacity_Bps); }
  void add_flow(std::uint32_t id, std::span<const std::uint32_t> links) {
    paths_[id] = std::vector<std::uint32_t>(links.begin(), links.end());
  }
  void remove_flow(std::uint32_t id) { paths_.erase(id); }

  // Max-min rates of every flow, by flow id.
  std::map<std::uint32_t, double> solve() const {
    std::map<std::uint32_t, double> rate;
    std::vector<double> remaining = capacity_;
    while (rate.size() < paths_.size()) {
      // The bottleneck: smallest remaining / unfixed flows, ties to the smaller link index.
      std::uint32_t bottleneck = 0;
      double best = std::numeric_limits<double>::infinity();
      for (std::uint32_t link = 0; link < capacity_.size(); ++link) {
        int unfixed = 0;
        for (const auto& [id, path] : paths_) {
          if (!rate.contains(id) && crosses(path, link)) ++unfixed;
        }
        if (unfixed == 0) continue;
        const double share = remaining[link] / unfixed;
        if (share < best) {
          best = share;
          bottleneck = link;
        }
      }
      for (const auto& [id, path] : paths_) {
        if (rate.contains(id) || !crosses(path, bottleneck)) continue;
        rate[id] = best;
        for (const std::uint32_t link : path) remaining[link] -= best;
      }
    }
    return rate;
  }

 private:
  static bool crosses(const std::vector<std::uint32_t>& path, std::uint32_t link) {
    for (const std::uint32_t l : path) {
      if (l == link) return true;
    }
    return false;
  }

  std::vector<double> capacity_;
  std::map<std::uint32_t, std::vector<std::uint32_t>> paths_;
};

}  // namespace dsim::models::network::testing
