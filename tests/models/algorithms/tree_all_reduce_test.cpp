// SPDX-License-Identifier: Apache-2.0
// The double-binary-tree all-reduce against hand-worked schedules on one node of the test cluster (NVLink
// 160 GB/s + 1 us), and its tree shapes. Tree 0 puts rank r at position r, tree 1 at (r+1) mod n; even positions
// are the leaves; for n = 4, tree 0 is 3 <- 1 <- {0, 2} and tree 1 is 2 <- 0 <- {3, 1}.
#include <catch2/catch.hpp>

#include <set>

#include "tests/models/algorithms/collective_timing.hpp"

namespace dsim::models::collectives {

using namespace collective_tests;

namespace {

CollectiveRequest tree_request(std::vector<GpuId> group, std::uint64_t size, int chunks) {
  auto request = make_request(CollectiveKind::all_reduce, std::move(group), size);
  request.algorithm = AllReduceAlgorithm::tree;
  request.pipeline_chunks = chunks;
  return request;
}

}  // namespace

TEST_CASE("tree all-reduce on two ranks pipelines C chunks in (C + 1) a + size / B", "[models]") {
  // n = 2: tree 0 is 1 <- 0, tree 1 is 0 <- 1; each carries 6.4e6 B in C = 4 chunks of c = 1.6e6 B (10 us alone at
  // 160 GB/s). Step 1: each rank sends its first chunk up (11 us). Steps 2-4: each link carries one chunk up and
  // one down at once, 20 us + 1 us each. Step 5: the last chunks come down, 11 us. 11 + 3 x 21 + 11 = 85 us =
  // 5 x 1 us + 12.8e6 / 160e9.
  CHECK(plan_time(cluster_of(1), tree_request(gpu_range(0, 2), 12'800'000, 4)) == units::us(85));
}

TEST_CASE("tree all-reduce on two ranks waits for the root's reduction before broadcasting", "[models]") {
  // n = 2, C = 1, chunks of 1.6e6 B: up in 11 us, a reduction of 1.6e6 B at 80 GB/s (20 us) at each root, down in
  // 11 us: 42 us = 2a + size/B + r(size/2).
  auto request = tree_request(gpu_range(0, 2), 3'200'000, 1);
  request.reduce_bandwidth = units::GBps(80);
  CHECK(plan_time(cluster_of(1), request) == units::us(42));
}

TEST_CASE("tree all-reduce on four ranks, unpipelined, takes 4a + 3 size/B plus two levels of reductions",
          "[models]") {
  // n = 4, C = 1, c = 1.6e6 B per tree. Up, level 1: ranks 1 and 0 each take two children's chunks at once, 80 GB/s
  // each: 20 + 1 = 21 us; they reduce 3.2e6 B (40 us at 80 GB/s). Up, level 2: 1 -> 3 and 0 -> 2 alone: 11 us; the
  // roots reduce 1.6e6 B (20 us). Down: 3 -> 1 and 2 -> 0: 11 us; then 1 and 0 send to two children each at
  // 80 GB/s: 21 us. Without reductions 64 us = 4a + 3 x 3.2e6 / 160e9; with them 64 + 40 + 20 = 124 us.
  auto request = tree_request(gpu_range(0, 4), 3'200'000, 1);
  CHECK(plan_time(cluster_of(1), request) == units::us(64));
  request.reduce_bandwidth = units::GBps(80);
  CHECK(plan_time(cluster_of(1), request) == units::us(124));
}

TEST_CASE("tree all-reduce: every rank is interior in one tree and a leaf in the other", "[models]") {
  // n = 8, size 2001 B, C = 1: tree 0 carries 1001 B, tree 1 1000 B, so a transfer's size names its tree. Leaves
  // are even positions: in tree 0 the even ranks, in tree 1 the odd ones, so the odd ranks receive chunks going up
  // in tree 0 only, the even ranks in tree 1 only. Each tree has n-1 = 7 edges, each crossed once each way.
  const CommPlan plan = plan_collective(tree_request(gpu_range(0, 8), 2001, 1));
  std::map<std::uint32_t, std::set<std::uint64_t>> trees_received_up;
  for (const Step& step : steps_in(plan, "tree reduce")) trees_received_up[step.dst.value()].insert(step.size.count());
  for (std::uint32_t r = 0; r < 8; ++r) {
    CHECK(trees_received_up[r] == std::set<std::uint64_t>{r % 2 == 1 ? 1001u : 1000u});
  }
  CHECK(steps_in(plan, "tree reduce").size() == 14);
  CHECK(steps_in(plan, "tree broadcast").size() == 14);
}

TEST_CASE("tree all-reduce moves 2(n-1) times the buffer, whatever the split", "[models]") {
  // n = 5, 1001 B in C = 3 chunks per tree: every byte of each tree's half goes up and down each of its n-1 = 4
  // edges once: 2 x 4 x 1001 = 8008 B.
  const CommPlan plan = plan_collective(tree_request(gpu_range(0, 5), 1001, 3));
  CHECK(plan.transfer_bytes() == Bytes(8008));
}

TEST_CASE("tree all-reduce: pipelining a large buffer beats sending it whole, down to 2 size / B", "[models]") {
  // n = 4, 64e6 B. Unpipelined: 4a + 3 size/B = 4 + 1200 us. With C = 16 the stages overlap; no link carries more
  // than 2 size (640 us at 160 GB/s) nor can the run beat it: 640 us < T(16) < T(1).
  const auto whole = plan_time(cluster_of(1), tree_request(gpu_range(0, 4), 64'000'000, 1));
  const auto piped = plan_time(cluster_of(1), tree_request(gpu_range(0, 4), 64'000'000, 16));
  CHECK(whole == units::us(1204));
  CHECK(piped < whole);
  CHECK(piped > units::us(640));
}

}  // namespace dsim::models::collectives
