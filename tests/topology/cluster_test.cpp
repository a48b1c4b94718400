// SPDX-License-Identifier: Apache-2.0
// The single-switch cluster: link layout and routes.
#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"

#include "tests/topology/test_clusters.hpp"
#include "topology/cluster.hpp"

namespace dsim::topology {

TEST_CASE("cluster: every GPU has NVLink and NIC links in both directions", "[topology]") {
  // 8 GPUs x (nvlink tx, nvlink rx, nic tx, nic rx) = 32 directed links.
  const Cluster cluster(testing::small_cluster());
  REQUIRE(cluster.links().size() == 32);
  CHECK(cluster.link(LinkId(0)).name == "gpu0.nvlink.tx");
  CHECK(cluster.link(LinkId(31)).name == "gpu7.nic.rx");
  CHECK(cluster.link(LinkId(2)).kind == LinkKind::infiniband);
  CHECK(cluster.link(LinkId(2)).effective_capacity().Bps() == Approx(40e9).epsilon(1e-12));
}

TEST_CASE("cluster: GPUs map to nodes by gpus_per_node", "[topology]") {
  const Cluster cluster(testing::small_cluster());
  CHECK(cluster.node_of(GpuId(3)) == NodeId(0));
  CHECK(cluster.node_of(GpuId(4)) == NodeId(1));
  CHECK_THROWS_AS(cluster.node_of(GpuId(8)), InternalError);
}

TEST_CASE("cluster: a route inside a node crosses NVLink out of the source and into the destination", "[topology]") {
  const Cluster cluster(testing::small_cluster());
  const Route route = cluster.route(GpuId(1), GpuId(2));
  REQUIRE(route.size() == 2);
  CHECK(cluster.link(route[0]).name == "gpu1.nvlink.tx");
  CHECK(cluster.link(route[1]).name == "gpu2.nvlink.rx");
}

TEST_CASE("cluster: a route across nodes crosses the source NIC, the switch and the destination NIC", "[topology]") {
  // The uplink carries NIC latency plus the one switch: 2 us + 0.5 us.
  const Cluster cluster(testing::small_cluster());
  const Route route = cluster.route(GpuId(1), GpuId(6));
  REQUIRE(route.size() == 2);
  CHECK(cluster.link(route[0]).name == "gpu1.nic.tx");
  CHECK(cluster.link(route[1]).name == "gpu6.nic.rx");
  CHECK(cluster.link(route[0]).latency == units::us(2.5));
  CHECK(cluster.link(route[1]).latency == Time::zero());
}

TEST_CASE("cluster: a route from a GPU to itself is a bug, not a route", "[topology]") {
  const Cluster cluster(testing::small_cluster());
  CHECK_THROWS_AS(cluster.route(GpuId(2), GpuId(2)), InternalError);
}

}  // namespace dsim::topology
