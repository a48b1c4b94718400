// SPDX-License-Identifier: Apache-2.0
#include "models/collectives/moe/deepep_kernels.hpp"

#include <map>
#include <vector>

#include "sim/core/check.hpp"

namespace dsim::models::collectives::moe {
namespace {

// One shared limit per GPU for the NVLink copies its kernel's SMs push, made on first use.
class SmLimits {
 public:
  SmLimits(CommPlan& plan, const DeepEpKernel& kernel) : plan_(plan) {
    if (kernel.copy_per_sm.Bps() > 0) rate_ = kernel.copy_per_sm * (kernel.occupied_sms() / 2.0);
  }
  std::uint32_t of(GpuId gpu) {
    if (rate_.Bps() <= 0) return network::FlowRequest::no_limit;
    const auto [it, fresh] = limits_.emplace(gpu.value(), 0);
    if (fresh) it->second = plan_.limit(rate_);
    return it->second;
  }

 private:
  CommPlan& plan_;
  Bandwidth rate_;
  std::map<std::uint32_t, std::uint32_t> limits_;
};

Bytes times(Bytes per_token, std::uint64_t tokens) { return Bytes(per_token.count() * tokens); }

CommPlan plan_normal(const MoeTraffic& traffic, const DeepEpKernel& kernel, bool dispatch) {
  CommPlan plan;
  const Bytes per_token = dispatch ? kernel.dispatch_bytes() : kernel.combine_bytes();
  const std::uint32_t rdma = plan.phase(dispatch ? "rdma send" : "rdma return");
  const std::uint32_t nvlink = plan.phase(dispatch ? "nvlink forward" : "nvlink return");
  SmLimits sm(plan, kernel);
  for (const PairCount& p : traffic.rdma) {
    if (dispatch) {
      plan.transfer(p.from, p.to, times(per_token, p.tokens), {}, rdma);
    } else {
      plan.transfer(p.to, p.from, times(per_token, p.tokens), {}, rdma);
    }
  }
  for (const PairCount& p : traffic.nvlink) {
    const GpuId src = dispatch ? p.from : p.to;
    const GpuId dst = dispatch ? p.to : p.from;
    plan.transfer(src, dst, times(per_token, p.tokens), {}, nvlink, sm.of(src));
  }
  return plan;
}

CommPlan plan_low_latency(const MoeTraffic& traffic, const DeepEpKernel& kernel, bool dispatch) {
  CommPlan plan;
  const Bytes per_message = dispatch ? kernel.dispatch_bytes() : kernel.combine_bytes();
  const std::uint32_t send = plan.phase(dispatch ? "send" : "return");
  const std::uint32_t handle = plan.phase("handle messages");
  SmLimits sm(plan, kernel);
  // Transfers into each receiving GPU, and the messages it handles (those staying on the sender included).
  std::map<std::uint32_t, std::vector<StepId>> arrivals;
  std::map<std::uint32_t, std::uint64_t> messages;
  for (const PairCount& p : traffic.direct) {
    const GpuId src = dispatch ? p.from : p.to;
    const GpuId dst = dispatch ? p.to : p.from;
    messages[dst.value()] += p.tokens;
    if (src == dst) continue;
    const bool same_node = src.value() / static_cast<std::uint32_t>(traffic.gpus_per_node) ==
                           dst.value() / static_cast<std::uint32_t>(traffic.gpus_per_node);
    arrivals[dst.value()].push_back(plan.transfer(src, dst, times(per_message, p.tokens), {}, send,
                                                  same_node ? sm.of(src) : network::FlowRequest::no_limit));
  }
  for (const auto& [gpu, count] : messages) {
    const auto it = arrivals.find(gpu);
    const std::span<const StepId> deps =
        it == arrivals.end() ? std::span<const StepId>{} : std::span<const StepId>(it->second);
    plan.local(GpuId(gpu), kernel.message_cost * static_cast<std::int64_t>(count), deps, handle);
  }
  return plan;
}

}  // namespace

Bytes DeepEpKernel::dispatch_bytes() const {
  const Bytes token = token_bytes(dispatch_payload, hidden);
  return mode == DeepEpMode::low_latency ? Bytes(token.count() + low_latency_header_bytes) : token;
}

Bytes DeepEpKernel::combine_bytes() const { return token_bytes(combine_payload, hidden); }

CommPlan plan_dispatch(const MoeTraffic& traffic, const DeepEpKernel& kernel) {
  return kernel.mode == DeepEpMode::normal ? plan_normal(traffic, kernel, true)
                                           : plan_low_latency(traffic, kernel, true);
}

CommPlan plan_combine(const MoeTraffic& traffic, const DeepEpKernel& kernel) {
  return kernel.mode == DeepEpMode::normal ? plan_normal(traffic, kernel, false)
                                           : plan_low_latency(traffic, kernel, false);
}

double logical_bytes(const MoeTraffic& traffic, const DeepEpKernel& kernel, bool dispatch, std::size_t rank) {
  DSIM_CHECK(rank < traffic.group.size(), "rank {} of a group of {}", rank, traffic.group.size());
  const double per_token = static_cast<double>((dispatch ? kernel.dispatch_bytes() : kernel.combine_bytes()).count());
  if (kernel.mode == DeepEpMode::low_latency) {
    return per_token * static_cast<double>(traffic.tokens_per_rank) * traffic.top_k;
  }
  return per_token *
         static_cast<double>(traffic.single_node() ? traffic.received_tokens[rank] : traffic.node_tokens[rank]);
}

}  // namespace dsim::models::collectives::moe
