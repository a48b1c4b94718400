// SPDX-License-Identifier: Apache-2.0
#include "models/network/flow_network.hpp"

#include <algorithm>
#include <span>

#include "sim/core/check.hpp"

namespace dsim::models::network {

FlowNetwork::FlowNetwork(const topology::Cluster& cluster, MessageOverheads overheads, double completion_tolerance)
    : cluster_(cluster), overheads_(overheads), tolerance_(completion_tolerance), link_bytes_(cluster.links().size(), 0) {
  DSIM_CHECK(completion_tolerance >= 0 && completion_tolerance < 1, "completion tolerance {} outside [0, 1)",
             completion_tolerance);
  for (const auto& link : cluster.links()) solver_.add_link(link.effective_capacity().Bps());
}

LimitId FlowNetwork::add_limit(Bandwidth capacity) {
  DSIM_CHECK(capacity.Bps() > 0, "a shared limit needs a positive capacity, got {} B/s", capacity.Bps());
  if (auto it = free_limits_.find(capacity.Bps()); it != free_limits_.end() && !it->second.empty()) {
    const LimitId reused = it->second.back();
    it->second.pop_back();
    return reused;
  }
  limit_links_.push_back(solver_.add_link(capacity.Bps()));
  limit_capacity_.push_back(capacity.Bps());
  return LimitId(static_cast<LimitId::Value>(limit_links_.size() - 1));
}

void FlowNetwork::release_limit(LimitId limit) {
  DSIM_CHECK(limit.index() < limit_links_.size(), "released limit {} of {}", limit.value(), limit_links_.size());
  free_limits_[limit_capacity_[limit.index()]].push_back(limit);
}

FlowId FlowNetwork::start_flow(const FlowRequest& request) {
  // The ECMP key is the start sequence (what the id was before ids were reused), so routes do not depend on reuse.
  RoutedFlow& routed = routed_;
  route_and_count(cluster_, overheads_, request, FlowId(started_++), link_bytes_, routed);
  FlowId id(static_cast<FlowId::Value>(flows_.size()));
  if (free_ids_.empty()) {
    flows_.emplace_back();
  } else {
    id = free_ids_.back();
    free_ids_.pop_back();
  }
  Flow& flow = flows_[id.index()];
  flow = Flow{};
  flow.remaining = static_cast<double>(request.size.count());
  flow.started = now_;
  flow.updated = now_;
  flow.latency = routed.fixed_cost;
  if (request.size.count() == 0) {
    // Nothing to share: only the latency remains.
    flow.moving = false;
    flow.bytes_done = now_;
    done_heap_.push({now_ + flow.latency, id});
    return id;
  }
  flow.bytes_done = Time::infinite();
  path_.clear();
  for (const LinkId link : routed.route) path_.push_back(link.value());
  if (request.limit != FlowRequest::no_limit) {
    DSIM_CHECK(request.limit < limit_links_.size(), "flow names limit {} of {}", request.limit, limit_links_.size());
    path_.push_back(limit_links_[request.limit]);
  }
  flow.solver_id = solver_.add_flow(path_);
  if (by_solver_id_.size() <= flow.solver_id.index()) by_solver_id_.resize(flow.solver_id.index() + 1);
  by_solver_id_[flow.solver_id.index()] = id;
  unsettled_ = true;
  return id;
}

void FlowNetwork::progress(Flow& flow) const {
  if (!flow.moving || now_ <= flow.updated) return;
  flow.remaining = std::max(0.0, flow.remaining - flow.rate * units::to_seconds(now_ - flow.updated));
  flow.updated = now_;
}

Time FlowNetwork::predicted_end(const Flow& flow) const {
  return flow.rate > 0 ? now_ + units::seconds(flow.remaining / flow.rate) : Time::infinite();
}

// A re-share that moves many of the queued flows (a large component re-filled) updates their keys in place and
// re-heapifies in linear time; a small one sifts each changed flow. Either way the heap orders (at, flow) exactly.
void FlowNetwork::reshare() {
  unsettled_ = false;
  const std::span<const FlowId> changed = solver_.solve();
  const bool bulk = changed.size() * 8 > bytes_heap_.size() + 64;
  for (const FlowId solver_id : changed) {
    const FlowId id = by_solver_id_[solver_id.index()];
    Flow& flow = flows_[id.index()];
    progress(flow);
    flow.rate = solver_.rate(solver_id);
    flow.bytes_done = predicted_end(flow);
    if (!bulk) {
      heap_set(id, flow.bytes_done);
    } else if (flow.heap_pos != not_queued) {
      bytes_heap_[flow.heap_pos].at = flow.bytes_done;
    } else {
      flow.heap_pos = static_cast<std::uint32_t>(bytes_heap_.size());
      bytes_heap_.push_back({flow.bytes_done, id});
    }
  }
  if (bulk) heap_rebuild();
}

void FlowNetwork::heap_place(std::size_t pos, Due entry) {
  bytes_heap_[pos] = entry;
  flows_[entry.flow.index()].heap_pos = static_cast<std::uint32_t>(pos);
}

void FlowNetwork::heap_sift_up(std::size_t pos) {
  const Due entry = bytes_heap_[pos];
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / 2;
    if (!(bytes_heap_[parent] > entry)) break;
    heap_place(pos, bytes_heap_[parent]);
    pos = parent;
  }
  heap_place(pos, entry);
}

