// SPDX-License-Identifier: Apache-2.0
// Ring all-reduce, reduce-scatter and all-gather against their closed forms, T = steps x (a + size/(nB)) plus the
// reductions, on uncongested rings of the test cluster (NVLink 160 GB/s + 1 us inside a node; NIC 40 GB/s + 2.7 us
// between nodes).
#include <catch2/catch.hpp>

#include "tests/models/algorithms/collective_timing.hpp"

namespace dsim::models::collectives {

using namespace collective_tests;

TEST_CASE("ring all-reduce over one node's NVLink takes 2(n-1) steps of a + size/(nB)", "[models]") {
  // n = 4, size 6.4e6 B: chunks of 1.6e6 B take 10 us at 160 GB/s, + 1 us latency = 11 us a step; each rank's
  // NVLink carries one transfer a step. 2(n-1) = 6 steps: 66 us.
  const auto request = make_request(CollectiveKind::all_reduce, gpu_range(0, 4), 6'400'000);
  CHECK(plan_time(cluster_of(1), request) == units::us(66));
}

TEST_CASE("ring all-reduce adds one reduction per reduce-scatter step on the critical path", "[models]") {
  // As above, plus a reduction of each received 1.6e6 B chunk at 80 GB/s (20 us) before forwarding it, on n-1 = 3
  // steps: 66 + 3 x 20 = 126 us.
  auto request = make_request(CollectiveKind::all_reduce, gpu_range(0, 4), 6'400'000);
  request.reduce_bandwidth = units::GBps(80);
  CHECK(plan_time(cluster_of(1), request) == units::us(126));
  const CommPlan plan = plan_collective(request);
  CHECK(steps_in(plan, "reduce").size() == 3 * 4);
  CHECK(steps_in(plan, "reduce").front().duration == units::us(20));
}

TEST_CASE("ring all-reduce across four nodes, one GPU each, pays the NIC latency on every step", "[models]") {
  // GPUs 0, 4, 8, 12 on 4 nodes: each step moves 16e6/4 = 4e6 B over a 40 GB/s NIC (100 us) + 2.7 us. 6 steps:
  // 616.2 us.
  const auto request = make_request(CollectiveKind::all_reduce, gpu_list({0, 4, 8, 12}), 16'000'000);
  CHECK(plan_time(cluster_of(4), request) == units::us(616.2));
}

TEST_CASE("ring all-reduce: each rank sends 2(n-1)/n of the buffer, in 2(n-1) steps of n transfers", "[models]") {
  // n = 4, size 6.4e6 B: each rank sends 6 chunks of 1.6e6 B = 9.6e6 B = 2 x 3/4 x 6.4e6; 24 transfers in all,
  // half in each phase.
  const CommPlan plan = plan_collective(make_request(CollectiveKind::all_reduce, gpu_range(0, 4), 6'400'000));
  CHECK(plan.transfer_bytes() == Bytes(4 * 9'600'000));
  for (const auto& [gpu, bytes] : bytes_sent(plan)) CHECK(bytes == 9'600'000);
  CHECK(plan.steps().size() == 24);
  CHECK(steps_in(plan, "reduce-scatter").size() == 12);
  CHECK(steps_in(plan, "all-gather").size() == 12);
}

TEST_CASE("ring all-reduce splits a size that n does not divide and still moves 2(n-1) times it", "[models]") {
  // 10 B over 4 ranks: chunks 3, 3, 2, 2; every chunk crosses 3 links in each half: 2 x 3 x 10 = 60 B.
  const CommPlan plan = plan_collective(make_request(CollectiveKind::all_reduce, gpu_range(0, 4), 10));
  CHECK(plan.transfer_bytes() == Bytes(60));
}

TEST_CASE("ring reduce-scatter takes n-1 steps of a + size/(nB) and a reduction each", "[models]") {
  // n = 4, input 6.4e6 B per rank: 3 steps of 11 us (33 us); with 80 GB/s reductions of 1.6e6 B, 3 x 20 us more:
  // 93 us. Each rank sends 3 x 1.6e6 = 4.8e6 B = (n-1)/n of its input.
  auto request = make_request(CollectiveKind::reduce_scatter, gpu_range(0, 4), 6'400'000);
  CHECK(plan_time(cluster_of(1), request) == units::us(33));
  CHECK(plan_collective(request).transfer_bytes() == Bytes(4 * 4'800'000));
  request.reduce_bandwidth = units::GBps(80);
  CHECK(plan_time(cluster_of(1), request) == units::us(93));
}

TEST_CASE("ring all-gather takes n-1 steps of a + size/(nB)", "[models]") {
  // n = 4, output 6.4e6 B per rank: 3 steps of 1.6e6 B at 160 GB/s + 1 us = 33 us; across 4 nodes with one GPU
  // each, output 16e6 B: 3 steps of 4e6 B at 40 GB/s + 2.7 us = 308.1 us. Each rank sends (n-1)/n of the output.
  const auto local = make_request(CollectiveKind::all_gather, gpu_range(0, 4), 6'400'000);
  CHECK(plan_time(cluster_of(1), local) == units::us(33));
  CHECK(plan_collective(local).transfer_bytes() == Bytes(4 * 4'800'000));
  const auto spread = make_request(CollectiveKind::all_gather, gpu_list({0, 4, 8, 12}), 16'000'000);
  CHECK(plan_time(cluster_of(4), spread) == units::us(308.1));
}

TEST_CASE("ring collectives follow the group's order, not the GPU ids", "[models]") {
  // Group 0, 2, 1, 3: the ring's transfers are 0->2, 2->1, 1->3, 3->0 in every step.
  const CommPlan plan = plan_collective(make_request(CollectiveKind::all_gather, gpu_list({0, 2, 1, 3}), 400));
  const std::map<std::uint32_t, std::uint32_t> next = {{0, 2}, {2, 1}, {1, 3}, {3, 0}};
  for (const Step& step : plan.steps()) CHECK(next.at(step.src.value()) == step.dst.value());
}

}  // namespace dsim::models::collectives
