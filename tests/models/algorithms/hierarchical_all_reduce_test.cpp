// SPDX-License-Identifier: Apache-2.0
// Hierarchical all-reduce against its closed form: intra-node ring reduce-scatter over NVLink (160 GB/s + 1 us),
// inter-node ring all-reduce on each rail (NIC 40 GB/s + 2.7 us), intra-node ring all-gather.
#include <catch2/catch.hpp>

#include "tests/models/algorithms/collective_timing.hpp"

namespace dsim::models::collectives {

using namespace collective_tests;

namespace {

CollectiveRequest hierarchical_request(std::vector<GpuId> group, std::uint64_t size) {
  auto request = make_request(CollectiveKind::all_reduce, std::move(group), size);
  request.algorithm = AllReduceAlgorithm::hierarchical;
  request.gpus_per_node = 4;
  return request;
}

}  // namespace

TEST_CASE("hierarchical all-reduce on two nodes: intra ring, rail rings, intra ring, as the closed form says",
          "[models]") {
  // m = 4 GPUs a node, N = 2 nodes, size 6.4e6 B. Intra-node reduce-scatter: 3 steps of 1.6e6 B (10 us + 1 us):
  // 33 us. Inter-node all-reduce of 1.6e6 B on each of the 4 rails at once (one NIC each): 2 steps of 0.8e6 B
  // (20 us + 2.7 us): 45.4 us. Intra-node all-gather: 33 us. Total 111.4 us.
  // With 80 GB/s reductions: 3 of 1.6e6 B (20 us) in the intra reduce-scatter and 1 of 0.8e6 B (10 us) in the
  // inter one: 111.4 + 60 + 10 = 181.4 us.
  auto request = hierarchical_request(gpu_range(0, 8), 6'400'000);
  CHECK(plan_time(cluster_of(2), request) == units::us(111.4));
  request.reduce_bandwidth = units::GBps(80);
  CHECK(plan_time(cluster_of(2), request) == units::us(181.4));
}

TEST_CASE("hierarchical all-reduce on four nodes sends only size/(mN) per inter-node step", "[models]") {
  // m = 4, N = 4, size 6.4e6 B: intra 33 us each way; inter: 6 steps of 1.6e6/4 = 0.4e6 B (10 us + 2.7 us) =
  // 76.2 us. Total 142.2 us.
  CHECK(plan_time(cluster_of(4), hierarchical_request(gpu_range(0, 16), 6'400'000)) == units::us(142.2));
}

TEST_CASE("hierarchical all-reduce moves 2(n-1) times the buffer, but only 2(N-1)/(mN) of it per NIC", "[models]") {
  // n = 16 (N = 4, m = 4), size 6.4e6 B: intra: 4 nodes x 2 x 3 x 6.4e6 B; inter: 4 rails x 2 x 3 x 1.6e6 B; sum
  // 2 x 15 x 6.4e6 = 192e6 B. Each rank sends 2 x 3 x 0.4e6 = 2.4e6 B across nodes.
  const CommPlan plan = plan_collective(hierarchical_request(gpu_range(0, 16), 6'400'000));
  CHECK(plan.transfer_bytes() == Bytes(192'000'000));
  std::map<std::uint32_t, std::uint64_t> inter;
  for (const Step& step : steps_in(plan, "inter-node all-reduce")) {
    CHECK(step.src.value() % 4 == step.dst.value() % 4);  // on its rail
    inter[step.src.value()] += step.size.count();
  }
  CHECK(inter.size() == 16);
  for (const auto& [gpu, bytes] : inter) CHECK(bytes == 2'400'000);
}

TEST_CASE("hierarchical all-reduce in pieces overlaps the stages and beats the unpipelined run", "[models]") {
  // m = 4, N = 2, size 64e6 B. Whole: 3 x (1 + 100) + 2 x (2.7 + 200) + 3 x (1 + 100) = 1011.4 us. In 4 pieces of
  // 16e6 B, the rails (2 x (2.7 + 50) us a piece) are busy for 4 x 105.4 = 421.6 us at least, and the other stages
  // mostly hide behind them.
  auto request = hierarchical_request(gpu_range(0, 8), 64'000'000);
  CHECK(plan_time(cluster_of(2), request) == units::us(1011.4));
  request.pipeline_chunks = 4;
  const Time piped = plan_time(cluster_of(2), request);
  CHECK(piped < units::us(1011.4));
  CHECK(piped > units::us(421.6));
  CHECK(plan_collective(request).transfer_bytes() == Bytes(2 * 7 * 64'000'000ull));
}

TEST_CASE("hierarchical all-reduce takes nodes in group order and ranks within a node in ring order", "[models]") {
  // Group 4..7 then 0..3, node 0's ranks reversed: same closed form as in order (111.4 us), the intra-node rings
  // follow the group (3 -> 2 -> 1 -> 0 -> 3 on node 0) and the rails join GPUs of equal local index.
  const auto group = gpu_list({4, 5, 6, 7, 3, 2, 1, 0});
  const auto request = hierarchical_request(group, 6'400'000);
  CHECK(plan_time(cluster_of(2), request) == units::us(111.4));
  const CommPlan plan = plan_collective(request);
  for (const Step& step : steps_in(plan, "intra-node reduce-scatter")) {
    if (step.src.value() < 4) CHECK(step.dst.value() == (step.src.value() + 3) % 4);
  }
}

TEST_CASE("hierarchical all-reduce with one GPU a node is the ring across nodes", "[models]") {
  // gpus_per_node = 1, 4 nodes of one rank each: no intra-node stage; the inter-node ring of GPUs 0, 4, 8, 12
  // moves 4e6 B a step: 6 x 102.7 = 616.2 us, as the flat ring.
  auto request = hierarchical_request(gpu_list({0, 4, 8, 12}), 16'000'000);
  request.gpus_per_node = 1;
  CHECK(plan_time(cluster_of(4), request) == units::us(616.2));
  const CommPlan plan = plan_collective(request);
  CHECK(steps_in(plan, "intra-node reduce-scatter").empty());
}

}  // namespace dsim::models::collectives
