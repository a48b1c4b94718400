// SPDX-License-Identifier: Apache-2.0
// Incremental progressive filling: find the component of the changes, then fill it bottleneck by bottleneck with
// the links in an indexed min-heap keyed by (fair share, link index).
#include "models/network/max_min_solver.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/check.hpp"

namespace dsim::models::network {
namespace {

constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

}  // namespace

std::uint32_t MaxMinSolver::add_link(double capacity_Bps) {
  DSIM_CHECK(capacity_Bps > 0.0 && std::isfinite(capacity_Bps), "link capacity must be positive and finite, got {}",
             capacity_Bps);
  DSIM_CHECK(capacity_.size() < npos, "too many links");
  const auto link = static_cast<std::uint32_t>(capacity_.size());
  capacity_.push_back(capacity_Bps);
  link_flows_.emplace_back();
  link_mark_.push_back(0);
  link_touch_.push_back(0);
  remaining_.push_back(0.0);
  unfixed_.push_back(0);
  share_.push_back(0.0);
  heap_pos_.push_back(npos);
  return link;
}

FlowId MaxMinSolver::add_flow(std::span<const std::uint32_t> links) {
  DSIM_CHECK(!links.empty(), "a flow must cross at least one link");
  for (std::size_t k = 0; k < links.size(); ++k) {
    DSIM_CHECK(links[k] < capacity_.size(), "link {} does not exist ({} links)", links[k], capacity_.size());
    for (std::size_t j = 0; j < k; ++j) {
      DSIM_CHECK(links[j] != links[k], "link {} appears twice in a flow's path", links[k]);
    }
  }

  std::uint32_t flow = 0;
  if (!free_ids_.empty()) {
    flow = free_ids_.back();
    free_ids_.pop_back();
  } else {
    DSIM_CHECK(path_offset_.size() < npos - 1, "too many flows");
    flow = static_cast<std::uint32_t>(path_offset_.size());
    path_offset_.push_back(0);
    path_length_.push_back(0);
    rate_.push_back(0.0);
    active_.push_back(false);
    flow_mark_.push_back(0);
    flow_fixed_.push_back(0);
    new_rate_.push_back(0.0);
  }

  const auto length = static_cast<std::uint32_t>(links.size());
  std::uint32_t offset = 0;
  if (length < free_blocks_.size() && !free_blocks_[length].empty()) {
    offset = free_blocks_[length].back();
    free_blocks_[length].pop_back();
  } else {
    DSIM_CHECK(path_pool_.size() + length < npos, "too many path entries");
    offset = static_cast<std::uint32_t>(path_pool_.size());
    path_pool_.resize(path_pool_.size() + length);
    path_pos_.resize(path_pos_.size() + length);
  }

  for (std::uint32_t k = 0; k < length; ++k) {
    const std::uint32_t link = links[k];
    path_pool_[offset + k] = link;
    path_pos_[offset + k] = static_cast<std::uint32_t>(link_flows_[link].size());
    link_flows_[link].push_back({flow, k});
  }
  path_offset_[flow] = offset;
  path_length_[flow] = length;
  rate_[flow] = 0.0;
  active_[flow] = true;
  ++active_count_;
  dirty_flows_.push_back(flow);
  return FlowId(flow);
}

void MaxMinSolver::remove_flow(FlowId id) {
  DSIM_CHECK(id.index() < active_.size() && active_[id.index()], "flow {} is not active", id.value());
  const std::uint32_t flow = id.value();
  const std::uint32_t offset = path_offset_[flow];
  const std::uint32_t length = path_length_[flow];
  for (std::uint32_t k = 0; k < length; ++k) {
    const std::uint32_t link = path_pool_[offset + k];
    std::vector<LinkEntry>& list = link_flows_[link];
    const std::uint32_t pos = path_pos_[offset + k];
    const LinkEntry moved = list.back();
    list[pos] = moved;
    path_pos_[path_offset_[moved.flow] + moved.slot] = pos;
    list.pop_back();
    dirty_links_.push_back(link);
  }
  if (free_blocks_.size() <= length) free_blocks_.resize(length + 1);
  free_blocks_[length].push_back(offset);
  active_[flow] = false;
  rate_[flow] = 0.0;
  free_ids_.push_back(flow);
  --active_count_;
}

double MaxMinSolver::rate(FlowId id) const {
  DSIM_CHECK(id.index() < active_.size() && active_[id.index()], "flow {} is not active", id.value());
  return rate_[id.index()];
}

std::span<const FlowId> MaxMinSolver::solve() {
  changed_.clear();
  if (dirty_flows_.empty() && dirty_links_.empty()) {
    component_flows_.clear();
    component_links_.clear();
    return changed_;
  }
  if (++epoch_ == 0) {  // wrapped after 2^32 solves: forget every old mark
    std::fill(link_mark_.begin(), link_mark_.end(), 0);
    std::fill(flow_mark_.begin(), flow_mark_.end(), 0);
    std::fill(flow_fixed_.begin(), flow_fixed_.end(), 0);
    epoch_ = 1;
  }
  collect_component();
  fill_component();

  for (const std::uint32_t flow : component_flows_) {
    const double before = rate_[flow];
    const double after = new_rate_[flow];
    if (std::abs(after - before) > rate_tolerance * std::max(std::abs(before), std::abs(after))) {
      rate_[flow] = after;
      changed_.push_back(FlowId(flow));
    }
  }
  std::sort(changed_.begin(), changed_.end());
  return changed_;
}

// Breadth-first from the seeds over link -> flows -> links; component_links_ doubles as the queue. The set found
// does not depend on list order, and the filling only depends on the set.
void MaxMinSolver::collect_component() {
  component_flows_.clear();
  component_links_.clear();
  const auto add_flow_and_links = [this](std::uint32_t flow) {
    flow_mark_[flow] = epoch_;
    component_flows_.push_back(flow);
    const std::uint32_t offset = path_offset_[flow];
    for (std::uint32_t k = 0; k < path_length_[flow]; ++k) {
      const std::uint32_t link = path_pool_[offset + k];
      if (link_mark_[link] != epoch_) {
        link_mark_[link] = epoch_;
        component_links_.push_back(link);
      }
    }
  };
  for (const std::uint32_t flow : dirty_flows_) {
    if (active_[flow] && flow_mark_[flow] != epoch_) add_flow_and_links(flow);
  }
  for (const std::uint32_t link : dirty_links_) {
    if (link_mark_[link] != epoch_) {
      link_mark_[link] = epoch_;
      component_links_.push_back(link);
    }
  }
  dirty_flows_.clear();
  dirty_links_.clear();
  for (std::size_t i = 0; i < component_links_.size(); ++i) {
    for (const LinkEntry& entry : link_flows_[component_links_[i]]) {
      if (flow_mark_[entry.flow] != epoch_) add_flow_and_links(entry.flow);
    }
  }
}

void MaxMinSolver::fill_component() {
  heap_.clear();
  for (const std::uint32_t link : component_links_) {
    remaining_[link] = capacity_[link];
    unfixed_[link] = static_cast<std::uint32_t>(link_flows_[link].size());
    if (unfixed_[link] == 0) continue;
    share_[link] = capacity_[link] / static_cast<double>(unfixed_[link]);
    heap_pos_[link] = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back(link);
  }
  for (std::size_t pos = heap_.size() / 2; pos-- > 0;) heap_sift_down(pos);

  while (!heap_.empty()) {
    const std::uint32_t bottleneck = heap_[0];
    const double share = share_[bottleneck];
    heap_remove(bottleneck);
    ++step_;
    touched_.clear();
    for (const LinkEntry& entry : link_flows_[bottleneck]) {
      const std::uint32_t flow = entry.flow;
      if (flow_fixed_[flow] == epoch_) continue;
      flow_fixed_[flow] = epoch_;
      new_rate_[flow] = share;
      const std::uint32_t offset = path_offset_[flow];
      for (std::uint32_t k = 0; k < path_length_[flow]; ++k) {
        const std::uint32_t link = path_pool_[offset + k];
        if (link == bottleneck) continue;
        remaining_[link] -= share;
        --unfixed_[link];
        if (link_touch_[link] != step_) {
          link_touch_[link] = step_;
          touched_.push_back(link);
        }
      }
    }
    unfixed_[bottleneck] = 0;
    remaining_[bottleneck] = 0.0;
    // Every touched link still had unfixed flows before this step, so it is in the heap.
    for (const std::uint32_t link : touched_) {
      if (unfixed_[link] == 0) {
        heap_remove(link);
      } else {
        // Rounding can leave a hair below zero; a share is never negative.
        share_[link] = std::max(remaining_[link], 0.0) / static_cast<double>(unfixed_[link]);
        heap_update(link);
      }
    }
  }
}

bool MaxMinSolver::heap_less(std::uint32_t a, std::uint32_t b) const {
  return share_[a] < share_[b] || (share_[a] == share_[b] && a < b);
}

void MaxMinSolver::heap_sift_up(std::size_t pos) {
  const std::uint32_t link = heap_[pos];
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / 2;
    if (!heap_less(link, heap_[parent])) break;
    heap_[pos] = heap_[parent];
    heap_pos_[heap_[pos]] = static_cast<std::uint32_t>(pos);
    pos = parent;
  }
  heap_[pos] = link;
  heap_pos_[link] = static_cast<std::uint32_t>(pos);
}

