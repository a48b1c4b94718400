// SPDX-License-Identifier: Apache-2.0
// DeepEP-style dispatch and combine: payload sizes, the traffic the router and placement produce, and kernel times
// derived by hand on the small test cluster (tests/topology/test_clusters.hpp: 2 nodes x 4 GPUs, NVLink 160 GB/s
// effective with 1 us latency, NIC 40 GB/s effective, 2.7 us of cross-node latency).
#include <catch2/catch.hpp>

#include <numeric>

#include "models/collectives/moe/deepep_kernels.hpp"
#include "models/collectives/plan_runner.hpp"
#include "models/network/flow_network.hpp"
#include "tests/topology/test_clusters.hpp"

namespace dsim::models::collectives::moe {
namespace {

std::vector<GpuId> first_gpus(int n) {
  std::vector<GpuId> gpus;
  for (int i = 0; i < n; ++i) gpus.emplace_back(static_cast<GpuId::Value>(i));
  return gpus;
}

// Runs the plan alone on the cluster's flow network (no message overheads) and returns when its last step ended.
Time plan_end(const topology::Cluster& cluster, const CommPlan& plan) {
  network::FlowNetwork network(cluster);
  Time end = Time::zero();
  for (const auto& span : PlanRunner::run_alone(network, plan)) end = std::max(end, span.end);
  return end;
}

}  // namespace

TEST_CASE("deepep: payload bytes per token follow the formats", "[models]") {
  // 7,168 elements: fp8 7,168 + 56 scales x 4 B = 7,392 B; bf16 14,336 B; logfmt-8 7,168 + 56 tiles x 8 B = 7,616 B;
  // logfmt-4 3,584 + 448 = 4,032 B. The low-latency fp8 message adds 16 B of metadata: 7,408 B (DeepEP's figure).
  CHECK(token_bytes({PayloadFormat::fp8}, 7168) == Bytes(7392));
  CHECK(token_bytes({PayloadFormat::bf16}, 7168) == Bytes(14336));
  CHECK(token_bytes({PayloadFormat::logfmt, 8}, 7168) == Bytes(7616));
  CHECK(token_bytes({PayloadFormat::logfmt, 4}, 7168) == Bytes(4032));
  DeepEpKernel kernel;
  kernel.mode = DeepEpMode::low_latency;
  CHECK(kernel.dispatch_bytes() == Bytes(7408));
  CHECK(kernel.combine_bytes() == Bytes(14336));
}

TEST_CASE("deepep: normal-mode traffic crosses IB once per target node, to the same local index", "[models]") {
  // 64 GPUs on 8 nodes, V3-like routing limited to 4 groups (= nodes): no token reaches more than 4 nodes; RDMA goes
  // between GPUs of equal local index on different nodes; NVLink forwards stay inside a node; every (token, expert)
  // pick appears once in the low-latency traffic.
  RouterSpec spec;
  spec.groups = 8;
  spec.topk_groups = 4;
  spec.seed = 11;
  const Router router(spec);
  const ExpertPlacement placement(256, first_gpus(64), 8);
  const MoeTraffic traffic = aggregate_traffic(router, placement, 512);
  for (const auto most : traffic.nodes_per_token_max) CHECK(most <= 4);
  for (const PairCount& p : traffic.rdma) {
    CHECK(p.from.value() % 8 == p.to.value() % 8);
    CHECK(p.from.value() / 8 != p.to.value() / 8);
  }
  for (const PairCount& p : traffic.nvlink) {
    CHECK(p.from.value() / 8 == p.to.value() / 8);
    CHECK(p.from != p.to);
  }
  std::uint64_t picks = 0;
  for (const PairCount& p : traffic.direct) picks += p.tokens;
  CHECK(picks == 64u * 512u * 8u);
  // A token sent to a node crosses IB unless the node is the sender's own: RDMA tokens never exceed node tokens.
  std::uint64_t rdma = 0;
  for (const PairCount& p : traffic.rdma) rdma += p.tokens;
  CHECK(rdma < std::accumulate(traffic.node_tokens.begin(), traffic.node_tokens.end(), std::uint64_t{0}));
}

TEST_CASE("deepep: a balanced low-latency dispatch takes the NIC share, the latency and the message handling",
          "[models]") {
  // 8 GPUs, one expert each, top-1, balanced routing, 8 tokens per rank: every rank sends one 7,408-byte message to
  // every GPU, itself included. Out of each NIC go 4 messages (to the other node) and into each NIC come 4: max-min
  // gives each 40/4 = 10 GB/s, so their bytes take 0.7408 us; NVLink messages (3 per GPU at 53 GB/s) end sooner.
  // Completion: 0.7408 + 2.7 us latency = 3.4408 us. Each GPU then handles its 8 messages at 0.1 us: 4.2408 us.
  const topology::Cluster cluster(testing::small_cluster());
  RouterSpec spec;
  spec.kind = RouterKind::balanced;
  spec.experts = 8;
  spec.top_k = 1;
  const Router router(spec);
  const ExpertPlacement placement(8, first_gpus(8), 4);
  const MoeTraffic traffic = aggregate_traffic(router, placement, 8);
  DeepEpKernel kernel;
  kernel.mode = DeepEpMode::low_latency;
  kernel.message_cost = units::us(0.1);
  const CommPlan plan = plan_dispatch(traffic, kernel);
  CHECK(plan_end(cluster, plan) == units::us(4.2408));
  CHECK(plan.transfer_bytes() == Bytes(8u * 7u * 7408u));
}

TEST_CASE("deepep: SMs cap a normal kernel's NVLink copies out of one GPU together", "[models]") {
  // One node of 4 GPUs, 4 experts (one each), top-4, balanced: every token goes to all 4 GPUs, so each GPU copies
  // each of its 64 tokens to 3 others: 3 flows of 64 x 7,392 B = 473,088 B. On 4 SMs at 10 GB/s, 2 push: 20 GB/s
  // shared by 3 flows (NVLink allows 160/3 each): 473,088 B / (20/3 GB/s) = 70.9632 us, + 1 us latency.
  topology::ClusterSpec one_node = testing::small_cluster();
  one_node.nodes = 1;
  one_node.fabric.kind = topology::FabricKind::single_switch;
  const topology::Cluster cluster(one_node);
  RouterSpec spec;
  spec.kind = RouterKind::balanced;
  spec.experts = 4;
  spec.top_k = 4;
  const Router router(spec);
  const ExpertPlacement placement(4, first_gpus(4), 4);
  const MoeTraffic traffic = aggregate_traffic(router, placement, 64);
  DeepEpKernel kernel;
  kernel.sms = 4;
  kernel.copy_per_sm = units::GBps(10);
  CHECK(plan_end(cluster, plan_dispatch(traffic, kernel)) == units::us(71.9632));
  // DeepEP's intranode figure counts each GPU's received tokens, its own included: 4 x 64 tokens x 7,392 B.
  CHECK(logical_bytes(traffic, kernel, true, 0) == Approx(4 * 64 * 7392.0));
}

}  // namespace dsim::models::collectives::moe
