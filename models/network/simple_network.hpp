// SPDX-License-Identifier: Apache-2.0
// The simplest network model: a flow owns its whole route, so flows never share bandwidth.
//   time(flow) = sum of route link latencies + message overhead + size / min over route links (and its shared
//                limit, if any) of (capacity x efficiency)
// Good for hand-checkable traces and as an uncongested lower bound; it overestimates throughput whenever two flows
// cross one link at once. The flow-level max-min model (issue 5) replaces it behind the same NetworkModel interface.
#pragma once

#include <limits>
#include <queue>
#include <vector>

#include "models/network/network_model.hpp"

namespace dsim::models::network {

class SimpleNetwork final : public NetworkModel {
 public:
  explicit SimpleNetwork(const topology::Cluster& cluster, MessageOverheads overheads = {});

  LimitId add_limit(Bandwidth capacity) override;
  // Limits cost one number each here and are never shared, so a released one is simply left unused.
  void release_limit(LimitId) override {}
  FlowId start_flow(const FlowRequest& request) override;
  Time next_completion() override;
  void advance_to(Time t, std::vector<FlowId>& finished) override;
  Time now() const override { return now_; }
  const std::vector<std::uint64_t>& link_bytes() const override { return link_bytes_; }

  // The time a flow takes on an idle network along `route`; exposed so tests state the closed form once.
  Time flow_time(const topology::Route& route, Bytes size,
                 double limit_Bps = std::numeric_limits<double>::infinity()) const;

 private:
  // The bytes phase alone: size over the route's (and the limit's) bottleneck.
  Time bytes_time(const topology::Route& route, Bytes size, double limit_Bps) const;

  struct Pending {
    Time end;
    FlowId flow;
    bool operator>(const Pending& other) const {
      return end > other.end || (end == other.end && flow > other.flow);
    }
  };

  const topology::Cluster& cluster_;
  MessageOverheads overheads_;
  std::vector<Bandwidth> limits_;
  Time now_ = Time::zero();
  FlowId::Value next_flow_ = 0;  // flows started: the next one's ECMP key
  RoutedFlow routed_;            // scratch: the route of the flow being started
  FlowId::Value next_id_ = 0;
  std::vector<FlowId> free_ids_;  // ids of finished flows, reused
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
  std::vector<std::uint64_t> link_bytes_;
};

}  // namespace dsim::models::network