void MaxMinSolver::heap_sift_down(std::size_t pos) {
  const std::uint32_t link = heap_[pos];
  const std::size_t size = heap_.size();
  while (true) {
    std::size_t child = 2 * pos + 1;
    if (child >= size) break;
    if (child + 1 < size && heap_less(heap_[child + 1], heap_[child])) ++child;
    if (!heap_less(heap_[child], link)) break;
    heap_[pos] = heap_[child];
    heap_pos_[heap_[pos]] = static_cast<std::uint32_t>(pos);
    pos = child;
  }
  heap_[pos] = link;
  heap_pos_[link] = static_cast<std::uint32_t>(pos);
}

void MaxMinSolver::heap_remove(std::uint32_t link) {
  const std::size_t pos = heap_pos_[link];
  heap_pos_[link] = npos;
  const std::uint32_t last = heap_.back();
  heap_.pop_back();
  if (pos == heap_.size()) return;
  heap_[pos] = last;
  heap_pos_[last] = static_cast<std::uint32_t>(pos);
  heap_update(last);
}

void MaxMinSolver::heap_update(std::uint32_t link) {
  const std::size_t pos = heap_pos_[link];
  if (pos > 0 && heap_less(link, heap_[(pos - 1) / 2])) {
    heap_sift_up(pos);
  } else {
    heap_sift_down(pos);
  }
}

}  // namespace dsim::models::network
