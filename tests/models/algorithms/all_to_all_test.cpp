// SPDX-License-Identifier: Apache-2.0
// All-to-all and send/recv against their closed forms on the test cluster (NVLink 160 GB/s + 1 us inside a node;
// NIC 40 GB/s + 2.7 us between nodes).
#include <catch2/catch.hpp>

#include <set>
#include <utility>

#include "tests/models/algorithms/collective_timing.hpp"

namespace dsim::models::collectives {

using namespace collective_tests;

TEST_CASE("all-to-all in one node takes a + (n-1)/n x size / B", "[models]") {
  // n = 4, 6.4e6 B per rank: 3 blocks of 1.6e6 B share the sender's 160 GB/s NVLink: 30 us, + 1 us = 31 us. The
  // share 160e9/3 is not a whole number of bytes per second, so allow 1e-9 of rounding.
  const auto request = make_request(CollectiveKind::all_to_all, gpu_range(0, 4), 6'400'000);
  const Time t = plan_time(cluster_of(1), request);
  CHECK(static_cast<double>(t.ps()) == Approx(static_cast<double>(units::us(31).ps())).epsilon(1e-9));
}

TEST_CASE("all-to-all across two nodes is bound by each NIC carrying a block to every remote rank", "[models]") {
  // n = 8 on 2 nodes, 32e6 B per rank: blocks of 4e6 B. Each GPU sends 4 blocks over its own NIC (40 GB/s, and each
  // receiving NIC takes 4): 400 us + 2.7 us = 402.7 us; its 3 NVLink blocks take 75 + 1 us, hidden.
  const auto request = make_request(CollectiveKind::all_to_all, gpu_range(0, 8), 32'000'000);
  CHECK(plan_time(cluster_of(2), request) == units::us(402.7));
}

TEST_CASE("all-to-all makes one transfer of size/n per ordered pair and none to itself", "[models]") {
  // n = 5, 1000 B: 5 x 4 = 20 transfers of 200 B, 4000 B = (n-1)/n x size per rank.
  const CommPlan plan = plan_collective(make_request(CollectiveKind::all_to_all, gpu_range(0, 5), 1000));
  std::set<std::pair<std::uint32_t, std::uint32_t>> pairs;
  for (const Step& step : plan.steps()) {
    CHECK(step.src != step.dst);
    CHECK(step.size == Bytes(200));
    pairs.emplace(step.src.value(), step.dst.value());
  }
  CHECK(pairs.size() == 20);
  CHECK(plan.steps().size() == 20);
  CHECK(plan.transfer_bytes() == Bytes(4000));
}

TEST_CASE("send/recv shifts the ring by one rank and takes a + size / B of the slowest pair", "[models]") {
  // 4 GPUs of one node, 1.6e6 B each: 10 us + 1 us = 11 us. 8 GPUs on 2 nodes, 4e6 B: 3 -> 4 and 7 -> 0 cross the
  // NICs (100 us + 2.7 us); the NVLink pairs take 26 us: 102.7 us. Two ranks send to each other at once.
  CHECK(plan_time(cluster_of(1), make_request(CollectiveKind::send_recv, gpu_range(0, 4), 1'600'000)) ==
        units::us(11));
  CHECK(plan_time(cluster_of(2), make_request(CollectiveKind::send_recv, gpu_range(0, 8), 4'000'000)) ==
        units::us(102.7));
  const CommPlan pair = plan_collective(make_request(CollectiveKind::send_recv, gpu_list({0, 4}), 4'000'000));
  REQUIRE(pair.steps().size() == 2);
  CHECK(pair.steps()[0].dst == GpuId(4));
  CHECK(pair.steps()[1].dst == GpuId(0));
  CHECK(plan_time(cluster_of(2), make_request(CollectiveKind::send_recv, gpu_list({0, 4}), 4'000'000)) ==
        units::us(102.7));
}

}  // namespace dsim::models::collectives
