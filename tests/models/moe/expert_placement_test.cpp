// SPDX-License-Identifier: Apache-2.0
// Expert placement: contiguous primary blocks, local replica preference, round robin, greedy redundant experts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "models/collectives/moe/expert_placement.hpp"
#include "models/collectives/moe/router.hpp"
#include "sim/core/errors.hpp"

namespace dsim::models::collectives::moe {
namespace {

std::vector<GpuId> gpus(std::initializer_list<std::uint32_t> ids) {
  std::vector<GpuId> out;
  for (const std::uint32_t id : ids) out.emplace_back(id);
  return out;
}

std::vector<GpuId> as_vector(std::span<const GpuId> span) { return {span.begin(), span.end()}; }

// Loads for 8 experts on 4 GPUs (2 each, 2 GPUs per node): GPU 0 hosts 0.30 + 0.20 = 0.50, GPU 1 0.05 + 0.05 =
// 0.10, GPUs 2 and 3 0.10 + 0.10 = 0.20 each.
const std::vector<double> skewed = {0.30, 0.20, 0.05, 0.05, 0.10, 0.10, 0.10, 0.10};

}  // namespace

TEST_CASE("placement: GPU i of the group hosts the i-th block of E / n experts", "[models]") {
  // 16 experts over GPUs 8, 9, 10, 11 (node 2 of 4 GPUs each): 4 experts per GPU, expert e on GPU 8 + e / 4.
  const ExpertPlacement placement(16, gpus({8, 9, 10, 11}), 4);
  CHECK(placement.experts() == 16);
  CHECK(placement.group() == gpus({8, 9, 10, 11}));
  for (int e = 0; e < 16; ++e) {
    CHECK(as_vector(placement.replicas(e)) == gpus({8 + static_cast<std::uint32_t>(e) / 4}));
    CHECK(placement.gpu_for(e, GpuId(0), e) == GpuId(8 + static_cast<std::uint32_t>(e) / 4));
  }
  CHECK(placement.node_of(GpuId(11)) == 2);
  CHECK(placement.node_of(GpuId(12)) == 3);
  CHECK(placement.index_of(GpuId(10)) == 2);
  CHECK(placement.index_of(GpuId(3)) == -1);
  CHECK(std::vector<int>(placement.hosted(1).begin(), placement.hosted(1).end()) == std::vector<int>{4, 5, 6, 7});
}

TEST_CASE("placement: redundant experts go to the hottest experts and the least loaded GPUs", "[models]") {
  // Two replicas, at most ceil(2/4) = 1 per GPU. Expert 0 (0.30) goes first: the least loaded GPU other than its
  // own GPU 0 is GPU 1 (0.10), which then carries 0.10 + 0.15 = 0.25 and GPU 0 0.35. Expert 1 (0.20) next: GPU 1
  // has its one replica, GPUs 2 and 3 tie at 0.20, the lower index wins: GPU 2.
  const ExpertPlacement placement(8, gpus({0, 1, 2, 3}), 2, 2, skewed);
  CHECK(placement.redundant() == 2);
  CHECK(as_vector(placement.replicas(0)) == gpus({0, 1}));
  CHECK(as_vector(placement.replicas(1)) == gpus({0, 2}));
  for (int e = 2; e < 8; ++e) CHECK(placement.replicas(e).size() == 1);
  CHECK(std::vector<int>(placement.hosted(1).begin(), placement.hosted(1).end()) == std::vector<int>{2, 3, 0});
  CHECK(std::vector<int>(placement.hosted(2).begin(), placement.hosted(2).end()) == std::vector<int>{4, 5, 1});
  CHECK(placement.hosted(3).size() == 2);
}

TEST_CASE("placement: a token goes to a replica on its own node when there is one", "[models]") {
  // From the case above: expert 1 lives on GPU 0 (node 0) and GPU 2 (node 1). Senders on node 1 (GPUs 2, 3) use
  // GPU 2, senders on node 0 use GPU 0, whatever the token index.
  const ExpertPlacement placement(8, gpus({0, 1, 2, 3}), 2, 2, skewed);
  for (int t = 0; t < 4; ++t) {
    CHECK(placement.gpu_for(1, GpuId(3), t) == GpuId(2));
    CHECK(placement.gpu_for(1, GpuId(2), t) == GpuId(2));
    CHECK(placement.gpu_for(1, GpuId(1), t) == GpuId(0));
    // Both replicas of expert 0 are on node 0: the first one is the local choice.
    CHECK(placement.gpu_for(0, GpuId(1), t) == GpuId(0));
  }
}

TEST_CASE("placement: without a local replica, tokens take the replicas in turn", "[models]") {
  // Expert 0 lives on GPUs 0 and 1 (node 0); a sender on node 1 alternates by token index: 0, 1, 0, 1. A sender
  // outside the group (GPU 6, node 3) does the same for expert 1: GPUs 0, 2, 0, 2.
  const ExpertPlacement placement(8, gpus({0, 1, 2, 3}), 2, 2, skewed);
  const std::vector<GpuId> expert0 = {placement.gpu_for(0, GpuId(3), 0), placement.gpu_for(0, GpuId(3), 1),
                                      placement.gpu_for(0, GpuId(3), 2), placement.gpu_for(0, GpuId(3), 3)};
  CHECK(expert0 == gpus({0, 1, 0, 1}));
  const std::vector<GpuId> expert1 = {placement.gpu_for(1, GpuId(6), 0), placement.gpu_for(1, GpuId(6), 1),
                                      placement.gpu_for(1, GpuId(6), 2), placement.gpu_for(1, GpuId(6), 3)};
  CHECK(expert1 == gpus({0, 2, 0, 2}));
}

TEST_CASE("placement: with a zipf router's load, the replicated experts are its hottest", "[models]") {
  // V3-like prefill: 256 experts on 32 GPUs, 32 redundant experts, one per GPU. The 32 experts of highest expected
  // load each get a second replica, off their own GPU, and every GPU takes exactly one.
  RouterSpec spec;
  spec.kind = RouterKind::zipf;
  spec.zipf_exponent = 1.2;
  spec.seed = 7;
  const auto load = Router(spec).expected_load();
  std::vector<GpuId> group;
  for (std::uint32_t g = 0; g < 32; ++g) group.emplace_back(g);
  const ExpertPlacement placement(256, group, 8, 32, load);
  std::vector<int> order(256);
  for (int e = 0; e < 256; ++e) order[e] = e;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return load[a] > load[b]; });
  for (int i = 0; i < 256; ++i) {
    const auto hosts = placement.replicas(order[i]);
    CHECK(hosts.size() == (i < 32 ? 2u : 1u));
    if (hosts.size() == 2) CHECK(hosts[0] != hosts[1]);
  }
  for (int g = 0; g < 32; ++g) CHECK(placement.hosted(g).size() == 9);
}

