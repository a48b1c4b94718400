// SPDX-License-Identifier: Apache-2.0
// Parallel layout: DeepSeek-V3's production layout, the rank arithmetic and its groups, and every validation rule.
#include <algorithm>
#include <set>

#include <catch2/catch.hpp>

#include "tests/workloads/model_fixtures.hpp"

#include "tests/sim/scenario/input_error_of.hpp"
#include "workloads/layout/parallel_layout.hpp"

namespace dsim::workloads {
namespace {

using testing::input_error_of;

using testing::model;

LayoutSpec v3_spec() { return testing::v3_layout_spec(); }

}  // namespace

TEST_CASE("parallel layout: DeepSeek-V3's PP16 x EP64 on 2,048 GPUs has DP128 and two EP groups per stage",
          "[workloads]") {
  // dp = 2,048 / 16 = 128; an EP group is 64 consecutive GPUs (8 nodes), so 2 groups per stage and every expert is
  // held by 2 GPUs; 256 / 64 = 4 experts per GPU; 15,360 / (128 x 1) = 120 micro-batches of 4,096 tokens.
  const ParallelLayout layout(v3_spec(), model("deepseek-v3"));
  CHECK(layout.dp() == 128);
  CHECK(layout.expert_dp() == 2);
  CHECK(layout.local_experts() == 4);
  CHECK(layout.microbatches() == 120);
  CHECK(layout.tokens_per_microbatch() == 4096);

  // Rank 1000 = 7 x 128 + 104: stage 7, dp index 104, ep index 104 mod 64 = 40, EP group 960..1023 (nodes 120-127).
  CHECK(layout.stage_rank(1000) == 7);
  CHECK(layout.dp_index(1000) == 104);
  CHECK(layout.ep_index(1000) == 40);
  CHECK(layout.rank_of(7, 104) == 1000);
  const std::vector<int> ep = layout.ep_group(1000);
  REQUIRE(ep.size() == 64);
  CHECK(ep.front() == 960);
  CHECK(ep.back() == 1023);
  CHECK(layout.node_of(ep.front()) == 120);
  CHECK(layout.node_of(ep.back()) == 127);
  CHECK(layout.first_local_expert(1000) == 160);
  // The other copy of its experts sits at the same ep index in the stage's other EP group: 896 + 40 = 936.
  CHECK(layout.expert_dp_group(1000) == std::vector<int>{936, 1000});
  const std::vector<int> dp = layout.dp_group(1000);
  REQUIRE(dp.size() == 128);
  CHECK(dp.front() == 896);
  CHECK(dp.back() == 1023);
  // The next stage's peer is 128 GPUs on: the same local GPU index, i.e. the same NIC plane.
  CHECK(layout.pipeline_peer(1000, 8) == 1128);
  CHECK(1128 % 8 == 1000 % 8);
}

TEST_CASE("parallel layout: groups tile each stage and every rank maps back to its coordinates", "[workloads]") {
  // 32 GPUs in nodes of 4, PP2 x DP16, EP4: each stage has 4 EP groups; each expert-DP group has 4 GPUs, one per
  // EP group; together the EP groups and the expert-DP groups of a stage cover its 16 GPUs once each.
  LayoutSpec spec;
  spec.gpus = 32;
  spec.gpus_per_node = 4;
  spec.pp = 2;
  spec.ep = 4;
  spec.global_batch = 64;
  spec.micro_batch = 2;
  spec.seq_len = 128;
  const ParallelLayout layout(spec, model("deepseek-v3"));
  CHECK(layout.microbatches() == 2);
  std::set<int> in_ep_groups;
  for (int rank = 0; rank < layout.gpus(); ++rank) {
    CHECK(layout.rank_of(layout.stage_rank(rank), layout.dp_index(rank)) == rank);
    const std::vector<int> ep = layout.ep_group(rank);
    CHECK(std::find(ep.begin(), ep.end(), rank) != ep.end());
    if (ep.front() == rank) in_ep_groups.insert(ep.begin(), ep.end());
    for (int peer : layout.expert_dp_group(rank)) {
      CHECK(layout.stage_rank(peer) == layout.stage_rank(rank));
      CHECK(layout.ep_index(peer) == layout.ep_index(rank));
      CHECK(layout.first_local_expert(peer) == layout.first_local_expert(rank));
    }
    CHECK(layout.expert_dp_group(rank).size() == 4);
  }
  CHECK(in_ep_groups.size() == 32);
}

TEST_CASE("parallel layout: each invalid layout names its field and the fix", "[workloads]") {
  const ModelConfig v3 = model("deepseek-v3");
  const auto error = [&](LayoutSpec spec, const ModelConfig& m) {
    return input_error_of([&] { ParallelLayout(spec, m); });
  };
  LayoutSpec spec = v3_spec();
  spec.pp = 24;
  InputError e = error(spec, v3);
  CHECK(e.source() == "layout");
  CHECK(e.where() == "pp");
  CHECK(e.message() == "2048 GPUs do not split into 24 pipeline ranks; pp must divide gpus");

  spec = v3_spec();
  spec.ep = 256;
  e = error(spec, v3);
  CHECK(e.where() == "ep");
  CHECK(e.message() == "ep 256 does not divide the 128 data-parallel GPUs of a pipeline rank (gpus / pp); choose ep "
                       "among the divisors of 128");

  e = error(v3_spec(), model("deepseek-v2"));
  CHECK(e.where() == "ep");
  CHECK(e.message() == "160 routed experts of deepseek-v2 do not split evenly over ep 64; choose ep among the "
                       "divisors of 160");

  e = error(v3_spec(), model("llama3.1-405b"));
  CHECK(e.where() == "ep");
  CHECK(e.message() == "llama3.1-405b is a dense model without experts; set ep to 1");

  spec = v3_spec();
  spec.global_batch = 15000;
  e = error(spec, v3);
  CHECK(e.where() == "global_batch");
  CHECK(e.message() == "15000 sequences do not split into whole micro-batches: dp 128 x micro_batch 1 = 128 must "
                       "divide global_batch");

  spec = v3_spec();
  spec.gpus = 2044;
  spec.pp = 4;
  e = error(spec, v3);
  CHECK(e.where() == "gpus");
  CHECK(e.message() == "2044 GPUs are not whole nodes of 8; use a multiple of 8");

  spec = v3_spec();
  spec.chunks_per_rank = 3;
  e = error(spec, v3);
  CHECK(e.where() == "chunks_per_rank");
  CHECK(e.message() == "must be 1 (1F1B, ZB1P) or 2 (DualPipe, DualPipeV), got 3");

  spec = v3_spec();
  spec.seq_len = 0;
  e = error(spec, v3);
  CHECK(e.where() == "seq_len");
  CHECK(e.message() == "must be at least 1, got 0");
}

}  // namespace dsim::workloads
