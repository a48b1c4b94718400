// SPDX-License-Identifier: Apache-2.0
// Inference steps: op counts, collectives joined by every rank, FLOPs as op_costs counts them, and the issue order
// of DeepSeek's dual micro-batch overlap (5 stages in decode, 3 in prefill).
#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "sim/core/errors.hpp"
#include "workloads/generators/inference_step.hpp"
#include "workloads/model/op_costs.hpp"

namespace dsim::workloads::generators {
namespace {

ModelConfig v3() { return *find_model_config("deepseek-v3"); }

InferenceSpec decode_spec() {
  InferenceSpec spec;
  spec.phase = InferencePhase::decode;
  spec.ranks = 4;
  spec.batch_per_rank = 8;
  spec.context_len = 1024;
  return spec;
}

StepTrace checked(const ModelConfig& config, const InferenceSpec& spec, int rank_count) {
  StepTrace trace = make_inference_step(config, spec, rank_count);
  REQUIRE_FALSE(trace.match_transfers().has_value());
  REQUIRE(find_deadlock(trace).empty());
  return trace;
}

std::size_t count(const StepTrace& trace, std::uint32_t rank, OpKind kind) {
  std::size_t n = 0;
  for (const Op& op : trace.ops()) n += op.rank == RankId(rank) && op.kind == kind ? 1 : 0;
  return n;
}

// Rank 0's ops by name.
std::map<std::string, OpId> by_name(const StepTrace& trace) {
  std::map<std::string, OpId> ids;
  for (std::size_t i = 0; i < trace.ops().size(); ++i) {
    if (trace.ops()[i].rank == RankId(0)) ids.emplace(trace.ops()[i].name, OpId(static_cast<OpId::Value>(i)));
  }
  return ids;
}

// Rank 0's op names on `stream` in order, without the ".fp8"/".bf16" of a part split by format (one entry per part).
std::vector<std::string> order(const StepTrace& trace, const std::string& stream) {
  std::vector<std::string> names;
  for (const Op& op : trace.ops()) {
    if (op.rank != RankId(0) || trace.stream_names()[op.stream.index()] != stream) continue;
    std::string name = op.name;
    for (const char* suffix : {".fp8", ".bf16"}) {
      if (name.ends_with(suffix)) name.resize(name.size() - std::string(suffix).size());
    }
    if (names.empty() || names.back() != name) names.push_back(name);
  }
  return names;
}

bool depends(const StepTrace& trace, OpId op, OpId on) {
  for (const OpId d : trace.op(op).deps) {
    if (d == on) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("inference step: a decode step has one op per part and format, and a dispatch and combine per MoE layer "
          "and micro-batch", "[workloads]") {
  // V3 in FP8, per micro-batch: the embedding (1 op, BF16); 3 dense layers of attn0 (BF16 norms and q absorption,
  // FP8 projections), attn1 (BF16 core attention and v absorption, FP8 o_proj) and ffn (BF16 norm and SwiGLU, FP8
  // GEMMs), 2 ops each: 18; 58 MoE layers of attn0, attn1, shared, experts (2 each) and gate (BF16 norm and router,
  // 1): 9 each, 522; the head (1, BF16). 542 compute ops per micro-batch, 1,084 per rank; 58 x 2 x 2 = 232
  // collective ops per rank. Ranks 4..7 of the trace are outside the pool and get nothing.
  const StepTrace trace = checked(v3(), decode_spec(), 8);
  for (std::uint32_t r = 0; r < 4; ++r) {
    CHECK(count(trace, r, OpKind::compute) == 1'084);
    CHECK(count(trace, r, OpKind::collective) == 232);
  }
  CHECK(count(trace, 4, OpKind::compute) + count(trace, 7, OpKind::collective) == 0);
  REQUIRE(trace.calls().size() == 232);
  for (std::size_t c = 0; c < trace.calls().size(); ++c) {
    const auto ops = trace.call_ops(CallId(static_cast<CallId::Value>(c)));
    REQUIRE(ops.size() == 4);
    for (std::uint32_t r = 0; r < 4; ++r) CHECK(trace.op(ops[r]).rank == RankId(r));
    CHECK(trace.calls()[c].moe.low_latency);
    CHECK(trace.calls()[c].moe.tokens_per_rank == 4);
    CHECK(trace.calls()[c].moe.hidden == 7168);
  }
  const auto ids = by_name(trace);
  for (const char* name : {"mb0.embed", "L0.mb0.attn0.fp8", "L0.mb1.ffn.bf16", "L3.mb1.dispatch", "L3.mb1.gate",
                           "L60.mb0.combine", "L60.mb1.experts.fp8", "mb1.head"}) {
    CHECK(ids.contains(name));
  }
  for (const Op& op : trace.ops()) CHECK(op.phase == Phase::forward);
}

TEST_CASE("inference step: a decode step's FLOPs and bytes are those op_costs gives for its micro-batches",
          "[workloads]") {
  // 7 sequences on each of 8 ranks, one MTP draft: micro-batches of 4 and 3 sequences verify 2 tokens each (8 and
  // 6 tokens, KV length 4,096); a rank holds 256 / 8 = 32 experts and receives tokens x 8 routed pairs. The step
  // runs, per micro-batch, the embedding, 61 layers, the head and MTP module 1 over those tokens. FLOPs are summed
  // in another order than the generator's: relative tolerance 1e-12. Bytes are integers: exact.
  const ModelConfig config = v3();
  InferenceSpec spec = decode_spec();
  spec.ranks = 8;
  spec.batch_per_rank = 7;
  spec.context_len = 4096;
  spec.mtp_depth = 1;
  spec.mtp_acceptance = 0.85;
  double flops = 0.0;
  std::uint64_t bytes = 0;
  const auto add = [&](const std::vector<OpCost>& ops) {
    for (const OpCost& op : ops) {
      flops += op.flops;
      bytes += op.bytes;
    }
  };
  for (const std::int64_t sequences : {4, 3}) {
    LayerBatch b;
    b.tokens = sequences * 2;
    b.seq_len = 2;
    b.kv_len = 4096;
    b.routed_tokens = b.tokens * 8;
    b.local_experts = 32;
    add(embedding_ops(config, b, spec.precision, Pass::forward));
    for (int layer = 0; layer < 61; ++layer) add(layer_ops(config, layer, b, spec.precision, Pass::forward));
    add(head_ops(config, b, spec.precision, Pass::forward));
    add(mtp_ops(config, 0, b, spec.precision, Pass::forward));
  }
  const StepTrace trace = checked(config, spec, 8);
  double traced_flops = 0.0;
  std::uint64_t traced_bytes = 0;
  for (const Op& op : trace.ops()) {
    if (op.rank != RankId(5) || op.kind != OpKind::compute) continue;
    traced_flops += op.flops;
    traced_bytes += op.bytes.count();
  }
  CHECK(traced_flops == Approx(flops).epsilon(1e-12));
  CHECK(traced_bytes == bytes);
  // The MTP module's MoE block communicates like a layer: 59 MoE blocks x 2 micro-batches x 2 calls.
  CHECK(count(trace, 5, OpKind::collective) == 236);
  const auto ids = by_name(trace);
  CHECK(ids.contains("MTP1.mb1.dispatch"));
  CHECK(ids.contains("MTP1.mb0.head"));
  CHECK(trace.call(trace.op(ids.at("L3.mb0.dispatch")).call).moe.tokens_per_rank == 8);
  CHECK(trace.call(trace.op(ids.at("L3.mb1.dispatch")).call).moe.tokens_per_rank == 6);
}

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
  // throughout.
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
  CHECK(trace.op(ids.at("mb0.head")).flops > 0.0);
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

TEST_CASE("inference step: a dense model decodes without collectives", "[workloads]") {
  // Qwen2.5-72B: 80 dense layers of attn0, attn1 and ffn in two formats each, plus embedding and head: 482 compute
  // ops per micro-batch.
  InferenceSpec spec = decode_spec();
  const StepTrace trace = checked(*find_model_config("qwen2.5-72b"), spec, 4);
  CHECK(count(trace, 2, OpKind::compute) == 2 * 482);
  CHECK(trace.calls().empty());
}

TEST_CASE("inference step: figures give the tokens a step processes and emits", "[workloads]") {
  // Decode, 128 sequences, one MTP draft accepted 85% of the time: 256 tokens verified, 1.85 emitted per sequence,
  // 236.8 per rank. Prefill of 16,384 tokens in 4,096-token prompts: 4 prompts, each emitting its first token.
  InferenceSpec spec = decode_spec();
  spec.batch_per_rank = 128;
  spec.mtp_depth = 1;
  spec.mtp_acceptance = 0.85;
  const InferenceFigures decode = inference_figures(spec);
  CHECK(decode.processed_per_rank == 256);
  CHECK(decode.emitted_per_sequence == Approx(1.85).epsilon(1e-15));
  CHECK(decode.emitted_per_rank() == Approx(236.8).epsilon(1e-15));
  spec.phase = InferencePhase::prefill;
  spec.batch_per_rank = 16'384;
  spec.context_len = 4096;
  const InferenceFigures prefill = inference_figures(spec);
  CHECK(prefill.sequences_per_rank == 4);
  CHECK(prefill.processed_per_rank == 16'384);
  CHECK(prefill.emitted_per_rank() == Approx(4.0).epsilon(1e-15));
}

TEST_CASE("inference step: a bad spec is refused with the field at fault", "[workloads]") {
  const ModelConfig config = v3();
  InferenceSpec spec = decode_spec();
  spec.micro_batches = 3;
  CHECK(find_inference_problem(config, spec, 4) == "micro_batches must be 1 or 2, not 3");
  spec = decode_spec();
  CHECK(find_inference_problem(config, spec, 2) == "ranks (4) exceed the 2 ranks of the trace");
  spec.mtp_depth = 2;
  CHECK(find_inference_problem(config, spec, 4) == "mtp_depth must be in [0, 1] for deepseek-v3, not 2");
  spec = decode_spec();
  spec.phase = InferencePhase::prefill;
  spec.batch_per_rank = 4096;
  spec.context_len = 4096;
  CHECK(find_inference_problem(config, spec, 4) == "prefill needs a prompt per micro-batch: 1 prompts for 2 "
                                                   "micro-batches");
  spec.batch_per_rank = 5000;
  try {
    make_inference_step(config, spec, 4);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.message() ==
          "cannot build the prefill step: prefill batch_per_rank (5000) must be whole prompts of context_len 4096");
  }
}

}  // namespace dsim::workloads::generators
