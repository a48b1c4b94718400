// SPDX-License-Identifier: Apache-2.0
// Routes through the assembled cluster on real fabrics: PXN on the multi-plane fat-tree, crossing rails on the
// multi-rail fat-tree, ECMP spread, static and adaptive choices, routes that are connected and loop-free, and links
// covered by a narrower link on every route through them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "sim/core/rng.hpp"
#include "tests/topology/test_clusters.hpp"
#include "topology/cluster.hpp"

namespace dsim::topology {
namespace {

// 8 nodes x 4 GPUs x 4 NICs on radix-8 switches: 32 NICs. On a fat-tree a leaf has 4 endpoint ports and 4 uplinks.
ClusterSpec fabric_cluster(FabricKind kind, RoutingPolicy routing = RoutingPolicy::ecmp) {
  ClusterSpec spec = testing::small_cluster();
  spec.nodes = 8;
  spec.fabric.kind = kind;
  spec.fabric.radix = 8;
  const bool planar = kind == FabricKind::multi_plane_fat_tree || kind == FabricKind::multi_rail_fat_tree;
  spec.fabric.planes = planar ? 4 : 1;
  spec.routing = routing;
  spec.seed = 11;
  return spec;
}

std::vector<Vertex> vertices(const Cluster& cluster, const Route& route) {
  std::vector<Vertex> out;
  for (const LinkId id : route) out.push_back(cluster.link(id).from);
  out.push_back(cluster.link(route.back()).to);
  return out;
}

std::vector<std::uint32_t> fabric_switches(const Cluster& cluster, const Route& route) {
  std::vector<std::uint32_t> out;
  for (const Vertex v : vertices(cluster, route)) {
    if (v.kind == VertexKind::fabric_switch) out.push_back(v.index);
  }
  return out;
}

// Every link starts where the previous one ended, and no vertex is visited twice.
void check_connected_and_loop_free(const Cluster& cluster, const Route& route, GpuId src, GpuId dst) {
  REQUIRE_FALSE(route.empty());
  CHECK(cluster.link(route.front()).from.kind == VertexKind::gpu);
  CHECK(cluster.link(route.front()).from.index == src.value());
  CHECK(cluster.link(route.back()).to.index == dst.value());
  for (std::size_t i = 0; i + 1 < route.size(); ++i) {
    const Vertex a = cluster.link(route[i]).to;
    const Vertex b = cluster.link(route[i + 1]).from;
    CHECK((a.kind == b.kind && a.index == b.index));
  }
  std::set<std::pair<int, std::uint32_t>> seen;
  for (const Vertex v : vertices(cluster, route)) {
    CHECK(seen.insert({static_cast<int>(v.kind), v.index}).second);
  }
}

}  // namespace

TEST_CASE("cluster routing: a cross-plane flow on MPFT moves over NVLink first and stays in the destination's plane",
          "[topology]") {
  // GPU 0 (node 0, NIC 0, plane 0) to GPU 5 (node 1, local 1, NIC 5 on plane 1). Planes share no switch, so the data
  // goes to GPU 1 of node 0 over NVLink, out through NIC 1 (plane 1), and reaches NIC 5 inside plane 1.
  const Cluster cluster(fabric_cluster(FabricKind::multi_plane_fat_tree));
  const Route route = cluster.route(GpuId(0), GpuId(5), 3);
  check_connected_and_loop_free(cluster, route, GpuId(0), GpuId(5));
  CHECK(cluster.link_name(route[0]) == "gpu0->node0.nvswitch");
  CHECK(cluster.link_name(route[1]) == "node0.nvswitch->gpu1");
  CHECK(cluster.link_name(route[3]) == "node0.pcie0->nic1");
  for (const std::uint32_t s : fabric_switches(cluster, route)) CHECK(cluster.fabric().switch_info(s).plane == 1);
}

TEST_CASE("cluster routing: a same-plane flow on MPFT uses no NVLink", "[topology]") {
  // GPU 1 and GPU 5 are both local GPU 1: NIC 1 and NIC 5 are on plane 1.
  const Cluster cluster(fabric_cluster(FabricKind::multi_plane_fat_tree));
  const Route route = cluster.route(GpuId(1), GpuId(5), 3);
  check_connected_and_loop_free(cluster, route, GpuId(1), GpuId(5));
  for (const LinkId id : route) CHECK(cluster.link(id).kind != LinkKind::nvlink);
}

TEST_CASE("cluster routing: a cross-rail flow on MRFT crosses the shared spine layer, not NVLink", "[topology]") {
  // NIC 0 (rail 0) to NIC 5 (rail 1): leaf of rail 0, a shared spine, leaf of rail 1.
  const Cluster cluster(fabric_cluster(FabricKind::multi_rail_fat_tree));
  const Route route = cluster.route(GpuId(0), GpuId(5), 3);
  check_connected_and_loop_free(cluster, route, GpuId(0), GpuId(5));
  for (const LinkId id : route) CHECK(cluster.link(id).kind != LinkKind::nvlink);
  const auto switches = fabric_switches(cluster, route);
  REQUIRE(switches.size() == 3);
  CHECK(cluster.fabric().switch_info(switches[0]).plane == 0);
  CHECK(cluster.fabric().switch_info(switches[1]).plane == shared_plane);
  CHECK(cluster.fabric().switch_info(switches[2]).plane == 1);
}

TEST_CASE("cluster routing: NICs on one leaf meet at the leaf, NICs on two FT2 leaves cross one spine", "[topology]") {
  // FT2 radix 8: 4 NICs per leaf, so NICs 0-3 (node 0) share leaf 0 and NIC 4 (node 1) sits on leaf 1.
  const Cluster cluster(fabric_cluster(FabricKind::fat_tree_2));
  CHECK(fabric_switches(cluster, cluster.route(GpuId(0), GpuId(8), 1)).size() == 3);
  // GPU 0 to GPU 3 is inside node 0: NVLink only.
  CHECK(fabric_switches(cluster, cluster.route(GpuId(0), GpuId(3), 1)).empty());
  auto spec = fabric_cluster(FabricKind::fat_tree_2);
  spec.node.gpus = 2;
  spec.node.nic.count = 2;
  spec.node.pcie = {1, 1, units::GBps(64), 0.8, units::us(0.1)};
  const Cluster pairs(spec);  // 2 NICs per node: nodes 0 and 1 share leaf 0
  CHECK(fabric_switches(pairs, pairs.route(GpuId(0), GpuId(2), 1)).size() == 1);
}

TEST_CASE("cluster routing: ECMP spreads flows between two leaves evenly over the spines", "[topology]") {
  // FT2 radix 8: leaf 0 has 4 uplinks, one to each of 4 spines. 4,000 flow keys from GPU 0 to GPU 8 should put
  // about 1,000 on each spine; a hash this good stays within 10% (seed 11, keys 0..3999).
  const Cluster cluster(fabric_cluster(FabricKind::fat_tree_2));
  std::map<std::uint32_t, int> per_spine;
  for (std::uint64_t key = 0; key < 4000; ++key) per_spine[fabric_switches(cluster, cluster.route(GpuId(0), GpuId(8), key))[1]]++;
  REQUIRE(per_spine.size() == 4);
  for (const auto& [spine, count] : per_spine) {
    INFO("spine " << spine);
    CHECK(count == Approx(1000).margin(100));
  }
}

TEST_CASE("cluster routing: a route says whether the ECMP key chose it, and one it did not choose is every key's",
          "[topology]") {
  // Every GPU pair of five fabrics (8 nodes of 4 GPUs) under ECMP and static routing, keys 0..15. A route the key did not choose (inside
  // a node, between NICs of one leaf, any route under static routing) must come out the same for all 16 keys; one
  // it chose must have an equal-cost choice, so some pair of each ECMP fabric with several spines gives two routes.
  for (const FabricKind kind : {FabricKind::single_switch, FabricKind::fat_tree_2, FabricKind::fat_tree_3,
                                FabricKind::multi_plane_fat_tree, FabricKind::multi_rail_fat_tree}) {
    for (const RoutingPolicy routing : {RoutingPolicy::ecmp, RoutingPolicy::static_}) {
      INFO("fabric " << to_string(kind) << ", routing " << to_string(routing));
      ClusterSpec spec = fabric_cluster(kind, routing);
      if (kind == FabricKind::single_switch) spec.fabric.radix = 32;
      const Cluster cluster(spec);
      const auto gpus = static_cast<std::uint32_t>(cluster.spec().gpu_count());
      std::size_t keyed = 0;
      std::size_t keyed_and_varied = 0;
      Route first;
      Route other;
      for (std::uint32_t src = 0; src < gpus; ++src) {
        for (std::uint32_t dst = 0; dst < gpus; ++dst) {
          if (src == dst) continue;
          const bool chose = cluster.route(GpuId(src), GpuId(dst), 0, first);
          bool varied = false;
          for (std::uint64_t key = 1; key < 16; ++key) {
            CHECK(cluster.route(GpuId(src), GpuId(dst), key, other) == chose);
            varied = varied || other != first;
          }
          if (!chose) CHECK_FALSE(varied);
          keyed += chose ? 1 : 0;
          keyed_and_varied += chose && varied ? 1 : 0;
        }
      }
      if (routing == RoutingPolicy::static_ || kind == FabricKind::single_switch) {
        CHECK(keyed == 0);
      } else {
        CHECK(keyed_and_varied > 0);
      }
    }
  }
}

TEST_CASE("cluster routing: static routing sends every flow to one destination along one path", "[topology]") {
  const Cluster cluster(fabric_cluster(FabricKind::fat_tree_2, RoutingPolicy::static_));
  const Route first = cluster.route(GpuId(0), GpuId(8), 0);
  for (std::uint64_t key = 1; key < 50; ++key) CHECK(cluster.route(GpuId(0), GpuId(8), key) == first);
}

TEST_CASE("cluster routing: adaptive routing avoids the loaded uplink", "[topology]") {
  // With no load the first uplink wins the tie; load it and the route moves to another spine.
  const Cluster cluster(fabric_cluster(FabricKind::fat_tree_2, RoutingPolicy::adaptive));
  std::vector<double> load(cluster.links().size(), 0.0);
  const Route idle = cluster.route(GpuId(0), GpuId(8), 0, load);
  const LinkId uplink = idle[3];  // GPU->PCIe, PCIe->NIC, NIC->leaf, leaf->spine
  REQUIRE(cluster.link(uplink).kind == LinkKind::fabric);
  load[uplink.index()] = 5.0;
  const Route busy = cluster.route(GpuId(0), GpuId(8), 0, load);
  CHECK(busy[3] != uplink);
  check_connected_and_loop_free(cluster, busy, GpuId(0), GpuId(8));
}

TEST_CASE("cluster routing: random routes on every fabric are connected and loop-free", "[topology]") {
  // Fixed seed 2025; 200 random GPU pairs per fabric.
  for (const FabricKind kind : {FabricKind::single_switch, FabricKind::fat_tree_2, FabricKind::fat_tree_3,
                                FabricKind::multi_plane_fat_tree, FabricKind::multi_rail_fat_tree,
                                FabricKind::dragonfly}) {
    INFO(to_string(kind));
    auto spec = fabric_cluster(kind);
    if (kind == FabricKind::single_switch) spec.fabric.radix = 32;
    const Cluster cluster(spec);
    core::RngStream rng(2025, "routes");
    for (int i = 0; i < 200; ++i) {
      const GpuId a(static_cast<GpuId::Value>(rng.uniform_below(32)));
      const GpuId b(static_cast<GpuId::Value>(rng.uniform_below(32)));
      if (a == b) continue;
      check_connected_and_loop_free(cluster, cluster.route(a, b, rng.next_u64()), a, b);
    }
  }
}

namespace {

// Every route of the set (all GPU pairs, four ECMP keys each, and for Routes::all host memory to every GPU) that
// crosses a covered link also crosses its cover, which is narrower (or as wide with a smaller id); returns how many
// links are covered.
std::size_t check_covers(const Cluster& cluster, Cluster::Routes routes) {
  const auto& links = cluster.links();
  for (std::size_t l = 0; l < links.size(); ++l) {
    const LinkId cover = cluster.covering_link(LinkId(static_cast<LinkId::Value>(l)), routes);
    if (!cover.valid()) continue;
    const double wide = links[l].effective_capacity().Bps();
    const double narrow = cluster.link(cover).effective_capacity().Bps();
    CHECK((narrow < wide || (narrow == wide && cover.index() < l)));
  }
  const auto check_route = [&](const Route& route) {
    for (const LinkId link : route) {
      const LinkId cover = cluster.covering_link(link, routes);
      if (!cover.valid()) continue;
      INFO(cluster.link_name(link) << " covered by " << cluster.link_name(cover));
      CHECK(std::find(route.begin(), route.end(), cover) != route.end());
    }
  };
  const auto gpus = static_cast<GpuId::Value>(cluster.gpu_count());
  for (GpuId::Value a = 0; a < gpus; ++a) {
    if (routes == Cluster::Routes::all) check_route(cluster.host_to_gpu(GpuId(a)));
    for (GpuId::Value b = 0; b < gpus; ++b) {
      if (a == b) continue;
      for (std::uint64_t key = 0; key < 4; ++key) check_route(cluster.route(GpuId(a), GpuId(b), key * 7919));
    }
  }
  std::size_t covered = 0;
  for (std::size_t l = 0; l < links.size(); ++l) {
    covered += cluster.covering_link(LinkId(static_cast<LinkId::Value>(l)), routes).valid() ? 1 : 0;
  }
  return covered;
}

}  // namespace

TEST_CASE("cluster routing: every route that crosses a covered link also crosses its narrower cover", "[topology]") {
  for (const FabricKind kind : {FabricKind::single_switch, FabricKind::fat_tree_2, FabricKind::multi_plane_fat_tree,
                                FabricKind::multi_rail_fat_tree, FabricKind::dragonfly}) {
    INFO(to_string(kind));
    auto spec = fabric_cluster(kind);
    if (kind == FabricKind::single_switch) spec.fabric.radix = 32;
    const std::size_t nics = static_cast<std::size_t>(spec.nic_count());
    SECTION("with NVLink: a NIC's PCIe legs and its GPU's link into the switch, behind the 40 GB/s NIC port") {
      const Cluster cluster(spec);
      CHECK(check_covers(cluster, Cluster::Routes::all) == 3 * nics);
      // Without host memory reads the GPU's link down from the switch carries only what its NIC delivers.
      CHECK(check_covers(cluster, Cluster::Routes::gpu_to_gpu) == 4 * nics);
    }
    SECTION("without NVLink: flows inside a node use the GPU's PCIe links, which stay") {
      spec.node.nvlink = {};
      const Cluster cluster(spec);
      CHECK(check_covers(cluster, Cluster::Routes::all) == 2 * nics);
      CHECK(check_covers(cluster, Cluster::Routes::gpu_to_gpu) == 2 * nics);
    }
    SECTION("with PCIe narrower than the NIC: the PCIe legs cover the NIC port instead") {
      spec.node.pcie.bandwidth = units::GBps(32);
      const Cluster cluster(spec);
      CHECK(check_covers(cluster, Cluster::Routes::all) == 2 * nics);
      CHECK(check_covers(cluster, Cluster::Routes::gpu_to_gpu) == 2 * nics);
    }
    SECTION("with PCIe as wide as the NIC: the legs, with the smaller ids, cover the NIC port; the GPU's links stay") {
      spec.node.pcie.bandwidth = units::GBps(50);  // x 0.8 = 40 GB/s, the NIC's effective rate
      const Cluster cluster(spec);
      CHECK(check_covers(cluster, Cluster::Routes::all) == 2 * nics);
      CHECK(check_covers(cluster, Cluster::Routes::gpu_to_gpu) == 2 * nics);
    }
    SECTION("with two GPUs per NIC: each GPU's PCIe links carry a part of its NIC's flows") {
      spec.node.pcie.nics_per_switch = 1;
      spec.node.nic.count = 2;
      if (spec.fabric.planes > 1) spec.fabric.planes = 2;
      const Cluster cluster(spec);
      const auto shared_nics = static_cast<std::size_t>(spec.nic_count());
      const auto gpus = static_cast<std::size_t>(spec.gpu_count());
      CHECK(check_covers(cluster, Cluster::Routes::all) == 2 * shared_nics + gpus);
      CHECK(check_covers(cluster, Cluster::Routes::gpu_to_gpu) == 2 * shared_nics + 2 * gpus);
    }
  }
}

}  // namespace dsim::topology
