// SPDX-License-Identifier: Apache-2.0
// DeepEP's dispatch and combine kernels ([E], V1) as communication plans over MoeTraffic.
//
// Normal kernels (training, prefill): the InfiniBand transfers (sender -> relay) and the NVLink forwards (relay ->
// expert GPU) run at once, as DeepEP pipelines them in chunks; the pipeline fill (one chunk of a few tokens) is
// ignored. The kernel runs on `sms` SMs; half of them push NVLink copies (each channel pairs a sending SM with a
// receiving or forwarding one), and one SM drives at most `copy_per_sm` of NVLink stores, so a GPU's NVLink copies
// share a limit of sms/2 x copy_per_sm. RDMA needs no SM bandwidth (the NIC reads GPU memory itself).
//   dispatch time ~ max(RDMA bytes out of the busiest NIC / NIC rate, NVLink bytes of the busiest GPU / min(NVLink
//                   rate, sms/2 x copy_per_sm)) + latencies
// Combine reverses the transfers (expert GPU -> relay over NVLink, relay -> sender over InfiniBand) in the combine
// payload; the reductions on the way cost no time (they run at HBM speed on the forwarding SMs, far below the link
// times).
//
// Low-latency kernels (decode): one message per (token, selected expert) straight to the expert's GPU (NVLink when
// on the same node, RDMA otherwise), on all SMs. Each GPU then handles every message it received (unpacking,
// flags), `message_cost` each, one after another; that cost is what makes a 128-token low-latency dispatch take
// ~35 us more than its bytes alone.
//   time ~ max over GPUs(bytes in / link rate) + messages handled per GPU x message_cost + latencies
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "models/collectives/comm_plan.hpp"
#include "models/collectives/moe/moe_traffic.hpp"
#include "models/collectives/moe/token_payload.hpp"

namespace dsim::models::collectives::moe {

enum class DeepEpMode : std::uint8_t { normal, low_latency };
inline constexpr std::array<std::string_view, 2> deepep_mode_names = {"normal", "low_latency"};

struct DeepEpKernel {
  DeepEpMode mode = DeepEpMode::normal;
  std::uint64_t hidden = 7168;
  Payload dispatch_payload{PayloadFormat::fp8};
  Payload combine_payload{PayloadFormat::bf16};
  int sms = 24;             // SMs a normal kernel occupies (DeepEP's tests: 24; V3 training: 20)
  int gpu_sms = 132;        // low-latency kernels occupy every SM
  Bandwidth copy_per_sm;    // NVLink store rate one SM drives; zero: no SM limit
  Time message_cost;        // low latency: per message a GPU handles

  int occupied_sms() const { return mode == DeepEpMode::normal ? sms : gpu_sms; }
  // Bytes of one message or token on the wire.
  Bytes dispatch_bytes() const;
  Bytes combine_bytes() const;
};

CommPlan plan_dispatch(const MoeTraffic& traffic, const DeepEpKernel& kernel);
CommPlan plan_combine(const MoeTraffic& traffic, const DeepEpKernel& kernel);

// DeepEP's tests' "bandwidth" of a kernel that took `time` on rank `rank` (index in the group), bytes per second:
// normal internode: tokens x distinct target nodes (own node included) x token bytes (the RDMA column);
// normal intranode (one node): tokens received, own included, x token bytes (the NVL column);
// low latency: tokens x top_k x message bytes.
double logical_bytes(const MoeTraffic& traffic, const DeepEpKernel& kernel, bool dispatch, std::size_t rank);

}  // namespace dsim::models::collectives::moe
