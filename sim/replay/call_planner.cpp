// SPDX-License-Identifier: Apache-2.0
#include "sim/replay/call_planner.hpp"

#include <utility>

#include <fmt/format.h>

#include "models/collectives/moe/expert_placement.hpp"
#include "sim/core/check.hpp"
#include "sim/core/rng.hpp"

namespace dsim::replay {
namespace mc = models::collectives;
namespace moe = models::collectives::moe;

namespace {

mc::CollectiveKind standard_kind(workloads::CollectiveOp op) {
  switch (op) {
    case workloads::CollectiveOp::all_to_all: return mc::CollectiveKind::all_to_all;
    case workloads::CollectiveOp::all_reduce: return mc::CollectiveKind::all_reduce;
    case workloads::CollectiveOp::reduce_scatter: return mc::CollectiveKind::reduce_scatter;
    case workloads::CollectiveOp::all_gather: return mc::CollectiveKind::all_gather;
    default: break;
  }
  DSIM_CHECK(false, "{} is not a standard collective", to_string(op));
  return mc::CollectiveKind::all_reduce;
}

// The offset of a group made of whole consecutive nodes in rank order (GPU first + i for rank i, first on a node
// boundary), or -1 for any other group.
std::int64_t aligned_offset(const std::vector<GpuId>& group, int gpus_per_node) {
  const auto first = static_cast<std::int64_t>(group.front().value());
  if (first % gpus_per_node != 0 || group.size() % static_cast<std::size_t>(gpus_per_node) != 0) return -1;
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (static_cast<std::int64_t>(group[i].value()) != first + static_cast<std::int64_t>(i)) return -1;
  }
  return first;
}

void shift(std::vector<moe::PairCount>& pairs, std::uint32_t by) {
  for (auto& p : pairs) {
    p.from = GpuId(p.from.value() + by);
    p.to = GpuId(p.to.value() + by);
  }
}

}  // namespace

CallPlanner::CallPlanner(const topology::Cluster& cluster, CallPlannerOptions options)
    : cluster_(cluster), options_(std::move(options)) {}

const moe::Router& CallPlanner::router(std::uint32_t sample) {
  auto& router = routers_[sample];
  if (!router) {
    moe::RouterSpec spec = options_.router;
    spec.seed = options_.router.seed ^ core::fnv1a64(fmt::format("routing sample {}", sample));
    router = std::make_unique<moe::Router>(spec);
  }
  return *router;
}

moe::MoeTraffic CallPlanner::route(const std::vector<GpuId>& group, std::uint32_t sample, std::int64_t tokens) {
  const moe::Router& r = router(sample);
  const moe::ExpertPlacement placement(options_.router.experts, group, cluster_.spec().node.gpus,
                                       options_.redundant_experts,
                                       options_.redundant_experts > 0 ? r.expected_load() : std::vector<double>{});
  return moe::aggregate_traffic(r, placement, static_cast<int>(tokens));
}

const moe::MoeTraffic& CallPlanner::traffic(workloads::GroupId id, const std::vector<GpuId>& group,
                                            const workloads::MoeCall& call) {
  auto& own = traffic_[{id.value(), call.routing_sample, call.tokens_per_rank}];
  if (own) return *own;
  const std::int64_t offset = aligned_offset(group, cluster_.spec().node.gpus);
  if (offset < 0) {
    own = std::make_unique<moe::MoeTraffic>(route(group, call.routing_sample, call.tokens_per_rank));
    return *own;
  }
  auto& canonical = canonical_traffic_[{group.size(), call.routing_sample, call.tokens_per_rank}];
  if (!canonical) {
    std::vector<GpuId> first(group.size());
    for (std::size_t i = 0; i < group.size(); ++i) first[i] = GpuId(static_cast<GpuId::Value>(i));
    canonical = std::make_unique<moe::MoeTraffic>(route(first, call.routing_sample, call.tokens_per_rank));
  }
  own = std::make_unique<moe::MoeTraffic>(*canonical);
  const auto by = static_cast<std::uint32_t>(offset);
  shift(own->rdma, by);
  shift(own->nvlink, by);
  shift(own->direct, by);
  own->group = group;
  return *own;
}

const mc::CommPlan& CallPlanner::plan(const workloads::StepTrace& trace, workloads::CallId id) {
  const workloads::CollectiveCall& call = trace.call(id);
  const bool is_moe =
      call.kind == workloads::CollectiveOp::moe_dispatch || call.kind == workloads::CollectiveOp::moe_combine;
  const CallKey key{static_cast<int>(call.kind), call.group.value(), call.size.count(), call.moe.low_latency,
                    is_moe ? call.moe.tokens_per_rank : 0, is_moe ? call.moe.hidden : 0,
                    is_moe ? static_cast<int>(call.moe.payload) : 0, is_moe ? call.moe.sms : 0,
                    is_moe ? call.moe.routing_sample : 0};
  auto& slot = call_plans_[key];
  if (slot) return *slot;
  std::vector<GpuId> group;
  for (const RankId r : trace.group(call.group)) group.push_back(GpuId(r.value()));
  if (!is_moe) {
    mc::CollectiveRequest request;
    request.kind = standard_kind(call.kind);
    request.group = std::move(group);
    request.size = call.size;
    request.algorithm = options_.all_reduce;
    request.gpus_per_node = cluster_.spec().node.gpus;
    slot = std::make_unique<mc::CommPlan>(mc::plan_collective(request));
    return *slot;
  }
  moe::DeepEpKernel kernel;
  kernel.mode = call.moe.low_latency ? moe::DeepEpMode::low_latency : moe::DeepEpMode::normal;
  kernel.hidden = static_cast<std::uint64_t>(call.moe.hidden);
  const moe::Payload payload{call.moe.payload == Dtype::fp8 ? moe::PayloadFormat::fp8 : moe::PayloadFormat::bf16};
  kernel.dispatch_payload = payload;
  kernel.combine_payload = payload;
  kernel.sms = call.moe.sms;
  kernel.gpu_sms = cluster_.spec().node.gpu.sm_count;
  kernel.copy_per_sm = options_.copy_per_sm;
  kernel.message_cost = options_.low_latency_message_cost;
  const moe::MoeTraffic& routed = traffic(call.group, group, call.moe);
  slot = std::make_unique<mc::CommPlan>(call.kind == workloads::CollectiveOp::moe_dispatch
                                            ? moe::plan_dispatch(routed, kernel)
                                            : moe::plan_combine(routed, kernel));
  return *slot;
}

const mc::CommPlan& CallPlanner::transfer(GpuId src, GpuId dst, Bytes size) {
  auto& slot = transfer_plans_[{src.value(), dst.value(), size.count()}];
  if (!slot) {
    slot = std::make_unique<mc::CommPlan>();
    slot->transfer(src, dst, size);
  }
  return *slot;
}

}  // namespace dsim::replay
