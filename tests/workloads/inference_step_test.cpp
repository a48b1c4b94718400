// SPDX-License-Identifier: Apache-2.0
// Inference steps: op counts, collectives joined by every rank, FLOPs and bytes as op_costs counts them, figures
// and refused specs.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/core/errors.hpp"
#include "tests/workloads/inference_trace_queries.hpp"
#include "workloads/generators/inference_step.hpp"
#include "workloads/model/op_costs.hpp"

namespace dsim::workloads::generators {

using testing::checked;
using testing::count;
using testing::decode_spec;
using testing::v3;
using testing::by_name;

TEST_CASE("inference step: a decode step has one op per part and format, and a dispatch and combine per MoE layer "
          "and micro-batch", "[workloads]") {
  // V3 in FP8, per micro-batch: 3 dense layers of attn0 (BF16 norms and q absorption, FP8 projections), attn1
  // (BF16 core attention and v absorption, FP8 o_proj) and ffn (BF16 norm and SwiGLU, FP8 GEMMs), 2 ops each: 18;
  // 58 MoE layers of attn0, attn1, shared, experts (2 each) and gate (BF16 norm and router, 1): 9 each, 522. The
  // embedding and the head (BF16, 1 op each) run once for the whole batch: 2 x 540 + 2 = 1,082 compute ops per
  // rank; 58 x 2 x 2 = 232 collective ops. Ranks 4..7 of the trace are outside the pool and get nothing.
  const StepTrace trace = checked(v3(), decode_spec(), 8);
  for (std::uint32_t r = 0; r < 4; ++r) {
    CHECK(count(trace, r, OpKind::compute) == 1'082);
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
  for (const char* name : {"embed", "L0.mb0.attn0.fp8", "L0.mb1.ffn.bf16", "L3.mb1.dispatch", "L3.mb1.gate",
                           "L60.mb0.combine", "L60.mb1.experts.fp8", "head"}) {
    CHECK(ids.contains(name));
  }
  for (const Op& op : trace.ops()) CHECK(op.phase == Phase::forward);
}

TEST_CASE("inference step: a decode step's FLOPs and bytes are those op_costs gives for its micro-batches",
          "[workloads]") {
  // 7 sequences on each of 8 ranks, one MTP draft: micro-batches of 4 and 3 sequences verify 2 tokens each (8 and
  // 6 tokens, KV length 4,096); a rank holds 256 / 8 = 32 experts and receives tokens x 8 routed pairs. Each
  // micro-batch runs the 61 layers and MTP module 1's block; the embedding, the head and the MTP module's head run
  // once over all 14 tokens. FLOPs are summed in another order than the generator's: relative tolerance 1e-12.
  // Bytes are integers: exact.
  const ModelConfig config = v3();
  InferenceSpec spec = decode_spec();
  spec.ranks = 8;
  spec.batch_per_rank = 7;
  spec.context_len = 4096;
  spec.mtp_depth = 1;
  spec.mtp_acceptance = 0.85;
  double flops = 0.0;
  std::uint64_t bytes = 0;
  const auto add = [&](const std::vector<OpCost>& ops, bool heads) {
    for (const OpCost& op : ops) {
      if ((op.part == LayerPart::head) != heads) continue;
      flops += op.flops;
      bytes += op.bytes;
    }
  };
  const auto batch = [](std::int64_t sequences) {
    LayerBatch b;
    b.tokens = sequences * 2;
    b.seq_len = 2;
    b.kv_len = 4096;
    b.routed_tokens = b.tokens * 8;
    b.local_experts = 32;
    return b;
  };
  for (const std::int64_t sequences : {4, 3}) {
    const LayerBatch b = batch(sequences);
    for (int layer = 0; layer < 61; ++layer) add(layer_ops(config, layer, b, spec.precision, Pass::forward), false);
    add(mtp_ops(config, 0, b, spec.precision, Pass::forward), false);
  }
  add(embedding_ops(config, batch(7), spec.precision, Pass::forward), false);
  add(head_ops(config, batch(7), spec.precision, Pass::forward), true);
  add(mtp_ops(config, 0, batch(7), spec.precision, Pass::forward), true);
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
  CHECK(ids.contains("MTP1.head"));
  CHECK(ids.contains("MTP1.mb1.embed.fp8"));
  CHECK(trace.call(trace.op(ids.at("L3.mb0.dispatch")).call).moe.tokens_per_rank == 8);
  CHECK(trace.call(trace.op(ids.at("L3.mb1.dispatch")).call).moe.tokens_per_rank == 6);
}

TEST_CASE("inference step: a dense model decodes without collectives", "[workloads]") {
  // Qwen2.5-72B: 80 dense layers of attn0, attn1 and ffn in two formats each per micro-batch, plus the embedding
  // and the head: 2 x 480 + 2 = 962 compute ops.
  InferenceSpec spec = decode_spec();
  const StepTrace trace = checked(*find_model_config("qwen2.5-72b"), spec, 4);
  CHECK(count(trace, 2, OpKind::compute) == 962);
  CHECK(trace.calls().empty());
}

TEST_CASE("inference step: every phase, micro-batch count and hidden flag gives a trace that can run",
          "[workloads]") {
  // Deadlock-free and matched for prefill and decode, 1 and 2 micro-batches, computation shown or hidden, with an
  // MTP module in decode: 2 x 2 x 2 traces of V3's first 5 layers.
  for (const auto phase : {InferencePhase::prefill, InferencePhase::decode}) {
    for (const int micro_batches : {1, 2}) {
      for (const bool hidden : {false, true}) {
        InferenceSpec spec = decode_spec();
        spec.phase = phase;
        spec.micro_batches = micro_batches;
        spec.compute_hidden = hidden;
        spec.layers = 5;
        if (phase == InferencePhase::prefill) spec.batch_per_rank = 4 * spec.context_len;
        if (phase == InferencePhase::decode) spec.mtp_depth = 1;
        INFO(to_string(phase) << ", " << micro_batches << " micro-batches, hidden " << hidden);
        const StepTrace trace = checked(v3(), spec, 4);
        // 2 MoE layers (+ the MTP block in decode), a dispatch and a combine per micro-batch.
        CHECK(count(trace, 3, OpKind::collective) ==
              static_cast<std::size_t>((phase == InferencePhase::decode ? 3 : 2) * 2 * micro_batches));
      }
    }
  }
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
