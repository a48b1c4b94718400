// SPDX-License-Identifier: Apache-2.0
#include "models/network/simple_network.hpp"

#include <algorithm>
#include <limits>

#include "sim/core/check.hpp"

namespace dsim::models::network {

SimpleNetwork::SimpleNetwork(const topology::Cluster& cluster, MessageOverheads overheads)
    : cluster_(cluster), overheads_(overheads), link_bytes_(cluster.links().size(), 0) {}

LimitId SimpleNetwork::add_limit(Bandwidth capacity) {
  DSIM_CHECK(capacity.Bps() > 0, "a shared limit needs a positive capacity, got {} B/s", capacity.Bps());
  limits_.push_back(capacity);
  return LimitId(static_cast<LimitId::Value>(limits_.size() - 1));
}

Time SimpleNetwork::bytes_time(const topology::Route& route, Bytes size, double limit_Bps) const {
  double bottleneck = limit_Bps;
  for (const LinkId id : route) bottleneck = std::min(bottleneck, cluster_.link(id).effective_capacity().Bps());
  return units::transfer_time(size, Bandwidth::from_Bps(bottleneck));
}

Time SimpleNetwork::flow_time(const topology::Route& route, Bytes size, double limit_Bps) const {
  return route_fixed_cost(cluster_, overheads_, route) + bytes_time(route, size, limit_Bps);
}

FlowId SimpleNetwork::start_flow(const FlowRequest& request) {
  RoutedFlow& routed = routed_;
  route_and_count(cluster_, overheads_, request, FlowId(next_flow_++), link_bytes_, routed);
  FlowId id(static_cast<FlowId::Value>(next_id_));
  if (free_ids_.empty()) {
    ++next_id_;
  } else {
    id = free_ids_.back();
    free_ids_.pop_back();
  }
  double limit = std::numeric_limits<double>::infinity();
  if (request.limit != FlowRequest::no_limit) {
    DSIM_CHECK(request.limit < limits_.size(), "flow names limit {} of {}", request.limit, limits_.size());
    limit = limits_[request.limit].Bps();
  }
  pending_.push({now_ + routed.fixed_cost + bytes_time(routed.route, request.size, limit), id});
  return id;
}

Time SimpleNetwork::next_completion() { return pending_.empty() ? Time::infinite() : pending_.top().end; }

void SimpleNetwork::advance_to(Time t, std::vector<FlowId>& finished) {
  DSIM_CHECK(t >= now_, "network moved backwards from {} ps to {} ps", now_.ps(), t.ps());
  now_ = t;
  while (!pending_.empty() && pending_.top().end <= t) {
    free_ids_.push_back(pending_.top().flow);
    finished.push_back(pending_.top().flow);
    pending_.pop();
  }
}

}  // namespace dsim::models::network
