// SPDX-License-Identifier: Apache-2.0
// Shared by the collective algorithm tests: requests over plain GPU lists, and a plan's time run alone on the flow
// network of a test cluster (tests/topology/test_clusters.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "models/collectives/algorithms/collective_algorithms.hpp"
#include "models/collectives/plan_runner.hpp"
#include "models/network/flow_network.hpp"
#include "tests/topology/test_clusters.hpp"
#include "topology/cluster.hpp"

namespace dsim::models::collectives::collective_tests {

// GPUs first, first + 1, ..., first + count - 1.
inline std::vector<GpuId> gpu_range(std::uint32_t first, std::uint32_t count) {
  std::vector<GpuId> out;
  for (std::uint32_t g = first; g < first + count; ++g) out.emplace_back(g);
  return out;
}

inline std::vector<GpuId> gpu_list(std::initializer_list<std::uint32_t> ids) {
  std::vector<GpuId> out;
  for (const std::uint32_t g : ids) out.emplace_back(g);
  return out;
}

inline CollectiveRequest make_request(CollectiveKind kind, std::vector<GpuId> group, std::uint64_t size) {
  CollectiveRequest request;
  request.kind = kind;
  request.group = std::move(group);
  request.size = Bytes(size);
  return request;
}

// The small test cluster (4 GPUs a node, NVLink 160 GB/s + 1 us, NIC 40 GB/s + 2.7 us across nodes) with `nodes`
// nodes on its single switch.
inline topology::ClusterSpec cluster_of(int nodes) {
  topology::ClusterSpec spec = dsim::testing::small_cluster();
  spec.nodes = nodes;
  return spec;
}

// When the last step of `plan` ends, run alone from time 0 on a fresh flow network over `cluster`.
inline Time plan_time(const topology::Cluster& cluster, const CommPlan& plan) {
  network::FlowNetwork network(cluster);
  Time end = Time::zero();
  for (const StepSpan& span : PlanRunner::run_alone(network, plan)) end = std::max(end, span.end);
  return end;
}

inline Time plan_time(const topology::ClusterSpec& spec, const CollectiveRequest& request) {
  const topology::Cluster cluster(spec);
  return plan_time(cluster, plan_collective(request));
}

// Bytes each GPU sends, over all transfers of the plan.
inline std::map<std::uint32_t, std::uint64_t> bytes_sent(const CommPlan& plan) {
  std::map<std::uint32_t, std::uint64_t> out;
  for (const Step& step : plan.steps()) {
    if (step.kind == StepKind::transfer) out[step.src.value()] += step.size.count();
  }
  return out;
}

// Steps of the plan in the named phase.
inline std::vector<Step> steps_in(const CommPlan& plan, const std::string& phase) {
  std::vector<Step> out;
  for (const Step& step : plan.steps()) {
    if (plan.phases()[step.phase] == phase) out.push_back(step);
  }
  return out;
}

}  // namespace dsim::models::collectives::collective_tests
