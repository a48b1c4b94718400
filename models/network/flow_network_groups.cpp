// SPDX-License-Identifier: Apache-2.0
// FlowNetwork's replay of isolated groups (see flow_network.hpp): a group started on idle links runs from its cached
// run alone, until a flow touches one of its links while a group flow still moves there.
//
// Why the replay is the shared run: the max-min allocation of a set of flows is the union of the allocations of its
// connected parts (flows joined by shared links), each computed from its own flows and capacities alone. A group
// started on links no active flow crosses forms parts of its own, and stays apart for as long as no new flow crosses
// a link on which one of its flows still moves (release below); until then its flows get, at every instant, the
// rates they got alone, so they move and end as they did alone, shifted by the start time.
#include <algorithm>
#include <bit>

#include "models/network/flow_network.hpp"
#include "sim/core/check.hpp"

namespace dsim::models::network {
namespace {

// Flow i's solver path, its limits named by `limits` (solver links by the group's order).
void solver_path(const GroupContent& content, std::size_t i, const std::vector<std::uint32_t>& limits,
                 std::vector<std::uint32_t>& path) {
  path.clear();
  for (std::uint32_t k = content.path_begin[i]; k < content.path_begin[i + 1]; ++k) {
    const std::uint32_t entry = content.paths[k];
    path.push_back((entry & GroupContent::limit_tag) ? limits[entry & ~GroupContent::limit_tag] : entry);
  }
}

}  // namespace

void FlowNetwork::start_flows(std::span<const FlowRequest> requests, std::vector<FlowId>& ids) {
  if (!reuse_groups_ || requests.size() < 2) {
    NetworkModel::start_flows(requests, ids);
    return;
  }
  ++stats_.groups;
  group_.clear();
  describe(requests);
  // A group seen before whose routes no ECMP key chose has the same content at every start: no need to route it.
  const KnownGroup* known = cache_.find_requests(request_words_);
  if (known != nullptr && idle(known->cached->content)) {
    started_ += static_cast<std::uint32_t>(requests.size());
    for (const auto& [link, bytes] : known->link_bytes) link_bytes_[link] += bytes;
    replay(*known->cached, ids);
    return;
  }
  // Route every flow, in order: the same ECMP keys as one start_flow after another. Limits are named by their order
  // in the group (GroupContent), every other solver link by its index.
  const auto cluster_links = static_cast<std::uint32_t>(cluster_.links().size());
  bool keyed = false;
  group_link_bytes_.clear();
  for (const FlowRequest& request : requests) {
    Time latency;
    const std::size_t begin = group_.paths.size();
    route(request, group_.paths, latency);
    keyed = keyed || routed_.keyed;
    if (known == nullptr && request.size.count() > 0) {
      for (const LinkId link : routed_.route) group_link_bytes_.emplace_back(link.value(), request.size.count());
    }
    for (std::size_t k = begin; k < group_.paths.size(); ++k) {
      const std::uint32_t link = group_.paths[k];
      if (link < cluster_links) continue;
      const auto order = std::find(group_limits_.begin(), group_limits_.end(), link) - group_limits_.begin();
      group_.paths[k] = GroupContent::limit_tag | static_cast<std::uint32_t>(order);
    }
    group_.sizes.push_back(request.size.count());
    group_.latencies.push_back(latency);
    group_.path_begin.push_back(static_cast<std::uint32_t>(group_.paths.size()));
  }
  const CachedGroup* cached = idle(group_) ? this->cached(group_) : nullptr;
  if (cached == nullptr) {
    for (std::size_t i = 0; i < group_.size(); ++i) {
      solver_path(group_, i, group_limits_, path_);
      ids.push_back(join(group_.sizes[i], path_, group_.latencies[i]));
    }
    return;
  }
  if (known == nullptr && !keyed) cache_.remember(request_words_, *cached, group_link_bytes_);
  replay(*cached, ids);
}

// The requests as words to compare and hash: each flow's GPUs, size, source and limit (by order of first naming),
// then the limits' capacities. Also collects the limits in that order: their solver links (group_limits_) and
// capacities (group_.limit_capacity).
void FlowNetwork::describe(std::span<const FlowRequest> requests) {
  request_words_.clear();
  group_limits_.clear();
  for (const FlowRequest& request : requests) {
    std::uint64_t limit = FlowRequest::no_limit;
    if (request.limit != FlowRequest::no_limit) {
      DSIM_CHECK(request.limit < limit_links_.size(), "flow names limit {} of {}", request.limit, limit_links_.size());
      const std::uint32_t link = limit_links_[request.limit];
      const auto known = std::find(group_limits_.begin(), group_limits_.end(), link);
      limit = static_cast<std::uint64_t>(known - group_limits_.begin());
      if (known == group_limits_.end()) {
        group_limits_.push_back(link);
        group_.limit_capacity.push_back(limit_capacity_[request.limit]);
      }
    }
    request_words_.push_back(static_cast<std::uint64_t>(request.src.value()) << 32 | request.dst.value());
    request_words_.push_back(request.size.count());
    request_words_.push_back(static_cast<std::uint64_t>(request.source) << 32 | limit);
  }
  for (const double capacity : group_.limit_capacity) request_words_.push_back(std::bit_cast<std::uint64_t>(capacity));
}

// Whether no flow in the sharing and no replayed group is on the group's links and limits. A plan's limits are its
// own, but a caller may share one with flows outside the group.
bool FlowNetwork::idle(const GroupContent& content) const {
  const auto busy = [this](std::uint32_t link) { return reserved_until_[link] > now_ || !solver_.link_idle(link); };
  for (const std::uint32_t link : content.paths) {
    if ((link & GroupContent::limit_tag) == 0 && busy(link)) return false;
  }
  return std::none_of(group_limits_.begin(), group_limits_.end(), busy);
}

void FlowNetwork::replay(const CachedGroup& cached, std::vector<FlowId>& ids) {
  std::uint32_t slot = static_cast<std::uint32_t>(live_.size());
  if (free_slots_.empty()) {
    live_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  LiveGroup& group = live_[slot];
  const std::size_t n = cached.content.size();
  group.cached = &cached;
  group.start = now_;
  group.limit_links = group_limits_;
  // Only ids: a flow's record is written if the group is brought back (restore() rebuilds it).
  const std::size_t first = ids.size();
  for (std::size_t i = 0; i < n; ++i) ids.push_back(new_id());
  // The cached order is by (completion, index); ties complete in id order, as done_heap_ orders them.
  group.order.clear();
  for (const std::uint32_t i : cached.run.order) {
    group.order.push_back({now_ + cached.run.completion[i], ids[first + i], i});
  }
  const auto by_id = [](const LiveGroup::Completion& a, const LiveGroup::Completion& b) { return a.flow < b.flow; };
  for (auto a = group.order.begin(), b = a; a != group.order.end(); a = b) {
    for (b = a + 1; b != group.order.end() && b->at == a->at;) ++b;
    if (b - a > 1) std::sort(a, b, by_id);
  }
  group.next = 0;
  group.settles = settles_;
  queue_next(slot);
  const auto reserve = [&](std::uint32_t link, Time release) {
    reserved_until_[link] = now_ + release;
    reserver_[link] = slot;
  };
  for (std::size_t k = 0; k < cached.run.footprint.size(); ++k) reserve(cached.run.footprint[k], cached.run.release[k]);
  for (std::size_t k = 0; k < group_limits_.size(); ++k) reserve(group_limits_[k], cached.run.limit_release[k]);
  ++stats_.replayed_groups;
  stats_.replayed_flows += n;
}

void FlowNetwork::queue_next(std::uint32_t slot) {
  const LiveGroup& group = live_[slot];
  const LiveGroup::Completion& next = group.order[group.next];
  done_heap_.push({next.at, next.flow, slot, group.ticket});
}

const CachedGroup* FlowNetwork::cached(const GroupContent& content) {
  const std::uint64_t hash = content.hash();
  if (const CachedGroup* hit = cache_.find(content, hash)) return hit;
  if (cache_.bytes() >= cache_budget_) return nullptr;  // full (set_group_cache_budget)
  if (!alone_) alone_ = std::make_unique<FlowNetwork>(cluster_, overheads_, tolerance_, routes_, false);
  return cache_.insert(content, hash, alone_->run_alone(content));
}

GroupRun FlowNetwork::run_alone(const GroupContent& content) {
  DSIM_CHECK(solver_.active_flows() == 0 && done_heap_.empty(), "a group can only run alone on an idle network");
  const std::size_t n = content.size();
  GroupRun run;
  run.leave.assign(n, Time::zero());
  run.completion.assign(n, Time::zero());
  Recording recording;
  recording.states.resize(n);
  recording.run = &run;
  recording.start = now_;
  std::vector<LimitId> limits;
  std::vector<std::uint32_t> limit_links;
  for (const double capacity : content.limit_capacity) {
    limits.push_back(add_limit(Bandwidth::from_Bps(capacity)));
    limit_links.push_back(limit_links_[limits.back().index()]);
  }
  recording_ = &recording;
  for (std::size_t i = 0; i < n; ++i) {
    solver_path(content, i, limit_links, path_);
    const FlowId id = join(content.sizes[i], path_, content.latencies[i]);
    if (recording.index.size() <= id.index()) recording.index.resize(id.index() + 1);
    recording.index[id.index()] = static_cast<std::uint32_t>(i);
    if (content.sizes[i] == 0) run.completion[i] = content.latencies[i];
  }
  std::vector<FlowId> finished;
  for (Time t = next_completion(); !t.is_infinite(); t = next_completion()) advance_to(t, finished);
  recording_ = nullptr;
  for (const LimitId limit : limits) release_limit(limit);
  for (const auto& states : recording.states) {
    for (const auto& [at, rate] : states) {
      run.state_at.push_back(at - recording.start);
      run.state_rate.push_back(rate);
    }
    run.state_begin.push_back(static_cast<std::uint32_t>(run.state_at.size()));
  }
  run.find_footprint(content);
  run.order.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) run.order[i] = i;
  std::stable_sort(run.order.begin(), run.order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return run.completion[a] < run.completion[b]; });
  run.state_at.shrink_to_fit();
  run.state_rate.shrink_to_fit();
  run.state_begin.shrink_to_fit();
  return run;
}

