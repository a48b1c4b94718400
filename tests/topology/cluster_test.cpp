// SPDX-License-Identifier: Apache-2.0
// Cluster assembly on the single-switch fabric: link layout, names and routes inside and across nodes.
#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"
#include "tests/topology/test_clusters.hpp"
#include "topology/cluster.hpp"

namespace dsim::topology {
namespace {

std::vector<std::string> names(const Cluster& cluster, const Route& route) {
  std::vector<std::string> out;
  for (const LinkId id : route) out.push_back(cluster.link_name(id));
  return out;
}

Time latency(const Cluster& cluster, const Route& route) {
  Time total;
  for (const LinkId id : route) total += cluster.link(id).latency;
  return total;
}

}  // namespace

TEST_CASE("cluster: links are counted per GPU, NIC, PCIe switch, node and cable", "[topology]") {
  // 8 GPUs x (2 NVLink + 2 PCIe) + 8 NICs x 2 PCIe + 4 PCIe switches x 2 host links + 2 nodes x 2 memory
  // directions + 8 NICs x 2 switch cables = 32 + 16 + 8 + 4 + 16 = 76 directed links.
  const Cluster cluster(testing::small_cluster());
  CHECK(cluster.links().size() == 76);
  std::array<int, 5> by_kind{};
  for (const auto& link : cluster.links()) ++by_kind[static_cast<std::size_t>(link.kind)];
  CHECK(by_kind[static_cast<std::size_t>(LinkKind::nvlink)] == 16);
  CHECK(by_kind[static_cast<std::size_t>(LinkKind::pcie)] == 40);
  CHECK(by_kind[static_cast<std::size_t>(LinkKind::host_memory)] == 4);
  CHECK(by_kind[static_cast<std::size_t>(LinkKind::nic)] == 16);
}

TEST_CASE("cluster: GPUs map to nodes by GPUs per node", "[topology]") {
  const Cluster cluster(testing::small_cluster());
  CHECK(cluster.node_of(GpuId(3)) == NodeId(0));
  CHECK(cluster.node_of(GpuId(4)) == NodeId(1));
  CHECK_THROWS_AS(cluster.node_of(GpuId(8)), InternalError);
}

TEST_CASE("cluster: a route inside a node crosses NVLink out of the source and into the destination", "[topology]") {
  const Cluster cluster(testing::small_cluster());
  const Route route = cluster.route(GpuId(1), GpuId(2), 0);
  CHECK(names(cluster, route) == std::vector<std::string>{"gpu1->node0.nvswitch", "node0.nvswitch->gpu2"});
  CHECK(cluster.path_kind(GpuId(1), GpuId(2)) == PathKind::nvlink);
}

TEST_CASE("cluster: a route across nodes goes GPU, PCIe switch, paired NIC, switch, NIC, PCIe switch, GPU",
          "[topology]") {
  // GPU 1 sits with NIC 1 under node 0's PCIe switch 0; GPU 6 is local GPU 2 of node 1, with NIC 6 under its switch 1.
  // Latency: PCIe 0.1 + NIC 2 + switch 0.5 + PCIe 0.1 = 2.7 us.
  const Cluster cluster(testing::small_cluster());
  const Route route = cluster.route(GpuId(1), GpuId(6), 0);
  CHECK(names(cluster, route) ==
        std::vector<std::string>{"gpu1->node0.pcie0", "node0.pcie0->nic1", "nic1->switch0", "switch0->nic6",
                                 "nic6->node1.pcie1", "node1.pcie1->gpu6"});
  CHECK(latency(cluster, route) == units::us(2.7));
  CHECK(cluster.path_kind(GpuId(1), GpuId(6)) == PathKind::network);
}

TEST_CASE("cluster: without NVLink, GPUs of a node talk over PCIe through the host when switches differ",
          "[topology]") {
  auto spec = testing::small_cluster();
  spec.node.nvlink.per_gpu_bandwidth = Bandwidth::from_Bps(0);
  const Cluster cluster(spec);
  CHECK(names(cluster, cluster.route(GpuId(0), GpuId(1), 0)) ==
        std::vector<std::string>{"gpu0->node0.pcie0", "node0.pcie0->gpu1"});
  CHECK(names(cluster, cluster.route(GpuId(0), GpuId(3), 0)) ==
        std::vector<std::string>{"gpu0->node0.pcie0", "node0.pcie0->node0.host", "node0.host->node0.pcie1",
                                 "node0.pcie1->gpu3"});
  CHECK(cluster.path_kind(GpuId(0), GpuId(3)) == PathKind::pcie);
}

TEST_CASE("cluster: host memory reaches a GPU through its PCIe switch", "[topology]") {
  const Cluster cluster(testing::small_cluster());
  CHECK(names(cluster, cluster.host_to_gpu(GpuId(5))) ==
        std::vector<std::string>{"node1.memory.read", "node1.host->node1.pcie0", "node1.pcie0->gpu5"});
}

TEST_CASE("cluster: a route from a GPU to itself is a bug, not a route", "[topology]") {
  const Cluster cluster(testing::small_cluster());
  CHECK_THROWS_AS(cluster.route(GpuId(2), GpuId(2), 0), InternalError);
}

}  // namespace dsim::topology
