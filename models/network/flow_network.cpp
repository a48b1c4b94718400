// SPDX-License-Identifier: Apache-2.0
#include "models/network/flow_network.hpp"

#include <algorithm>
#include <span>

#include "sim/core/check.hpp"

namespace dsim::models::network {

FlowNetwork::FlowNetwork(const topology::Cluster& cluster, MessageOverheads overheads, double completion_tolerance,
                         topology::Cluster::Routes routes, bool reuse_isolated_groups)
    : cluster_(cluster),
      overheads_(overheads),
      tolerance_(completion_tolerance),
      routes_(routes),
      link_bytes_(cluster.links().size(), 0),
      reuse_groups_(reuse_isolated_groups) {
  DSIM_CHECK(completion_tolerance >= 0 && completion_tolerance < 1, "completion tolerance {} outside [0, 1)",
             completion_tolerance);
  // Covered links take no part in sharing (Cluster::covering_link: their constraint is implied), but keep their
  // solver index so that link ids and solver indices stay equal.
  const auto& links = cluster.links();
  shares_.reserve(links.size());
  for (std::size_t i = 0; i < links.size(); ++i) {
    solver_.add_link(links[i].effective_capacity().Bps());
    shares_.push_back(!cluster.covering_link(LinkId(static_cast<LinkId::Value>(i)), routes).valid());
  }
  reserved_until_.assign(links.size(), Time::zero());
  reserver_.assign(links.size(), 0);
}

FlowNetwork::~FlowNetwork() = default;

LimitId FlowNetwork::add_limit(Bandwidth capacity) {
  DSIM_CHECK(capacity.Bps() > 0, "a shared limit needs a positive capacity, got {} B/s", capacity.Bps());
  if (auto it = free_limits_.find(capacity.Bps()); it != free_limits_.end() && !it->second.empty()) {
    const LimitId reused = it->second.back();
    it->second.pop_back();
    return reused;
  }
  limit_links_.push_back(solver_.add_link(capacity.Bps()));
  limit_capacity_.push_back(capacity.Bps());
  reserved_until_.push_back(Time::zero());
  reserver_.push_back(0);
  return LimitId(static_cast<LimitId::Value>(limit_links_.size() - 1));
}

void FlowNetwork::release_limit(LimitId limit) {
  DSIM_CHECK(limit.index() < limit_links_.size(), "released limit {} of {}", limit.value(), limit_links_.size());
  free_limits_[limit_capacity_[limit.index()]].push_back(limit);
}

void FlowNetwork::route(const FlowRequest& request, std::vector<std::uint32_t>& path, Time& latency) {
  DSIM_CHECK(request.source == FlowSource::gpu || routes_ == topology::Cluster::Routes::all,
             "a host memory read on a network built for flows between GPUs only");
  // The ECMP key is the start sequence (what the id was before ids were reused), so routes do not depend on reuse.
  route_and_count(cluster_, overheads_, request, FlowId(started_++), link_bytes_, routed_);
  latency = routed_.fixed_cost;
  if (request.size.count() == 0) return;  // nothing to share
  for (const LinkId link : routed_.route) {
    if (shares_[link.index()]) path.push_back(link.value());
  }
  if (request.limit != FlowRequest::no_limit) {
    DSIM_CHECK(request.limit < limit_links_.size(), "flow names limit {} of {}", request.limit, limit_links_.size());
    path.push_back(limit_links_[request.limit]);
  }
}

FlowId FlowNetwork::new_id() {
  if (free_ids_.empty()) {
    flows_.emplace_back();
    return FlowId(static_cast<FlowId::Value>(flows_.size() - 1));
  }
  const FlowId id = free_ids_.back();
  free_ids_.pop_back();
  return id;
}

FlowId FlowNetwork::new_flow(std::uint64_t size, Time latency) {
  const FlowId id = new_id();
  Flow& flow = flows_[id.index()];
  flow = Flow{};
  flow.remaining = static_cast<double>(size);
  flow.started = now_;
  flow.updated = now_;
  flow.latency = latency;
  return id;
}

FlowId FlowNetwork::join(std::uint64_t size, std::span<const std::uint32_t> path, Time latency) {
  const FlowId id = new_flow(size, latency);
  Flow& flow = flows_[id.index()];
  if (size == 0) {
    // Only the latency remains.
    flow.moving = false;
    flow.bytes_done = now_;
    done_heap_.push({now_ + flow.latency, id});
    return id;
  }
  flow.bytes_done = Time::infinite();
  if (reuse_groups_) release_reserved(path);
  solver_.add_flow(id, path);
  unsettled_ = true;
  return id;
}

FlowId FlowNetwork::start_flow(const FlowRequest& request) {
  path_.clear();
  Time latency;
  route(request, path_, latency);
  return join(request.size.count(), path_, latency);
}

void FlowNetwork::progress(Flow& flow, Time now) {
  if (!flow.moving || now <= flow.updated) return;
  flow.remaining = std::max(0.0, flow.remaining - flow.rate * units::to_seconds(now - flow.updated));
  flow.updated = now;
}

Time FlowNetwork::predicted_end(const Flow& flow, Time now) {
  return flow.rate > 0 ? now + units::seconds(flow.remaining / flow.rate) : Time::infinite();
}

// A re-share that moves half or more of the queued flows sets their ends and re-heapifies in linear time; a smaller
// one sets each (a later end costs nothing then, see DueHeap). Either way the heap orders (at, flow) exactly.
void FlowNetwork::reshare() {
  unsettled_ = false;
  const std::span<const MaxMinSolver::Change> changed = solver_.solve();
  const bool bulk = changed.size() * 2 > bytes_heap_.size() + 64;
  for (const MaxMinSolver::Change& change : changed) {
    const FlowId id = change.flow;
    Flow& flow = flows_[id.index()];
    progress(flow, now_);
    flow.rate = change.rate;
    flow.bytes_done = predicted_end(flow, now_);
    if (recording_ != nullptr) recording_->states[recording_->index[id.index()]].emplace_back(now_, change.rate);
    if (bulk) {
      bytes_heap_.assign(id, flow.bytes_done);
    } else {
      bytes_heap_.set(id, flow.bytes_done);
    }
  }
  if (bulk) bytes_heap_.rebuild();
}

void FlowNetwork::pop_stale_done() {
  while (!done_heap_.empty() && done_heap_.top().group != no_group &&
         done_heap_.top().ticket != live_[done_heap_.top().group].ticket) {
    done_heap_.pop();
  }
}

void FlowNetwork::complete(const Due& due, std::vector<FlowId>& finished) {
  if (due.group != no_group) {
    LiveGroup& group = live_[due.group];
    DSIM_CHECK(group.order[group.next].flow == due.flow, "flow {} completed out of its group's order",
               due.flow.value());
    if (++group.next == group.order.size()) {
      free_group(due.group);
    } else {
      queue_next(due.group);
    }
  }
  finished.push_back(due.flow);
  free_ids_.push_back(due.flow);
}

Time FlowNetwork::next_completion() {
  settle();
  pop_stale_done();
  const Time tail = done_heap_.empty() ? Time::infinite() : done_heap_.top().at;
  // A bytes phase ending is no completion, but the shares change then, so the model must be advanced at it too.
  return std::min(tail, earliest_bytes_done());
}

void FlowNetwork::advance_to(Time t, std::vector<FlowId>& finished) {
  DSIM_CHECK(t >= now_, "network moved backwards from {} ps to {} ps", now_.ps(), t.ps());
  settle();
  for (;;) {
    pop_stale_done();
    const Time bytes = earliest_bytes_done();
    const Time tail = done_heap_.empty() ? Time::infinite() : done_heap_.top().at;
    const Time next = std::min(bytes, tail);
    if (next > t) break;
    now_ = next;
    // Bytes ends first: a flow whose bytes end now with no latency completes now, and every completion of one
    // instant is then reported in id order (a replayed group's are queued long before).
    if (tail < bytes) {
      const Due due = done_heap_.top();
      done_heap_.pop();
      complete(due, finished);
      continue;
    }
    // Every flow whose bytes end now leaves the solver, and with it every flow that would end within the tolerance
    // of its own duration so far; each completes at its own predicted time. Then the survivors are re-shared once.
    for (Time end = earliest_bytes_done(); !end.is_infinite(); end = earliest_bytes_done()) {
      const FlowId id = bytes_heap_.top_flow();
      Flow& flow = flows_[id.index()];
      const double slack = tolerance_ * static_cast<double>((end - flow.started).ps());
      if (end > now_ && static_cast<double>((end - now_).ps()) > slack) break;
      bytes_heap_.pop();
      flow.moving = false;
      flow.remaining = 0;
      flow.rate = 0;
      solver_.remove_flow(id);
      done_heap_.push({end + flow.latency, id});
      if (recording_ != nullptr) {
        const std::uint32_t index = recording_->index[id.index()];
        recording_->run->leave[index] = now_ - recording_->start;
        recording_->run->completion[index] = end + flow.latency - recording_->start;
      }
    }
    reshare();
  }
  now_ = t;
}

double FlowNetwork::rate(FlowId id) {
  settle();
  // A flow of a replayed group has no record of its own until it is brought back: rebuild it.
  for (const LiveGroup& group : live_) {
    if (group.cached == nullptr) continue;
    for (std::size_t k = group.next; k < group.order.size(); ++k) {
      if (group.order[k].flow != id) continue;
      Flow rebuilt;
      rebuild(group, group.order[k].index, rebuilt);
      return rebuilt.moving ? rebuilt.rate : 0.0;
    }
  }
  const Flow& flow = flows_[id.index()];
  return flow.moving ? flow.rate : 0.0;
}

}  // namespace dsim::models::network
