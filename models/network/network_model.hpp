// SPDX-License-Identifier: Apache-2.0
// The one narrow interface between traffic and a network model: start a flow, learn when the next one ends, advance
// to a time. Collectives and the replay talk only to this, so a flow-level, packet-level or analytical model can be
// put behind it and the same step compared across models. Models never schedule events; the replay asks
// next_completion() and schedules one event for it.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/ids.hpp"
#include "sim/core/units.hpp"
#include "topology/cluster.hpp"

namespace dsim::models::network {

struct FlowRequest {
  GpuId src;
  GpuId dst;
  Bytes size;
};

class NetworkModel {
 public:
  virtual ~NetworkModel() = default;

  // Starts a flow at the model's current time; the returned id is dense, in start order.
  virtual FlowId start_flow(const FlowRequest& request) = 0;
  // The next time the model must be advanced: a flow finishing, or (in models that share bandwidth) a change of
  // the shares that will move later completions. Time::infinite() when nothing is pending. Advancing to it may
  // finish no flow. Not const: a model may defer work (re-sharing after a batch of starts) until it is asked.
  virtual Time next_completion() = 0;
  // Moves the model's clock to `t` (never backwards) and appends the flows finished by then to `finished`, in
  // completion order (ties by flow id).
  virtual void advance_to(Time t, std::vector<FlowId>& finished) = 0;
  virtual Time now() const = 0;

  // Bytes that have crossed each link so far, indexed by LinkId.
  virtual const std::vector<std::uint64_t>& link_bytes() const = 0;
};

// What every model does when a flow starts: route it (its id is the ECMP key, so distinct flows between one pair
// may take distinct paths, deterministically) and count its bytes on every link it crosses. Bytes are counted at
// start: a flow always finishes, and counting here spares keeping its route.
inline topology::Route route_and_count(const topology::Cluster& cluster, const FlowRequest& request, FlowId id,
                                       std::vector<std::uint64_t>& link_bytes) {
  topology::Route route = cluster.route(request.src, request.dst, id.value());
  for (const LinkId link : route) link_bytes[link.index()] += request.size.count();
  return route;
}

}  // namespace dsim::models::network