TEST_CASE("placement: bad arguments name the argument at fault", "[models]") {
  struct Case {
    int experts;
    std::vector<GpuId> group;
    int gpus_per_node;
    int redundant;
    std::vector<double> load;
    const char* where;
    const char* message;
  };
  const Case cases[] = {
      {10, gpus({0, 1, 2, 3}), 8, 0, {}, "experts", "10 experts do not divide evenly over the group's 4 GPUs"},
      {8, {}, 8, 0, {}, "group", "the EP group has no GPUs"},
      {8, gpus({0, 1, 1, 3}), 8, 0, {}, "group", "GPU 1 appears twice in the group"},
      {8, gpus({0, 1}), 0, 0, {}, "gpus_per_node", "must be at least 1, got 0"},
      {8, gpus({0, 1}), 8, -1, {}, "redundant", "must be between 0 and experts (8), got -1"},
      {8, gpus({0, 1}), 8, 9, {}, "redundant", "must be between 0 and experts (8), got 9"},
      {8, gpus({0}), 8, 1, {}, "redundant", "a redundant replica needs a second GPU in the group"},
      {8, gpus({0, 1}), 8, 1, {0.5, 0.5}, "expected_load", "has 2 entries, expected one per expert (8)"},
      {4, gpus({0, 1}), 8, 1, {0.5, -0.5, 0.5, 0.5}, "expected_load", "entry 1 is -0.5, expected a finite share >= 0"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.where, c.message);
    try {
      ExpertPlacement(c.experts, c.group, c.gpus_per_node, c.redundant, c.load);
      FAIL("no InputError was thrown");
    } catch (const InputError& error) {
      CHECK(error.source() == "placement");
      CHECK(error.where() == c.where);
      CHECK(error.message() == c.message);
    }
  }
}

}  // namespace dsim::models::collectives::moe
