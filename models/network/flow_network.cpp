// SPDX-License-Identifier: Apache-2.0
#include "models/network/flow_network.hpp"

#include <algorithm>
#include <span>

#include "sim/core/check.hpp"

namespace dsim::models::network {

FlowNetwork::FlowNetwork(const topology::Cluster& cluster, MessageOverheads overheads, double completion_tolerance,
                         topology::Cluster::Routes routes)
    : cluster_(cluster),
      overheads_(overheads),
      tolerance_(completion_tolerance),
      routes_(routes),
      link_bytes_(cluster.links().size(), 0) {
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
  DSIM_CHECK(request.source == FlowSource::gpu || routes_ == topology::Cluster::Routes::all,
             "a host memory read on a network built for flows between GPUs only");
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
  for (const LinkId link : routed.route) {
    if (shares_[link.index()]) path_.push_back(link.value());
  }
  if (request.limit != FlowRequest::no_limit) {
    DSIM_CHECK(request.limit < limit_links_.size(), "flow names limit {} of {}", request.limit, limit_links_.size());
    path_.push_back(limit_links_[request.limit]);
  }
  solver_.add_flow(id, path_);
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

// A re-share that moves half or more of the queued flows sets their ends and re-heapifies in linear time; a smaller
// one sets each (a later end costs nothing then, see DueHeap). Either way the heap orders (at, flow) exactly.
void FlowNetwork::reshare() {
  unsettled_ = false;
  const std::span<const MaxMinSolver::Change> changed = solver_.solve();
  const bool bulk = changed.size() * 2 > bytes_heap_.size() + 64;
  for (const MaxMinSolver::Change& change : changed) {
    const FlowId id = change.flow;
    Flow& flow = flows_[id.index()];
    progress(flow);
    flow.rate = change.rate;
    flow.bytes_done = predicted_end(flow);
    if (bulk) {
      bytes_heap_.assign(id, flow.bytes_done);
    } else {
      bytes_heap_.set(id, flow.bytes_done);
    }
  }
  if (bulk) bytes_heap_.rebuild();
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