// The record flow `index` of the group would have now had it been shared all along: the same steps as reshare()
// and advance_to() took for it alone, at the same offsets from its start.
void FlowNetwork::rebuild(const LiveGroup& group, std::size_t index, Flow& flow) const {
  const GroupContent& content = group.cached->content;
  const GroupRun& run = group.cached->run;
  const Time offset = now_ - group.start;
  flow = Flow{};
  flow.remaining = static_cast<double>(content.sizes[index]);
  flow.started = group.start;
  flow.updated = group.start;
  flow.latency = content.latencies[index];
  if (run.leave[index] <= offset) {
    flow.moving = false;
    flow.remaining = 0;
    flow.bytes_done = group.start + run.completion[index] - flow.latency;
    return;
  }
  flow.bytes_done = Time::infinite();
  for (std::uint32_t k = run.state_begin[index]; k < run.state_begin[index + 1] && run.state_at[k] <= offset; ++k) {
    const Time at = group.start + run.state_at[k];
    progress(flow, at);
    flow.rate = run.state_rate[k];
    flow.bytes_done = predicted_end(flow, at);
  }
}

void FlowNetwork::restore(std::uint32_t slot) {
  LiveGroup& group = live_[slot];
  const CachedGroup& cached = *group.cached;
  const auto unreserve = [&](std::uint32_t link) {
    if (reserver_[link] == slot) reserved_until_[link] = Time::zero();
  };
  for (const std::uint32_t link : cached.run.footprint) unreserve(link);
  for (const std::uint32_t link : group.limit_links) unreserve(link);
  for (std::size_t k = group.next; k < group.order.size(); ++k) {
    const std::uint32_t i = group.order[k].index;
    const FlowId id = group.order[k].flow;
    Flow& flow = flows_[id.index()];
    rebuild(group, i, flow);
    if (!flow.moving) {
      // In its latency tail: it completes as the cached run says, now on its own.
      done_heap_.push({group.order[k].at, id});
      continue;
    }
    // Not path_: a start_flow that brings the group back is still reading it.
    solver_path(cached.content, i, group.limit_links, restore_path_);
    if (settles_ == group.settles) {
      // Shared all along, the flow would still wait for its first rate (the first settle after its start).
      flow.rate = 0;
      flow.bytes_done = Time::infinite();
      solver_.add_flow(id, restore_path_);
      continue;
    }
    // With the rate it has: if the re-share keeps it, so is its predicted end, as when shared all along.
    solver_.add_flow(id, restore_path_, flow.rate);
    bytes_heap_.set(id, flow.bytes_done);
  }
  unsettled_ = true;
  ++stats_.restored_groups;
  free_group(slot);
}

void FlowNetwork::free_group(std::uint32_t slot) {
  LiveGroup& group = live_[slot];
  ++group.ticket;  // its queued completion, if any, goes stale
  group.cached = nullptr;
  free_slots_.push_back(slot);
}

GroupReplayStats FlowNetwork::group_replay() const {
  GroupReplayStats stats = stats_;
  stats.cached_groups = cache_.groups();
  stats.cache_bytes = cache_.bytes();
  return stats;
}

}  // namespace dsim::models::network
