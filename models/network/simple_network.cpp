// SPDX-License-Identifier: Apache-2.0
#include "models/network/simple_network.hpp"

#include <algorithm>
#include <limits>

#include "sim/core/check.hpp"

namespace dsim::models::network {

SimpleNetwork::SimpleNetwork(const topology::Cluster& cluster)
    : cluster_(cluster), link_bytes_(cluster.links().size(), 0) {}

Time SimpleNetwork::flow_time(const topology::Route& route, Bytes size) const {
  Time latency = Time::zero();
  double bottleneck = std::numeric_limits<double>::infinity();
  for (const LinkId id : route) {
    const auto& link = cluster_.link(id);
    latency += link.latency;
    bottleneck = std::min(bottleneck, link.effective_capacity().Bps());
  }
  return latency + units::transfer_time(size, Bandwidth::from_Bps(bottleneck));
}

FlowId SimpleNetwork::start_flow(const FlowRequest& request) {
  const FlowId id(next_flow_++);
  const topology::Route route = route_and_count(cluster_, request, id, link_bytes_);
  pending_.push({now_ + flow_time(route, request.size), id});
  return id;
}

Time SimpleNetwork::next_completion() { return pending_.empty() ? Time::infinite() : pending_.top().end; }

void SimpleNetwork::advance_to(Time t, std::vector<FlowId>& finished) {
  DSIM_CHECK(t >= now_, "network moved backwards from {} ps to {} ps", now_.ps(), t.ps());
  now_ = t;
  while (!pending_.empty() && pending_.top().end <= t) {
    finished.push_back(pending_.top().flow);
    pending_.pop();
  }
}

}  // namespace dsim::models::network
