// SPDX-License-Identifier: Apache-2.0
// The simple network: closed-form flow times, no sharing, completion order and byte counters.
#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"

#include "models/network/simple_network.hpp"
#include "tests/topology/test_clusters.hpp"

namespace dsim::models::network {

TEST_CASE("simple network: an NVLink flow takes latency plus size over effective NVLink bandwidth", "[models]") {
  // 16e6 B / (200 GB/s x 0.8 = 160 GB/s) = 100 us, plus 1 us NVLink latency = 101 us.
  const topology::Cluster cluster(testing::small_cluster());
  const SimpleNetwork network(cluster);
  CHECK(network.flow_time(cluster.route(GpuId(0), GpuId(1), 0), Bytes(16'000'000)) == units::us(101));
}

TEST_CASE("simple network: a flow across nodes pays PCIe, NIC and switch latency and the NIC's bandwidth", "[models]") {
  // 8e6 B / (50 GB/s x 0.8 = 40 GB/s) = 200 us, plus 2 x 0.1 us PCIe + 2 us NIC + 0.5 us switch = 202.7 us.
  const topology::Cluster cluster(testing::small_cluster());
  const SimpleNetwork network(cluster);
  CHECK(network.flow_time(cluster.route(GpuId(0), GpuId(4), 0), Bytes(8'000'000)) == units::us(202.7));
}

TEST_CASE("simple network: two flows on one link do not slow each other", "[models]") {
  // Both flows leave GPU 0's NIC; with no sharing each still takes 202.7 us, so both end at 202.7 us.
  const topology::Cluster cluster(testing::small_cluster());
  SimpleNetwork network(cluster);
  const FlowId a = network.start_flow({GpuId(0), GpuId(4), Bytes(8'000'000)});
  const FlowId b = network.start_flow({GpuId(0), GpuId(5), Bytes(8'000'000)});
  CHECK(network.next_completion() == units::us(202.7));
  std::vector<FlowId> finished;
  network.advance_to(units::us(202.7), finished);
  CHECK(finished == std::vector<FlowId>{a, b});
  CHECK(network.next_completion().is_infinite());
}

TEST_CASE("simple network: flows finish in time order and advance_to stops at the given time", "[models]") {
  // Long: 16e6 B over NVLink = 101 us. Short: 1.6e6 B over NVLink = 10 us + 1 us = 11 us.
  const topology::Cluster cluster(testing::small_cluster());
  SimpleNetwork network(cluster);
  const FlowId long_flow = network.start_flow({GpuId(0), GpuId(1), Bytes(16'000'000)});
  const FlowId short_flow = network.start_flow({GpuId(2), GpuId(3), Bytes(1'600'000)});
  std::vector<FlowId> finished;
  network.advance_to(units::us(50), finished);
  CHECK(finished == std::vector<FlowId>{short_flow});
  CHECK(network.next_completion() == units::us(101));
  network.advance_to(units::us(101), finished);
  CHECK(finished == std::vector<FlowId>{short_flow, long_flow});
  CHECK_THROWS_AS(network.advance_to(units::us(100), finished), InternalError);
}

TEST_CASE("simple network: link byte counters add each flow's size on every link of its route", "[models]") {
  // GPU 0 -> GPU 4 crosses 6 links (GPU, PCIe, NIC, switch, NIC, PCIe); two flows of 1000 and 500 bytes put 1500
  // bytes on each of them and 9000 in all.
  const topology::Cluster cluster(testing::small_cluster());
  SimpleNetwork network(cluster);
  network.start_flow({GpuId(0), GpuId(4), Bytes(1000)});
  network.start_flow({GpuId(0), GpuId(4), Bytes(500)});
  std::uint64_t total = 0;
  for (const auto bytes : network.link_bytes()) total += bytes;
  CHECK(total == 9000);
  for (const LinkId link : cluster.route(GpuId(0), GpuId(4), 0)) CHECK(network.link_bytes()[link.index()] == 1500);
}

}  // namespace dsim::models::network
