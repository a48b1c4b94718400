// SPDX-License-Identifier: Apache-2.0
// The flow-level network: flows share links max-min fairly, shares change as flows come and go, latency is paid
// after the bytes. Cluster: tests/topology/test_clusters.hpp (NIC 40 GB/s effective, PCIe 51.2, cross-node route
// latency 2.7 us).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "models/network/flow_network.hpp"
#include "models/network/simple_network.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"
#include "tests/models/max_min_oracle.hpp"
#include "tests/topology/test_clusters.hpp"

namespace dsim::models::network {
namespace {

std::vector<FlowId> advance(FlowNetwork& network, Time t) {
  std::vector<FlowId> finished;
  network.advance_to(t, finished);
  return finished;
}

// Advances through every pending event and returns each flow's completion time.
std::vector<Time> run_to_end(FlowNetwork& network, std::size_t flows) {
  std::vector<Time> done(flows, Time::infinite());
  for (Time next = network.next_completion(); !next.is_infinite(); next = network.next_completion()) {
    for (const FlowId f : advance(network, next)) done[f.index()] = next;
  }
  return done;
}

}  // namespace

TEST_CASE("flow network: a lone flow takes latency plus size over its bottleneck, as the simple model says",
          "[models]") {
  // GPU 0 -> GPU 4: bottleneck the NIC at 40 GB/s: 8e6 B in 200 us, plus 2.7 us of latency.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  FlowNetwork network(cluster);
  network.start_flow({GpuId(0), GpuId(4), Bytes(8'000'000)});
  CHECK(run_to_end(network, 1)[0] == units::us(202.7));
  const SimpleNetwork simple(cluster);
  CHECK(simple.flow_time(cluster.route(GpuId(0), GpuId(4), 0), Bytes(8'000'000)) == units::us(202.7));
}

TEST_CASE("flow network: two flows out of one NIC share it equally", "[models]") {
  // GPU 0 -> GPU 4 and GPU 0 -> GPU 5 both leave through NIC 0 (40 GB/s): 20 GB/s each, 8e6 B in 400 us, + 2.7 us.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  FlowNetwork network(cluster);
  const FlowId a = network.start_flow({GpuId(0), GpuId(4), Bytes(8'000'000)});
  const FlowId b = network.start_flow({GpuId(0), GpuId(5), Bytes(8'000'000)});
  CHECK(network.rate(a) == Approx(20e9).epsilon(1e-12));
  CHECK(network.rate(b) == Approx(20e9).epsilon(1e-12));
  const auto done = run_to_end(network, 2);
  CHECK(done[0] == units::us(402.7));
  CHECK(done[1] == units::us(402.7));
}

TEST_CASE("flow network: when a flow's bytes are through, the others speed up", "[models]") {
  // A: 8e6 B, B: 4e6 B, both through NIC 0. At 20 GB/s each, B's bytes end at 200 us (completes at 202.7 us). A has
  // 4e6 B left and then gets all 40 GB/s: 100 us more, bytes end at 300 us, completes at 302.7 us.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  FlowNetwork network(cluster);
  const FlowId a = network.start_flow({GpuId(0), GpuId(4), Bytes(8'000'000)});
  network.start_flow({GpuId(0), GpuId(5), Bytes(4'000'000)});
  CHECK(network.next_completion() == units::us(200));
  CHECK(advance(network, units::us(200)).empty());
  CHECK(network.rate(a) == Approx(40e9).epsilon(1e-12));
  const auto done = run_to_end(network, 2);
  CHECK(done[1] == units::us(202.7));
  CHECK(done[0] == units::us(302.7));
}

TEST_CASE("flow network: a flow started later joins the share from its start", "[models]") {
  // A (8e6 B) runs alone at 40 GB/s for 100 us (4e6 B moved). B (2e6 B) joins at 100 us: 20 GB/s each. B's bytes
  // take 100 us (ends 200 us, completes 202.7 us); A moved 2e6 B more, 2e6 B left at 40 GB/s: 50 us, bytes end at
  // 250 us, completes at 252.7 us.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  FlowNetwork network(cluster);
  network.start_flow({GpuId(0), GpuId(4), Bytes(8'000'000)});
  CHECK(advance(network, units::us(100)).empty());
  network.start_flow({GpuId(0), GpuId(5), Bytes(2'000'000)});
  const auto done = run_to_end(network, 2);
  CHECK(done[1] == units::us(202.7));
  CHECK(done[0] == units::us(252.7));
}

TEST_CASE("flow network: flows on disjoint paths do not slow each other", "[models]") {
  // GPU 0 -> 4 and GPU 2 -> 6 use different NICs and PCIe switches: 202.7 us each.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  FlowNetwork network(cluster);
  network.start_flow({GpuId(0), GpuId(4), Bytes(8'000'000)});
  network.start_flow({GpuId(2), GpuId(6), Bytes(8'000'000)});
  const auto done = run_to_end(network, 2);
  CHECK(done[0] == units::us(202.7));
  CHECK(done[1] == units::us(202.7));
}

TEST_CASE("flow network: a zero-byte flow pays only its latency and counts no bytes", "[models]") {
  // GPU 0 -> GPU 1 inside a node: NVLink latency 1 us.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  FlowNetwork network(cluster);
  network.start_flow({GpuId(0), GpuId(1), Bytes(0)});
  CHECK(run_to_end(network, 1)[0] == units::us(1));
  std::uint64_t total = 0;
  for (const auto bytes : network.link_bytes()) total += bytes;
  CHECK(total == 0);
}

TEST_CASE("flow network: advancing backwards is a bug", "[models]") {
  const topology::Cluster cluster(dsim::testing::small_cluster());
  FlowNetwork network(cluster);
  advance(network, units::us(5));
  std::vector<FlowId> finished;
  CHECK_THROWS_AS(network.advance_to(units::us(4), finished), InternalError);
}

TEST_CASE("flow network: flows re-predicted all at once by one re-share still end in order, each on time",
          "[models]") {
  // 20 flows GPU 0 -> GPU 4 of k x 1e6 B (k = 1..20) share NIC 0 (40 GB/s): processor sharing. While 21 - j flows
  // are left, each moves 1e6 B at 40e9 / (21 - j) B/s, which takes (21 - j) x 25 us; flow k's bytes end at
  // sum_{j=1..k} (21 - j) x 25 us (500 us, 975 us, ...) and it completes 2.7 us later. Every end re-predicts all
  // the flows left, many at once, as a large all-to-all does. Tolerance 1 ns (rounding of each end to picoseconds).
  const topology::Cluster cluster(dsim::testing::small_cluster());
  FlowNetwork network(cluster);
  for (int k = 1; k <= 20; ++k) network.start_flow({GpuId(0), GpuId(4), Bytes(1'000'000ULL * k)});
  std::vector<Time> order;
  std::vector<Time> done(20, Time::infinite());
  for (Time next = network.next_completion(); !next.is_infinite(); next = network.next_completion()) {
    for (const FlowId f : advance(network, next)) {
      done[f.index()] = next;
      order.push_back(next);
    }
  }
  double bytes_end_us = 0;
  for (int k = 1; k <= 20; ++k) {
    bytes_end_us += (21 - k) * 25.0;
    INFO("flow " << k);
    CHECK(std::abs(units::to_seconds(done[k - 1]) - (bytes_end_us + 2.7) * 1e-6) < 1e-9);
  }
  CHECK(std::is_sorted(order.begin(), order.end()));
}

}  // namespace dsim::models::network