void FlowNetwork::heap_sift_down(std::size_t pos) {
  const Due entry = bytes_heap_[pos];
  const std::size_t size = bytes_heap_.size();
  for (;;) {
    std::size_t child = 2 * pos + 1;
    if (child >= size) break;
    if (child + 1 < size && bytes_heap_[child] > bytes_heap_[child + 1]) ++child;
    if (!(entry > bytes_heap_[child])) break;
    heap_place(pos, bytes_heap_[child]);
    pos = child;
  }
  heap_place(pos, entry);
}

void FlowNetwork::heap_set(FlowId id, Time at) {
  Flow& flow = flows_[id.index()];
  if (flow.heap_pos == not_queued) {
    if (at.is_infinite()) return;
    bytes_heap_.push_back({at, id});
    heap_sift_up(bytes_heap_.size() - 1);
    return;
  }
  const std::size_t pos = flow.heap_pos;
  if (at.is_infinite()) {  // no rate: out of the heap until it has one again
    flow.heap_pos = not_queued;
    const Due last = bytes_heap_.back();
    bytes_heap_.pop_back();
    if (pos == bytes_heap_.size()) return;
    bytes_heap_[pos] = last;
    heap_sift_up(pos);
    heap_sift_down(flows_[last.flow.index()].heap_pos);
    return;
  }
  const Time before = bytes_heap_[pos].at;
  bytes_heap_[pos].at = at;
  if (at < before) {
    heap_sift_up(pos);
  } else {
    heap_sift_down(pos);
  }
}

void FlowNetwork::heap_pop() {
  flows_[bytes_heap_[0].flow.index()].heap_pos = not_queued;
  const Due last = bytes_heap_.back();
  bytes_heap_.pop_back();
  if (bytes_heap_.empty()) return;
  bytes_heap_[0] = last;
  heap_sift_down(0);
}

// Drops the flows left without a rate, then Floyd's bottom-up heapify and one pass to record the positions.
void FlowNetwork::heap_rebuild() {
  std::size_t kept = 0;
  for (const Due& entry : bytes_heap_) {
    if (entry.at.is_infinite()) {
      flows_[entry.flow.index()].heap_pos = not_queued;
    } else {
      bytes_heap_[kept++] = entry;
    }
  }
  bytes_heap_.resize(kept);
  std::make_heap(bytes_heap_.begin(), bytes_heap_.end(), std::greater<>());
  for (std::size_t pos = 0; pos < bytes_heap_.size(); ++pos) {
    flows_[bytes_heap_[pos].flow.index()].heap_pos = static_cast<std::uint32_t>(pos);
  }
}

Time FlowNetwork::next_completion() {
  settle();
  const Time tail = done_heap_.empty() ? Time::infinite() : done_heap_.top().at;
  // A bytes phase ending is no completion, but the shares change then, so the model must be advanced at it too.
  return std::min(tail, earliest_bytes_done());
}

void FlowNetwork::advance_to(Time t, std::vector<FlowId>& finished) {
  DSIM_CHECK(t >= now_, "network moved backwards from {} ps to {} ps", now_.ps(), t.ps());
  settle();
  for (;;) {
    const Time bytes = earliest_bytes_done();
    const Time tail = done_heap_.empty() ? Time::infinite() : done_heap_.top().at;
    const Time next = std::min(bytes, tail);
    if (next > t) break;
    now_ = next;
    if (tail <= bytes) {
      finished.push_back(done_heap_.top().flow);
      free_ids_.push_back(done_heap_.top().flow);
      done_heap_.pop();
      continue;
    }
    // Every flow whose bytes end now leaves the solver, and with it every flow that would end within the tolerance
    // of its own duration so far; each completes at its own predicted time. Then the survivors are re-shared once.
    for (Time end = earliest_bytes_done(); !end.is_infinite(); end = earliest_bytes_done()) {
      const FlowId id = bytes_heap_[0].flow;
      Flow& flow = flows_[id.index()];
      const double slack = tolerance_ * static_cast<double>((end - flow.started).ps());
      if (end > now_ && static_cast<double>((end - now_).ps()) > slack) break;
      heap_pop();
      flow.moving = false;
      flow.remaining = 0;
      flow.rate = 0;
      solver_.remove_flow(flow.solver_id);
      done_heap_.push({end + flow.latency, id});
    }
    reshare();
  }
  now_ = t;
}

double FlowNetwork::rate(FlowId flow) {
  settle();
  return flows_[flow.index()].moving ? flows_[flow.index()].rate : 0.0;
}

}  // namespace dsim::models::network
