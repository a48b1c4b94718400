// SPDX-License-Identifier: Apache-2.0
// Inference steps: the issue order of DeepSeek's dual micro-batch overlap (5 stages in decode, 3 in prefill), one
// micro-batch, hidden computation and routing samples.
#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "tests/workloads/inference_trace_queries.hpp"
#include "workloads/generators/inference_step.hpp"

namespace dsim::workloads::generators {

using testing::checked;
using testing::count;
using testing::decode_spec;
using testing::v3;
using testing::by_name;
using testing::depends;
using testing::order;

TEST_CASE("inference step: decode interleaves two micro-batches in DeepSeek's five stages", "[workloads]") {
  // Stages per MoE layer: attn0 | attn1, gate | issue dispatch, shared | wait dispatch, experts, issue combine |
  // wait combine; micro-batch 1 runs two stages behind 0. In steady state (layers 3-4) the compute stream reads
  // A.shared B.attn0 A.experts B.attn1 B.gate B.shared A'.attn0 B.experts A'.attn1 A'.gate, and each transfer
  // waits for the compute before it and is waited for where the stage list says.
  InferenceSpec spec = decode_spec();
  spec.layers = 5;
  const StepTrace trace = checked(v3(), spec, 4);
  const auto compute = order(trace, "compute");
  const auto first = std::find(compute.begin(), compute.end(), "L3.mb0.shared");
  REQUIRE(std::distance(first, compute.end()) >= 10);
  const std::vector<std::string> expected = {"L3.mb0.shared", "L3.mb1.attn0", "L3.mb0.experts", "L3.mb1.attn1",
                                             "L3.mb1.gate",   "L3.mb1.shared", "L4.mb0.attn0", "L3.mb1.experts",
                                             "L4.mb0.attn1",  "L4.mb0.gate"};
  CHECK(std::vector<std::string>(first, first + 10) == expected);
  CHECK(order(trace, "comm") == std::vector<std::string>{"L3.mb0.dispatch", "L3.mb0.combine", "L3.mb1.dispatch",
                                                         "L3.mb1.combine", "L4.mb0.dispatch", "L4.mb0.combine",
                                                         "L4.mb1.dispatch", "L4.mb1.combine"});
  const auto ids = by_name(trace);
  CHECK(depends(trace, ids.at("L3.mb0.dispatch"), ids.at("L3.mb0.gate")));
  CHECK(depends(trace, ids.at("L3.mb0.experts.fp8"), ids.at("L3.mb0.dispatch")));
  CHECK(depends(trace, ids.at("L3.mb0.combine"), ids.at("L3.mb0.experts.bf16")));
  // The wait for A's combine sits before B's dispatch and B's shared expert.
  CHECK(depends(trace, ids.at("L3.mb1.dispatch"), ids.at("L3.mb0.combine")));
  CHECK(depends(trace, ids.at("L3.mb1.dispatch"), ids.at("L3.mb1.gate")));
  CHECK(depends(trace, ids.at("L3.mb1.shared.fp8"), ids.at("L3.mb0.combine")));
  CHECK(trace.op(ids.at("L3.mb1.attn1.fp8")).reserved_sms == 0);
}

TEST_CASE("inference step: prefill alternates the micro-batches stage by stage on normal kernels", "[workloads]") {
  // 16K tokens of 4K prompts per rank (the profile-data prefill): 2 prompts, 8,192 tokens, per micro-batch. Stages
  // attention, gate, issue dispatch | wait dispatch, experts, issue combine | shared, wait combine, both micro-
  // batches in step: A.attn B.attn A.experts B.experts A.shared B.shared A'.attn; the normal kernels hold 20 SMs
  // through the layers, not during the head, which runs once after them.
  InferenceSpec spec;
  spec.phase = InferencePhase::prefill;
  spec.ranks = 4;
  spec.batch_per_rank = 16'384;
  spec.context_len = 4096;
  spec.layers = 5;
  const StepTrace trace = checked(v3(), spec, 4);
  const auto compute = order(trace, "compute");
  const auto first = std::find(compute.begin(), compute.end(), "L3.mb0.attn");
  REQUIRE(std::distance(first, compute.end()) >= 9);
  CHECK(std::vector<std::string>(first, first + 9) ==
        std::vector<std::string>{"L3.mb0.attn", "L3.mb0.gate", "L3.mb1.attn", "L3.mb1.gate", "L3.mb0.experts",
                                 "L3.mb1.experts", "L3.mb0.shared", "L3.mb1.shared", "L4.mb0.attn"});
  const auto comm = order(trace, "comm");
  CHECK(std::vector<std::string>(comm.begin(), comm.begin() + 4) ==
        std::vector<std::string>{"L3.mb0.dispatch", "L3.mb1.dispatch", "L3.mb0.combine", "L3.mb1.combine"});
  const auto ids = by_name(trace);
  CHECK(depends(trace, ids.at("L3.mb1.experts.fp8"), ids.at("L3.mb1.dispatch")));
  CHECK(depends(trace, ids.at("L3.mb1.shared.fp8"), ids.at("L3.mb0.combine")));
  CHECK(depends(trace, ids.at("L4.mb0.attn.bf16"), ids.at("L3.mb1.combine")));
  const CollectiveCall& call = trace.call(trace.op(ids.at("L3.mb0.dispatch")).call);
  CHECK_FALSE(call.moe.low_latency);
  CHECK(call.moe.tokens_per_rank == 8192);
  CHECK(call.moe.sms == 20);
  CHECK(trace.op(ids.at("L3.mb0.attn.fp8")).reserved_sms == 20);
  CHECK(trace.op(ids.at("head")).flops > 0.0);
  CHECK(trace.op(ids.at("head")).reserved_sms == 0);
}

TEST_CASE("inference step: one micro-batch issues the same work in layer order, without overlap", "[workloads]") {
  // With 1 micro-batch the 8 sequences travel together: half the collectives (5 layers: 2 MoE, 4 calls), each of 8
  // tokens. The FLOPs equal two micro-batches' (every op is linear in tokens or in whole sequences), while the
  // bytes are larger with two (each micro-batch reads the weights again).
  InferenceSpec spec = decode_spec();
  spec.layers = 5;
  const StepTrace two = checked(v3(), spec, 4);
  spec.micro_batches = 1;
  const StepTrace one = checked(v3(), spec, 4);
  CHECK(count(one, 0, OpKind::collective) == 4);
  CHECK(count(two, 0, OpKind::collective) == 8);
  CHECK(one.calls()[0].moe.tokens_per_rank == 8);
  const auto totals = [](const StepTrace& t) {
    std::pair<double, std::uint64_t> sum{0.0, 0};
    for (const Op& op : t.ops()) {
      if (op.rank != RankId(0)) continue;
      sum.first += op.flops;
      sum.second += op.bytes.count();
    }
    return sum;
  };
  CHECK(totals(one).first == Approx(totals(two).first).epsilon(1e-12));
  CHECK(totals(one).second < totals(two).second);
  CHECK(order(one, "comm") == std::vector<std::string>{"L3.mb0.dispatch", "L3.mb0.combine", "L4.mb0.dispatch",
                                                       "L4.mb0.combine"});
  const auto compute = order(one, "compute");
  const auto first = std::find(compute.begin(), compute.end(), "L3.mb0.attn0");
  REQUIRE(std::distance(first, compute.end()) >= 6);
  CHECK(std::vector<std::string>(first, first + 6) ==
        std::vector<std::string>{"L3.mb0.attn0", "L3.mb0.attn1", "L3.mb0.gate", "L3.mb0.shared", "L3.mb0.experts",
                                 "L4.mb0.attn0"});
}

TEST_CASE("inference step: with computation hidden only the transfers remain, one after another", "[workloads]") {
  // The speed-limit analysis of [P]: no compute ops; the comm stream runs A.dispatch A.combine B.dispatch
  // B.combine per layer, each transfer after the wait for the one before it.
  InferenceSpec spec = decode_spec();
  spec.layers = 5;
  spec.compute_hidden = true;
  const StepTrace trace = checked(v3(), spec, 4);
  CHECK(count(trace, 0, OpKind::compute) == 0);
  CHECK(count(trace, 0, OpKind::collective) == 8);
  const auto ids = by_name(trace);
  CHECK(depends(trace, ids.at("L3.mb0.combine"), ids.at("L3.mb0.dispatch")));
  CHECK(depends(trace, ids.at("L3.mb1.dispatch"), ids.at("L3.mb0.combine")));
  CHECK(depends(trace, ids.at("L4.mb0.dispatch"), ids.at("L3.mb1.combine")));
}

TEST_CASE("inference step: routings cycle over the MoE calls, shared by a dispatch and its combine", "[workloads]") {
  // 3 samples over (layer, micro-batch) pairs in order: L3.mb0 0, L3.mb1 1, L4.mb0 2, L4.mb1 0.
  InferenceSpec spec = decode_spec();
  spec.layers = 5;
  spec.routing_samples = 3;
  const StepTrace trace = checked(v3(), spec, 4);
  const auto ids = by_name(trace);
  const auto sample = [&](const char* name) { return trace.call(trace.op(ids.at(name)).call).moe.routing_sample; };
  CHECK(sample("L3.mb0.dispatch") == 0);
  CHECK(sample("L3.mb0.combine") == 0);
  CHECK(sample("L3.mb1.combine") == 1);
  CHECK(sample("L4.mb0.dispatch") == 2);
  CHECK(sample("L4.mb1.dispatch") == 0);
  CHECK(trace.call(trace.op(ids.at("L4.mb1.dispatch")).call).moe.payload == Dtype::fp8);
  CHECK(trace.call(trace.op(ids.at("L4.mb1.combine")).call).moe.payload == Dtype::bf16);
}

}  // namespace dsim::workloads::generators