namespace dsim::models::network {

TEST_CASE("flow network: flows ending within the completion tolerance end together, each at its own time",
          "[models]") {
  // A (8e6 B) and B (8.004e6 B) share NIC 0 at 20 GB/s. A's bytes end at 400 us. Exact: B has 4,000 B left and then
  // 40 GB/s, so its bytes end 0.1 us later, at 400.1 us; it completes at 402.8 us. With tolerance 0.001, B's predicted
  // end, 400.2 us (at 20 GB/s), lies within 0.001 x its own 400.2 us of 400 us, so B ends with A, at 400.2 us,
  // completing at 402.9 us. The error, 0.1 us, is within 0.001 x 400.2 us.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  for (const double tolerance : {0.0, 0.001}) {
    FlowNetwork network(cluster, {}, tolerance);
    network.start_flow({GpuId(0), GpuId(4), Bytes(8'000'000)});
    network.start_flow({GpuId(0), GpuId(5), Bytes(8'004'000)});
    const auto done = run_to_end(network, 2);
    INFO("tolerance " << tolerance);
    CHECK(done[0] == units::us(402.7));
    CHECK(done[1] == (tolerance == 0.0 ? units::us(402.8) : units::us(402.9)));
  }
}

}  // namespace dsim::models::network

namespace dsim::models::network {

TEST_CASE("flow network: bytes are conserved: each flow's rate integrates to its size and every flow ends once",
          "[models]") {
  // 200 random flows (fixed seed 5) between random GPU pairs of the small cluster, started in 4 waves 20 us apart.
  // Between two events the model's rates are constant, so summing rate x interval over the run gives the bytes each
  // flow moved: it must equal the flow's size (to 1e-6, the rounding of event times to picoseconds), every flow must
  // end exactly once, and the bytes counted leaving GPUs must equal those entering GPUs and the sizes' total. Ids of
  // finished flows are reused, so the test keeps which flow holds each id.
  const topology::Cluster cluster(dsim::testing::small_cluster());
  FlowNetwork network(cluster, {}, 0.0);
  core::RngStream rng(5, "conservation");
  std::vector<double> sizes;
  std::vector<double> moved;
  std::vector<int> endings;
  std::vector<FlowId> id_of;            // by flow
  std::vector<std::size_t> flow_of_id;  // by id: the flow holding it now
  std::vector<bool> alive;
  std::uint64_t total = 0;
  auto start_wave = [&] {
    for (int i = 0; i < 50; ++i) {
      const auto src = static_cast<GpuId::Value>(rng.uniform_below(8));
      auto dst = static_cast<GpuId::Value>(rng.uniform_below(7));
      if (dst >= src) ++dst;
      const Bytes size(1 + rng.uniform_below(4'000'000));
      const FlowId id = network.start_flow({GpuId(src), GpuId(dst), size});
      if (flow_of_id.size() <= id.index()) flow_of_id.resize(id.index() + 1);
      flow_of_id[id.index()] = sizes.size();
      id_of.push_back(id);
      alive.push_back(true);
      sizes.push_back(static_cast<double>(size.count()));
      moved.push_back(0.0);
      endings.push_back(0);
      total += size.count();
    }
  };
  int waves = 1;
  start_wave();
  std::vector<FlowId> done;
  for (;;) {
    const Time wave_at = waves < 4 ? units::us(20.0 * waves) : Time::infinite();
    const Time next = std::min(network.next_completion(), wave_at);
    if (next.is_infinite()) break;
    const double dt = units::to_seconds(next - network.now());
    for (std::size_t f = 0; f < moved.size(); ++f) {
      if (alive[f]) moved[f] += network.rate(id_of[f]) * dt;
    }
    done.clear();
    network.advance_to(next, done);
    for (const FlowId id : done) {
      const std::size_t f = flow_of_id[id.index()];
      ++endings[f];
      alive[f] = false;
    }
    if (next == wave_at) {
      start_wave();
      ++waves;
    }
  }
  for (std::size_t f = 0; f < sizes.size(); ++f) {
    INFO("flow " << f);
    CHECK(endings[f] == 1);
    CHECK(moved[f] == Approx(sizes[f]).epsilon(1e-6));
  }
  std::uint64_t out_of_gpus = 0;
  std::uint64_t into_gpus = 0;
  for (std::size_t l = 0; l < cluster.links().size(); ++l) {
    const auto& link = cluster.links()[l];
    if (link.from.kind == topology::VertexKind::gpu) out_of_gpus += network.link_bytes()[l];
    if (link.to.kind == topology::VertexKind::gpu) into_gpus += network.link_bytes()[l];
  }
  CHECK(out_of_gpus == total);
  CHECK(into_gpus == total);
}

TEST_CASE("flow network: leaving covered links out of the sharing changes no flow's rate", "[models]") {
  // 8 nodes x 4 GPUs on a 4-plane fat-tree of radix 8 (PXN moves cross-plane flows over NVLink first), 150 random
  // flows (fixed seed 17), one in ten from host memory unless the network is built for flows between GPUs only. The
  // network shares bandwidth without the links another link covers (Cluster::covering_link); the oracle fills every
  // link of every full route. The rates must agree, both when the NIC port covers the PCIe legs and when narrower
  // PCIe legs cover the NIC port, with and without NVLink and host reads.
  topology::ClusterSpec spec = dsim::testing::small_cluster();
  spec.nodes = 8;
  spec.fabric.kind = topology::FabricKind::multi_plane_fat_tree;
  spec.fabric.radix = 8;
  spec.fabric.planes = 4;
  auto routes = topology::Cluster::Routes::all;
  SECTION("NIC narrower than PCIe") {}
  SECTION("NIC narrower than PCIe, flows between GPUs only") { routes = topology::Cluster::Routes::gpu_to_gpu; }
  SECTION("PCIe narrower than the NIC") { spec.node.pcie.bandwidth = units::GBps(32); }
  SECTION("no NVLink") { spec.node.nvlink = {}; }
  const topology::Cluster cluster(spec);
  FlowNetwork network(cluster, {}, 0.0, routes);
  testing::MaxMinOracle oracle;
  for (const auto& link : cluster.links()) oracle.add_link(link.effective_capacity().Bps());
  core::RngStream rng(17, "covered links");
  std::vector<FlowId> ids;
  for (std::uint32_t i = 0; i < 150; ++i) {
    const auto dst = static_cast<GpuId::Value>(rng.uniform_below(32));
    auto src = static_cast<GpuId::Value>(rng.uniform_below(31));
    if (src >= dst) ++src;
    FlowRequest request{GpuId(src), GpuId(dst), Bytes(1'000'000)};
    if (rng.uniform_below(10) == 0 && routes == topology::Cluster::Routes::all) {
      request.source = FlowSource::host_memory;
    }
    ids.push_back(network.start_flow(request));
    // The network's ECMP key is the flow's start sequence.
    const topology::Route route = request.source == FlowSource::host_memory ? cluster.host_to_gpu(GpuId(dst))
                                                                           : cluster.route(GpuId(src), GpuId(dst), i);
    std::vector<std::uint32_t> path;
    for (const LinkId link : route) path.push_back(link.value());
    oracle.add_flow(i, path);
  }
  const auto expected = oracle.solve();
  for (std::uint32_t i = 0; i < ids.size(); ++i) {
    INFO("flow " << i);
    CHECK(network.rate(ids[i]) == Approx(expected.at(i)).epsilon(1e-9));
  }
  if (routes == topology::Cluster::Routes::gpu_to_gpu) {
    FlowRequest read{GpuId(0), GpuId(1), Bytes(1)};
    read.source = FlowSource::host_memory;
    CHECK_THROWS_WITH(network.start_flow(read),
                      Catch::Contains("a host memory read on a network built for flows between GPUs only"));
  }
}

}  // namespace dsim::models::network
