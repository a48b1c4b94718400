// SPDX-License-Identifier: Apache-2.0
// The one narrow interface between traffic and a network model: start a flow, learn when the next one ends, advance
// to a time. Collectives and the replay talk only to this, so a flow-level, packet-level or analytical model can be
// put behind it and the same step compared across models. Models never schedule events; the replay asks
// next_completion() and schedules one event for it.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "sim/core/ids.hpp"
#include "sim/core/units.hpp"
#include "topology/cluster.hpp"

namespace dsim::models::network {

// Where a flow's bytes come from: another GPU, or the host memory of the destination GPU's node (KV-cache reads
// from CPU memory, which cross the PCIe switch the GPU shares with its NIC).
enum class FlowSource : std::uint8_t { gpu, host_memory };

// A shared rate limit that is not a link of the cluster: e.g. the SMs a communication kernel drives its NVLink
// copies with, which cap all of that kernel's copies on one GPU together. Made by NetworkModel::add_limit.
using LimitId = DenseId<struct LimitIdTag>;

struct FlowRequest {
  GpuId src;  // ignored when source is host_memory
  GpuId dst;
  Bytes size;
  FlowSource source = FlowSource::gpu;
  std::uint32_t limit = no_limit;  // a LimitId's value, or no_limit

  static constexpr std::uint32_t no_limit = std::numeric_limits<std::uint32_t>::max();
};

// The transport a flow uses, which decides its per-message overhead: rdma when the route crosses a NIC (even if it
// first moves over NVLink to a peer's NIC, as PXN does), nvlink when it stays in the scale-up domain, pcie otherwise
// (GPU to GPU without NVLink, host memory to GPU).
enum class Transport : std::uint8_t { nvlink, rdma, pcie };
inline constexpr std::array<std::string_view, 3> transport_names = {"nvlink", "rdma", "pcie"};

// The fixed software and hardware cost of one message (one flow: a posted RDMA write, one NVLink copy, one DMA),
// paid once per flow on top of its route's link latencies. Think NCCL's per-protocol base latency.
struct MessageOverheads {
  std::array<Time, 3> by_transport{};  // indexed by Transport

  Time of(Transport t) const { return by_transport[static_cast<std::size_t>(t)]; }
};

// What a model's replay of isolated flow groups (FlowNetwork) did, for run summaries: groups started together,
// how many of them (and of their flows) ran from the cache, how many were brought back into the sharing by a flow
// that touched their links, and the cache's distinct groups and memory.
struct GroupReplayStats {
  std::uint64_t groups = 0;
  std::uint64_t replayed_groups = 0;
  std::uint64_t replayed_flows = 0;
  std::uint64_t restored_groups = 0;
  std::uint64_t cached_groups = 0;
  std::uint64_t cache_bytes = 0;
};

class NetworkModel {
 public:
  virtual ~NetworkModel() = default;

  // Adds a shared rate limit of `capacity`; flows naming it share it as they share a link.
  virtual LimitId add_limit(Bandwidth capacity) = 0;
  // Gives back a limit no running flow names; a later add_limit of the same capacity may return it again (a long
  // run starts a kernel's limits millions of times).
  virtual void release_limit(LimitId limit) = 0;
  // Starts a flow at the model's current time. Ids are small and dense: once advance_to has reported a flow
  // finished, its id may be returned again by a later start_flow (a long run starts tens of millions of flows).
  virtual FlowId start_flow(const FlowRequest& request) = 0;
  // Starts a group of flows at once, as start_flow would one after another (same ids' order, same routes), and
  // appends their ids to `ids`. A model may take the group as a whole (FlowNetwork replays isolated groups).
  virtual void start_flows(std::span<const FlowRequest> requests, std::vector<FlowId>& ids) {
    for (const FlowRequest& request : requests) ids.push_back(start_flow(request));
  }
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
  virtual GroupReplayStats group_replay() const { return {}; }
};

// What every model does when a flow starts: route it (its id is the ECMP key, so distinct flows between one pair
// may take distinct paths, deterministically), count its bytes on every link it crosses and work out its fixed
// cost. Bytes are counted at start: a flow always finishes, and counting here spares keeping its route.
struct RoutedFlow {
  topology::Route route;
  Time fixed_cost;     // link latencies + the transport's per-message overhead
  bool keyed = false;  // the flow's id chose the route among equal-cost ones (Cluster::route)
};

inline Transport transport_of(const topology::Cluster& cluster, const topology::Route& route) {
  bool nvlink = false;
  for (const LinkId link : route) {
    const auto kind = cluster.link(link).kind;
    if (kind == topology::LinkKind::nic || kind == topology::LinkKind::fabric) return Transport::rdma;
    nvlink = nvlink || kind == topology::LinkKind::nvlink;
  }
  return nvlink ? Transport::nvlink : Transport::pcie;
}

// Link latencies plus the per-message overhead of the route's transport.
inline Time route_fixed_cost(const topology::Cluster& cluster, const MessageOverheads& overheads,
                             const topology::Route& route) {
  Time cost = overheads.of(transport_of(cluster, route));
  for (const LinkId link : route) cost += cluster.link(link).latency;
  return cost;
}

// Writes into `flow`, whose route keeps its storage from one call to the next: no allocation per flow.
inline void route_and_count(const topology::Cluster& cluster, const MessageOverheads& overheads,
                            const FlowRequest& request, FlowId id, std::vector<std::uint64_t>& link_bytes,
                            RoutedFlow& flow) {
  if (request.source == FlowSource::host_memory) {
    flow.route = cluster.host_to_gpu(request.dst);
    flow.keyed = false;
  } else {
    flow.keyed = cluster.route(request.src, request.dst, id.value(), flow.route);
  }
  flow.fixed_cost = route_fixed_cost(cluster, overheads, flow.route);
  for (const LinkId link : flow.route) link_bytes[link.index()] += request.size.count();
}

}  // namespace dsim::models::network
