// SPDX-License-Identifier: Apache-2.0
// Incremental progressive filling: find the level below which the changes leave the filling as it was, restore the
// state there from the links' sorted histories, and re-fill what lies above it, bottleneck by bottleneck, with the
// links in an indexed min-heap keyed by level. Past 400 lines because the re-fill, its argument and its heap are one
// piece: they share the invariants stated at solve().
#include "models/network/max_min_solver.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/check.hpp"

namespace dsim::models::network {

std::uint32_t MaxMinSolver::add_link(double capacity_Bps) {
  DSIM_CHECK(capacity_Bps > 0.0 && std::isfinite(capacity_Bps), "link capacity must be positive and finite, got {}",
             capacity_Bps);
  DSIM_CHECK(capacity_.size() < npos, "too many links");
  const auto link = static_cast<std::uint32_t>(capacity_.size());
  capacity_.push_back(capacity_Bps);
  link_storage_.emplace_back();
  links_.push_back(LinkState{nullptr, 0, 0, 0.0, 0.0, 0, 0, 0, npos, 0, 0, 0, 0});
  return link;
}

// Lists grow by doubling their storage; a re-fill never grows one (it keeps no more entries than it had), so the
// entries pointer stays valid through a fill.
void MaxMinSolver::append(std::uint32_t link, LinkEntry entry) {
  LinkState& state = links_[link];
  if (state.size == state.room) {
    std::vector<LinkEntry>& storage = link_storage_[link];
    storage.resize(std::max<std::size_t>(4, 2 * storage.size()));
    state.entries = storage.data();
    state.room = static_cast<std::uint32_t>(storage.size());
  }
  state.entries[state.size++] = entry;
}

void MaxMinSolver::check_path(std::span<const std::uint32_t> links) const {
  DSIM_CHECK(!links.empty(), "a flow must cross at least one link");
  for (std::size_t k = 0; k < links.size(); ++k) {
    DSIM_CHECK(links[k] < capacity_.size(), "link {} does not exist ({} links)", links[k], capacity_.size());
    for (std::size_t j = 0; j < k; ++j) {
      DSIM_CHECK(links[j] != links[k], "link {} appears twice in a flow's path", links[k]);
    }
  }
}

FlowId MaxMinSolver::add_flow(std::span<const std::uint32_t> links) {
  check_path(links);
  DSIM_CHECK(!caller_ids_, "add_flow without an id after add_flow with one");
  std::uint32_t flow = 0;
  if (!free_ids_.empty()) {
    flow = free_ids_.back();
    free_ids_.pop_back();
  } else {
    DSIM_CHECK(flows_.size() < npos - 1, "too many flows");
    flow = static_cast<std::uint32_t>(flows_.size());
    flows_.push_back({0, 0, 0, 0});
    rate_.push_back(0.0);
  }
  place(flow, links);
  return FlowId(flow);
}

void MaxMinSolver::add_flow(FlowId id, std::span<const std::uint32_t> links) {
  check_path(links);
  DSIM_CHECK(id.valid() && id.value() < npos - 1, "flow id {} out of range", id.value());
  DSIM_CHECK(caller_ids_ || active_count_ == 0, "add_flow with an id after add_flow without one");
  caller_ids_ = true;
  if (id.index() >= flows_.size()) {
    flows_.resize(id.index() + 1, {0, 0, 0, 0});
    rate_.resize(id.index() + 1, 0.0);
  }
  DSIM_CHECK(!is_active(id), "flow {} is already active", id.value());
  place(id.value(), links);
}

void MaxMinSolver::add_flow(FlowId id, std::span<const std::uint32_t> links, double rate) {
  add_flow(id, links);
  rate_[id.index()] = rate;
}

void MaxMinSolver::place(std::uint32_t flow, std::span<const std::uint32_t> links) {
  const auto length = static_cast<std::uint32_t>(links.size());
  std::uint32_t offset = 0;
  if (length < free_blocks_.size() && !free_blocks_[length].empty()) {
    offset = free_blocks_[length].back();
    free_blocks_[length].pop_back();
  } else {
    DSIM_CHECK(path_pool_.size() + length < npos, "too many path entries");
    offset = static_cast<std::uint32_t>(path_pool_.size());
    path_pool_.resize(path_pool_.size() + length);
    entry_pos_.resize(path_pool_.size());
  }

  // Appending keeps each list sorted: an unsolved flow's level is above every solved one.
  for (std::uint32_t k = 0; k < length; ++k) {
    const std::uint32_t link = links[k];
    path_pool_[offset + k] = link;
    entry_pos_[offset + k] = links_[link].size;
    append(link, {flow, unsolved.link, unsolved.share});
  }
  flows_[flow].path_offset = offset;
  flows_[flow].path_length = length;
  rate_[flow] = 0.0;
  ++active_count_;
  dirty_flows_.push_back(flow);
}

// The flow's entry on each link is where add_flow or the last fill put it (entry_pos_).
void MaxMinSolver::remove_flow(FlowId id) {
  DSIM_CHECK(is_active(id), "flow {} is not active", id.value());
  const std::uint32_t flow = id.value();
  FlowState& state = flows_[flow];
  for (std::uint32_t k = 0; k < state.path_length; ++k) {
    const std::uint32_t link = path_pool_[state.path_offset + k];
    LinkState& link_state = links_[link];
    LinkEntry* const entry = link_state.entries + entry_pos_[state.path_offset + k];
    DSIM_CHECK(entry->flow == flow, "flow {} lost its entry on link {}", flow, link);
    if (before(entry->level(), removed_level_)) removed_level_ = entry->level();
    entry->flow = npos;
    ++link_state.dead;
    dirty_links_.push_back(link);
  }
  if (free_blocks_.size() <= state.path_length) free_blocks_.resize(state.path_length + 1);
  free_blocks_[state.path_length].push_back(state.path_offset);
  state.path_offset = 0;
  state.path_length = 0;
  rate_[flow] = 0.0;
  if (!caller_ids_) free_ids_.push_back(flow);
  --active_count_;
}

double MaxMinSolver::rate(FlowId id) const {
  DSIM_CHECK(is_active(id), "flow {} is not active", id.value());
  return rate_[id.index()];
}

// The fair share of `link` once step `step` has touched it. In exact arithmetic it is above the step's level: the
// link was not the bottleneck, so remaining / unfixed >= share before the step (> if link < step.link), and taking m
// flows at `share` off leaves (remaining - m share) / (unfixed - m) >= remaining / unfixed. Rounding can land a few
// ulps below; the share is then raised to the next level after the step, which keeps a fill's levels strictly
// increasing (so that a link's list, sorted by level, is also in filling order) and moves a rate by a few ulps.
double MaxMinSolver::share_after(double remaining, std::size_t unfixed, std::uint32_t link, Level step) {
  const double share = std::max(remaining, 0.0) / static_cast<double>(unfixed);
  if (!before(Level{share, link}, step)) return share;
  return link > step.link ? step.share : std::nextafter(step.share, std::numeric_limits<double>::infinity());
}

// Correctness of the partial re-fill. Let E be the fill of the flows before the changes, with strictly increasing
// levels L_1 < L_2 < ..., and E' the fill of the flows after them. Claim: E' takes the same steps as E below L*,
// the minimum of the thresholds below; then the state of E' at L* is E's state at L* with the changed flows' counts
// adjusted, and the links that still have unfixed flows at L* split into classes connected through those flows.
//  - A removed flow f fixed at level L_f: L* <= L_f. A step L_j < L_f has a bottleneck b_j off f's path (else f
//    would have been fixed at L_j). Without f, each link of f has one unfixed flow less at L_j, so its share is no
//    smaller (share_after is monotone in remaining / unfixed); no other link's share changes. b_j stays the minimum.
//  - An added flow g on path P: before g's links undercut the step taken, nothing changes. For a link l in P, take
//    the segments between the steps that touched it (its list's level groups T_0 < T_1 < ...). In the segment after
//    T_i, l's share in E' is rho_i = share_after(remaining after T_i, unfixed after T_i counting g and dropping
//    removed flows, l, T_i) (capacity / unfixed before T_0), the same formula E' would have used. Steps in
//    (T_i, T_{i+1}] stay valid while their level is below (rho_i, l); if (rho_i, l) <= T_{i+1} the first step at or
//    above (rho_i, l) is invalid, so the threshold of l is (rho_i, l) for the first such i (the segment after the
//    last touch has T = infinity). If l was the bottleneck at T_{i+1}, rho_i <= its share there, so that step is
//    caught. This is added_link_threshold. Every threshold is a bound from below, so several changes batched in one
//    solve take the minimum: removals only raise shares, and the added counts are per link.
// Then E' below L* equals E: for each link, the entries below L* stand, and the state at L* is: the capacity less
// their shares in list order (the fill's own order of subtractions, so bitwise the same), the live entries at or
// above L* as unfixed flows, and share_after with the last entry's level (or capacity / unfixed with no entry below
// L*). The set R reached from the changed links through flows at or above L* is closed: no flow
// unfixed at L* links R to the rest, whose steps at or above L* are unchanged (none of their links changed). So
// re-filling R from the restored state and keeping everything else gives E' exactly; R's new entries, all above
// every level below L*, are appended in filling order and keep each list sorted.
std::span<const MaxMinSolver::Change> MaxMinSolver::solve() {
  changed_.clear();
  if (dirty_flows_.empty() && dirty_links_.empty()) {
    local_flows_.clear();
    component_links_.clear();
    return changed_;
  }
  if (++epoch_ == 0) {  // wrapped after 2^32 solves: forget every old mark
    for (LinkState& state : links_) state.mark = 0;
    for (FlowState& state : flows_) state.mark = 0;
    epoch_ = 1;
  }
  changed_.reserve(flows_.size());
  collect_refill();
  fill();
  for (const std::uint32_t link : component_links_) {
    DSIM_CHECK(links_[link].written == links_[link].size, "link {} re-filled {} of {} entries", link,
               links_[link].written, links_[link].size);
  }
  for (std::size_t local = 0; local < local_flows_.size(); ++local) {
    const std::uint32_t flow = local_flows_[local].flow;
    double& rate = rate_[flow];
    const double after = local_share_[local];
    if (std::abs(after - rate) > rate_tolerance * std::max(after, rate)) {
      rate = after;
      changed_.push_back({FlowId(flow), after});
    }
  }
  // In the order the re-fill reached the flows, which depends only on the calls made (not sorted: sorting cost as
  // much as a tenth of a small re-fill, and the callers handle each flow on its own).
  return changed_;
}

// The lowest level whose step an added flow on `link` can change (see solve), or `bound` if that is lower. Every
// tombstone is at or above removed_level_ >= bound, so the groups passed here have none, and the live flows after
// position pos number size - pos - dead. The link has at least one live unsolved flow, so that count is > 0. A
// tombstone or an unsolved flow next ends the scan, both being at or above bound.
MaxMinSolver::Level MaxMinSolver::added_link_threshold(std::uint32_t link, Level bound) const {
  const LinkState& state = links_[link];
  const LinkEntry* const list = state.entries;
  const std::size_t size = state.size;
  std::size_t pos = 0;
  double remaining = capacity_[link];
  double share = remaining / static_cast<double>(size - state.dead);
  while (true) {
    const Level candidate{share, link};
    const Level next = list[pos].level();
    if (list[pos].flow == npos || !before(next, candidate)) return before(candidate, bound) ? candidate : bound;
    if (!before(next, bound)) return bound;
    do {
      remaining -= next.share;
      ++pos;
    } while (pos < size && list[pos].level_share == next.share && list[pos].level_link == next.link);
    share = share_after(remaining, size - pos - state.dead, link, next);
  }
}

// The re-fill level (see solve), then breadth-first from the changed links over link -> flows at or above it ->
// links; component_links_ doubles as the queue, and starts with the links of the added flows, the ones that need a
// threshold. For each link reached: its live flows at or above the level, found from the end of its list, go to
// pool_ as the unfixed flows of the re-fill; the list keeps its entries below the level (the cut) plus room for the
// flows the fill will append, which is no more than it had (tombstones go); its remaining capacity at the level is
// recomputed from the entries below the cut, and its share restored.
void MaxMinSolver::collect_refill() {
  local_flows_.clear();
  local_links_.clear();
  component_links_.clear();
  heap_.clear();
  const auto reach_link = [this](std::uint32_t link) {
    if (links_[link].mark == epoch_) return;
    links_[link].mark = epoch_;
    component_links_.push_back(link);
  };
  for (const std::uint32_t flow : dirty_flows_) {
    const FlowState& state = flows_[flow];
    for (std::uint32_t k = 0; k < state.path_length; ++k) reach_link(path_pool_[state.path_offset + k]);
  }
  Level from = removed_level_;
  for (const std::uint32_t link : component_links_) from = added_link_threshold(link, from);
  for (const std::uint32_t link : dirty_links_) reach_link(link);
  dirty_flows_.clear();
  dirty_links_.clear();
  removed_level_ = unsolved;

  // Sized once to bounds (every path slot, every flow), so that a large first solve does not grow them step by step.
  if (pool_.size() < path_pool_.size()) pool_.resize(path_pool_.size());
  local_links_.reserve(path_pool_.size());
  local_flows_.reserve(flows_.size());
  std::size_t pooled = 0;
  for (std::size_t i = 0; i < component_links_.size(); ++i) {
    const std::uint32_t link = component_links_[i];
    LinkState& link_state = links_[link];
    const LinkEntry* const list = link_state.entries;
    link_state.pool_begin = static_cast<std::uint32_t>(pooled);
    std::size_t cut = link_state.size;
    for (; cut > 0 && !before(list[cut - 1].level(), from); --cut) {
      const std::uint32_t flow = list[cut - 1].flow;
      if (flow == npos) continue;
      FlowState& state = flows_[flow];
      if (state.mark != epoch_) {
        state.mark = epoch_;
        state.local = static_cast<std::uint32_t>(local_flows_.size());
        const auto path_begin = static_cast<std::uint32_t>(local_links_.size());
        for (std::uint32_t k = 0; k < state.path_length; ++k) {
          const std::uint32_t path_link = path_pool_[state.path_offset + k];
          local_links_.push_back(path_link);
          reach_link(path_link);
        }
        local_flows_.push_back({flow, path_begin, static_cast<std::uint32_t>(local_links_.size()), state.path_offset});
      }
      pool_[pooled++] = state.local;
    }
    link_state.pool_end = static_cast<std::uint32_t>(pooled);
    const std::size_t unfixed = link_state.pool_end - link_state.pool_begin;
    link_state.dead = 0;
    double remaining = capacity_[link];
    for (std::size_t j = 0; j < cut; ++j) remaining -= list[j].level_share;
    link_state.size = static_cast<std::uint32_t>(cut + unfixed);  // tombstones go: no more than it had
    link_state.remaining = remaining;
    link_state.written = static_cast<std::uint32_t>(cut);
    link_state.unfixed = static_cast<std::uint32_t>(unfixed);
    if (unfixed == 0) continue;
    heap_push(link, cut == 0 ? remaining / static_cast<double>(unfixed)
                             : share_after(remaining, unfixed, link, list[cut - 1].level()));
  }
  local_share_.assign(local_flows_.size(), unsolved.share);
  for (std::size_t pos = heap_.size() / 2; pos-- > 0;) heap_sift_down(pos);
}

// Progressive filling of the collected links, over the local copies of the flows' paths. The arrays are read
// through local pointers (none is resized here): a store through a member vector's data would otherwise make the
// compiler reload the other members' data pointers.
void MaxMinSolver::fill() {
  if (step_ > npos - component_links_.size()) {  // the step counter would wrap: forget every old step
    for (LinkState& state : links_) state.touched = 0;
    step_ = 0;
  }
  LinkState* const links = links_.data();
  const LocalFlow* const flows = local_flows_.data();
  const std::uint32_t* const paths = local_links_.data();
  double* const new_share = local_share_.data();
  const std::uint32_t* const pool = pool_.data();
  std::uint32_t* const entry_pos = entry_pos_.data();
  while (!heap_.empty()) {
    // A stale key is below the link's share: raise it and sift it down until the top is current. The top is then
    // the least (share, link) of all links, exactly as with keys updated on every change.
    while (heap_[0].key != links[heap_[0].link].share) {
      heap_[0].key = links[heap_[0].link].share;
      heap_sift_down(0);
    }
    const std::uint32_t bottleneck = heap_[0].link;
    const double share = links[bottleneck].share;
    heap_remove(bottleneck);
    const std::uint32_t step = ++step_;
    touched_.clear();
    const std::uint32_t end = links[bottleneck].pool_end;
    for (std::uint32_t i = links[bottleneck].pool_begin; i < end; ++i) {
      const std::uint32_t local = pool[i];
      if (new_share[local] != unsolved.share) continue;  // fixed earlier in this fill
      new_share[local] = share;
      const LocalFlow& flow = flows[local];
      for (std::uint32_t k = flow.path_begin; k < flow.path_end; ++k) {
        const std::uint32_t link = paths[k];
        LinkState& state = links[link];
        state.remaining -= share;
        entry_pos[flow.path_offset + (k - flow.path_begin)] = state.written;
        state.entries[state.written++] = {flow.flow, bottleneck, share};
        if (link == bottleneck) continue;
        --state.unfixed;
        if (state.touched != step) {
          state.touched = step;
          touched_.push_back(link);
        }
      }
    }
    links[bottleneck].unfixed = 0;
    // Every touched link still had unfixed flows before this step, so it is in the heap. A share that went up
    // leaves the key stale (the common case, no sift); one that went down is sifted up now.
    const Level level{share, bottleneck};
    for (const std::uint32_t link : touched_) {
      LinkState& state = links[link];
      if (state.unfixed == 0) {
        heap_remove(link);
        continue;
      }
      const double updated = share_after(state.remaining, state.unfixed, link, level);
      state.share = updated;
      if (updated < heap_[state.heap_pos].key) {
        heap_[state.heap_pos].key = updated;
        heap_sift_up(state.heap_pos);
      }
    }
  }
}

void MaxMinSolver::heap_push(std::uint32_t link, double share) {
  links_[link].share = share;
  links_[link].heap_pos = static_cast<std::uint32_t>(heap_.size());
  heap_.push_back({share, link});
}

void MaxMinSolver::heap_sift_up(std::size_t pos) {
  const HeapEntry entry = heap_[pos];
  const Level key{entry.key, entry.link};
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / 2;
    if (!before(key, Level{heap_[parent].key, heap_[parent].link})) break;
    heap_[pos] = heap_[parent];
    links_[heap_[pos].link].heap_pos = static_cast<std::uint32_t>(pos);
    pos = parent;
  }
  heap_[pos] = entry;
  links_[entry.link].heap_pos = static_cast<std::uint32_t>(pos);
}

void MaxMinSolver::heap_sift_down(std::size_t pos) {
  const HeapEntry entry = heap_[pos];
  const Level key{entry.key, entry.link};
  const std::size_t size = heap_.size();
  while (true) {
    std::size_t child = 2 * pos + 1;
    if (child >= size) break;
    if (child + 1 < size && before(Level{heap_[child + 1].key, heap_[child + 1].link},
                                   Level{heap_[child].key, heap_[child].link})) {
      ++child;
    }
    if (!before(Level{heap_[child].key, heap_[child].link}, key)) break;
    heap_[pos] = heap_[child];
    links_[heap_[pos].link].heap_pos = static_cast<std::uint32_t>(pos);
    pos = child;
  }
  heap_[pos] = entry;
  links_[entry.link].heap_pos = static_cast<std::uint32_t>(pos);
}

void MaxMinSolver::heap_remove(std::uint32_t link) {
  const std::size_t pos = links_[link].heap_pos;
  links_[link].heap_pos = npos;
  const HeapEntry last = heap_.back();
  heap_.pop_back();
  if (pos == heap_.size()) return;
  heap_[pos] = last;
  links_[last.link].heap_pos = static_cast<std::uint32_t>(pos);
  if (pos > 0 && before(Level{last.key, last.link}, Level{heap_[(pos - 1) / 2].key, heap_[(pos - 1) / 2].link})) {
    heap_sift_up(pos);
  } else {
    heap_sift_down(pos);
  }
}

}  // namespace dsim::models::network
