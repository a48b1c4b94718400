// SPDX-License-Identifier: Apache-2.0
// Training steps of the small MoE (workloads/model: small-moe) on 32 GPUs, PP4 x DP8, 16 micro-batches per
// pipeline, under every schedule kind: the trace can run, MoE calls join whole EP groups, op counts and FLOPs are
// those counted by hand from the chunk rules of training_chunk.hpp, and every op carries its phase.
#include <catch2/catch.hpp>

#include <array>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "workloads/generators/training_step.hpp"
#include "workloads/model/op_costs.hpp"
#include "workloads/schedules/pipeline_schedule.hpp"

namespace dsim::workloads::generators {
namespace {

using schedules::ChunkPass;
using schedules::ScheduleKind;

constexpr std::array<ScheduleKind, 4> all_kinds = {ScheduleKind::one_f_one_b, ScheduleKind::zb1p,
                                                   ScheduleKind::dualpipe, ScheduleKind::dualpipe_v};

// small-moe: hidden 256, 1 dense + 3 MoE layers, 16 routed experts (top-4), one MTP module. DualPipeV cuts the
// model in 2 x pp = 8 stages, and each middle stage needs a layer: it runs an 8-layer variant.
ModelConfig small_moe(ScheduleKind kind) {
  ModelConfig config = *find_model_config("small-moe");
  if (kind == ScheduleKind::dualpipe_v) config.layers = 8;
  return config;
}

// 32 GPUs, PP4 x DP8; 128 sequences of 512 tokens over 8 pipelines: 16 micro-batches of one sequence each.
TrainingSpec spec_of(ScheduleKind kind, int ep = 8) {
  TrainingSpec spec;
  spec.layout.gpus = 32;
  spec.layout.pp = 4;
  spec.layout.ep = ep;
  spec.layout.global_batch = 128;
  spec.layout.micro_batch = 1;
  spec.layout.seq_len = 512;
  spec.schedule = kind;
  return spec;
}

TrainingStep checked(const ModelConfig& config, const TrainingSpec& spec) {
  TrainingStep step = make_training_step(config, spec);
  const auto problem = step.trace.match_transfers();
  INFO((problem ? problem->message : std::string()));
  REQUIRE_FALSE(problem.has_value());
  REQUIRE(find_deadlock(step.trace).empty());
  return step;
}

struct Counts {
  int compute = 0, collective = 0, send = 0, recv = 0;
  bool operator==(const Counts&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Counts& c) {
  return os << "{compute " << c.compute << ", collective " << c.collective << ", send " << c.send << ", recv "
            << c.recv << "}";
}

std::vector<Counts> counts_by_rank(const StepTrace& trace) {
  std::vector<Counts> out(static_cast<std::size_t>(trace.rank_count()));
  for (const Op& op : trace.ops()) {
    Counts& c = out[op.rank.index()];
    (op.kind == OpKind::compute ? c.compute : op.kind == OpKind::collective ? c.collective
                                            : op.kind == OpKind::send      ? c.send
                                                                           : c.recv) += 1;
  }
  return out;
}

// Ops of one chunk pass, counted by hand from training_chunk.hpp's rules under the FP8 recipe. A layer part is one
// compute op per format it uses: attention = BF16 (norms, core attention) + FP8 (projections); MLP = BF16 (norm,
// router, SwiGLU) + FP8 (GEMMs). Forward and backward_input: 4 compute ops a layer, and a MoE layer adds 2 calls
// (dispatch and combine, or their gradients). A full backward adds each part's weight gradients after it: attention
// FP8 (1), dense MLP FP8 (1), MoE MLP FP8 + the router's BF16 (2): 6 compute ops a dense layer, 7 a MoE layer.
// backward_weight: one op per (part, format) over the chunk: attention FP8, MLP FP8, and MLP BF16 when the chunk
// has a router. The embedding alone: a lookup (bytes only) forward, an empty marker in backward_input, the
// scatter-add gradient in backward and backward_weight. MTP + head: the MTP projection (BF16 norms + FP8), its MoE
// block (4 + 2 calls), its head and the main head (BF16 each): 8 + 2 calls forward and backward_input; a full
// backward adds the head's, the MTP head's, the projection's BF16 embedding + FP8, the MLP's 2 and attention's 1
// weight gradients: 15 + 2 calls; backward_weight: heads 1, embedding part 2, attention 1, MLP 2 = 6.
Counts chunk_ops(const StageContent& stage, const ModelConfig& config, ChunkPass pass) {
  const bool bw = pass == ChunkPass::backward_weight;
  const bool full = pass == ChunkPass::backward;
  if (stage.embedding && stage.layer_count == 0) return {1, 0, 0, 0};
  if (stage.head && stage.layer_count == 0) return {bw ? 6 : full ? 15 : 8, bw ? 0 : 2, 0, 0};
  REQUIRE_FALSE((stage.embedding || stage.head || stage.mtp));
  int dense = 0, moe = 0;
  for (int l = stage.first_layer; l < stage.first_layer + stage.layer_count; ++l) {
    ++(l < config.dense_layers ? dense : moe);
  }
  if (bw) return {2 + (moe > 0 ? 1 : 0), 0, 0, 0};
  return {full ? 6 * dense + 7 * moe : 4 * (dense + moe), 2 * moe, 0, 0};
}

// Per-token FLOPs of the elementwise ops, which FlopsCounting::executed() leaves out (it counts GEMMs and core
// attention), for small-moe with `layers` layers, by hand from op_costs.cpp's per-element counts (forward +
// backward_input): RMSNorm 4 + 8 = 12, SwiGLU 5 + 10 = 15, cross-entropy 5 + 3 = 8 per logit, and the embedding's
// scatter-add gradient 1 per element. Attention norms over hidden 256 + q rank 64 + kv rank 32: 12 x 352 = 4,224;
// dense MLP: norm 3,072 + SwiGLU 15 x 512 = 10,752; MoE MLP: norm 3,072 + shared SwiGLU 15 x 128 + routed SwiGLU
// 15 x 4 x 128 = 12,672; head: final norm 3,072 + 8 x 1,024 = 11,264; embedding 256; MTP module: embedding 256, two
// norms 6,144, attention 4,224, MoE MLP 12,672, head 11,264 = 34,560. Four layers: 111,744.
double elementwise_flops_per_token(int layers) {
  return 4'224.0 * layers + 10'752.0 + 12'672.0 * (layers - 1) + 11'264.0 + 256.0 + 34'560.0;
}

Phase phase_named(const std::string& pass) {
  for (std::size_t i = 0; i < phase_names.size(); ++i) {
    if (phase_names[i] == pass) return static_cast<Phase>(i);
  }
  FAIL("no phase named " << pass);
  return Phase::other;
}

}  // namespace

TEST_CASE("training step: every schedule kind gives a trace whose transfers pair up and that cannot deadlock",
          "[workloads]") {
  // DualPipe and DualPipeV both need at least 2 x pp = 8 micro-batches; 16 it is for every kind.
  for (const ScheduleKind kind : all_kinds) {
    INFO(schedules::to_string(kind));
    const TrainingStep step = checked(small_moe(kind), spec_of(kind));
    CHECK(step.figures.microbatches == 16);
    CHECK(step.figures.stages == (kind == ScheduleKind::dualpipe_v ? 8 : 4));
    CHECK(step.figures.tokens_per_step == 65'536);
  }
}

TEST_CASE("training step: every MoE call has one op on each rank of an EP group of consecutive GPUs of one "
          "pipeline rank", "[workloads]") {
  // EP4 on DP8: two EP groups per pipeline rank, GPUs 8p..8p+3 and 8p+4..8p+7 (rank = stage_rank x 8 + dp index).
  for (const ScheduleKind kind : all_kinds) {
    INFO(schedules::to_string(kind));
    const TrainingStep step = checked(small_moe(kind), spec_of(kind, 4));
    std::size_t moe_calls = 0;
    for (std::size_t c = 0; c < step.trace.calls().size(); ++c) {
      const CollectiveCall& call = step.trace.calls()[c];
      if (call.kind != CollectiveOp::moe_dispatch && call.kind != CollectiveOp::moe_combine) continue;
      ++moe_calls;
      const auto& group = step.trace.group(call.group);
      REQUIRE(group.size() == 4);
      CHECK(group.front().value() % 4 == 0);
      const auto ops = step.trace.call_ops(CallId(static_cast<CallId::Value>(c)));
      for (std::size_t i = 0; i < group.size(); ++i) {
        CHECK(group[i].value() == group.front().value() + i);
        CHECK(step.trace.op(ops[i]).rank == group[i]);
        CHECK(step.trace.op(ops[i]).name == step.trace.op(ops[0]).name);
      }
      CHECK(group.front().value() / 8 == group.back().value() / 8);
      CHECK(call.moe.tokens_per_rank == 512);
      CHECK(call.moe.hidden == 256);
    }
    CHECK(moe_calls > 0);
  }
}

TEST_CASE("training step: under 1F1B each rank runs 16 forwards and backwards of its stage, its sends and ZeRO-1",
          "[workloads]") {
  // small-moe on 4 stages: embedding | layers 0 (dense) and 1 | layers 2 and 3 | MTP + head. Per micro-batch
  // (chunk_ops above): rank 0 forward 1 + backward 1 compute; rank 1 forward 8 + 2 calls, backward 6 + 7 + 2 calls;
  // rank 2 forward 8 + 4 calls, backward 14 + 4 calls; rank 3 forward 8 + 2 calls, backward 15 + 2 calls. Each
  // stage sends its activation on and its gradient back, so the middle ranks have 2 sends and 2 recvs per micro-
  // batch, the end ranks 1 each. ZeRO-1 adds a reduce-scatter and an all-gather over the DP group and the optimizer
  // step (EP8 = DP8: the expert-DP group is the rank alone, so no expert collectives). Rank 1: 16 x 21 + 1 = 337
  // compute, 16 x 4 + 2 = 66 collective, 32 sends and 32 recvs; every GPU of a pipeline rank alike.
  const TrainingStep step = checked(small_moe(ScheduleKind::one_f_one_b), spec_of(ScheduleKind::one_f_one_b));
  const std::array<Counts, 4> expected = {Counts{33, 2, 16, 16}, Counts{337, 66, 32, 32}, Counts{353, 130, 32, 32},
                                          Counts{369, 66, 16, 16}};
  const auto counts = counts_by_rank(step.trace);
  for (std::size_t r = 0; r < counts.size(); ++r) {
    INFO("rank " << r);
    CHECK(counts[r] == expected[r / 8]);
  }
}

TEST_CASE("training step: op counts per rank are the schedule's chunks, counted by hand, plus sends and ZeRO-1",
          "[workloads]") {
  // For every kind: each schedule item on pipeline rank p adds chunk_ops(stage, pass) (hand counts above); each
  // stage boundary a micro-batch crosses between two ranks adds a send and a recv forward and again backward (a
  // DualPipeV turn stays on its rank and sends nothing); ZeRO-1 adds the optimizer step, a reduce-scatter and an
  // all-gather over the DP group and, with EP4 on DP8 (expert-DP 2) or under DualPipe (whose mirror pipeline rank
  // holds the same experts), another pair over the expert-DP group on ranks holding experts.
  for (const ScheduleKind kind : all_kinds) {
    for (const int ep : {8, 4}) {
      INFO(schedules::to_string(kind) << " ep " << ep);
      const ModelConfig config = small_moe(kind);
      const TrainingStep step = checked(config, spec_of(kind, ep));
      const auto schedule = schedules::make_schedule(kind, 4, 16);
      const auto& stages = step.figures.stage_contents;
      REQUIRE(static_cast<int>(stages.size()) == schedule.stages());
      std::array<Counts, 4> expected{};
      for (int p = 0; p < 4; ++p) {
        bool experts = false;
        for (const auto& item : schedule.order[static_cast<std::size_t>(p)]) {
          const int s = schedule.stage_of(item.microbatch, {p, item.chunk});
          const StageContent& stage = stages[static_cast<std::size_t>(s)];
          const Counts c = chunk_ops(stage, config, item.pass);
          expected[static_cast<std::size_t>(p)].compute += c.compute;
          expected[static_cast<std::size_t>(p)].collective += c.collective;
          experts = experts || stage.mtp || stage.first_layer + stage.layer_count > config.dense_layers;
        }
        expected[static_cast<std::size_t>(p)].compute += 1;
        // Expert-DP groups have more than one rank with EP4 on DP8, and under DualPipe, whose mirror pipeline rank
        // holds the same experts.
        const bool expert_group = ep == 4 || kind == ScheduleKind::dualpipe;
        expected[static_cast<std::size_t>(p)].collective += expert_group && experts ? 4 : 2;
      }
      for (int m = 0; m < 16; ++m) {
        const auto path = schedule.path(m);
        for (std::size_t s = 0; s + 1 < path.size(); ++s) {
          if (path[s].rank == path[s + 1].rank) continue;
          auto& from = expected[static_cast<std::size_t>(path[s].rank)];
          auto& to = expected[static_cast<std::size_t>(path[s + 1].rank)];
          from.send += 1;  // activation
          to.recv += 1;
          to.send += 1;  // gradient
          from.recv += 1;
        }
      }
      const auto counts = counts_by_rank(step.trace);
      for (std::size_t r = 0; r < counts.size(); ++r) {
        INFO("rank " << r);
        CHECK(counts[r] == expected[r / 8]);
      }
    }
  }
}

TEST_CASE("training step: the trace's compute FLOPs are the executed training FLOPs of every token of the step",
          "[workloads]") {
  // Summed over all ranks and excluding the optimizer step, every token of the step (128 x 512 = 65,536) runs
  // forward, backward_input and backward_weight of the whole model once: FlopsCounting::executed() per token (GEMMs
  // and core attention, with attention's backward at 2.5x and the MTP module) plus the elementwise FLOPs counted by
  // hand above. The schedule only reorders the work. Relative tolerance 1e-9 (sums of ~10^5 doubles).
  for (const ScheduleKind kind : all_kinds) {
    INFO(schedules::to_string(kind));
    const ModelConfig config = small_moe(kind);
    const TrainingStep step = checked(config, spec_of(kind));
    double flops = 0.0;
    for (const Op& op : step.trace.ops()) {
      if (op.kind == OpKind::compute && op.phase != Phase::optimizer) flops += op.flops;
    }
    const double per_token =
        training_flops_per_token(config, 512, FlopsCounting::executed()) + elementwise_flops_per_token(config.layers);
    CHECK(flops == Approx(65'536.0 * per_token).epsilon(1e-9));
  }
}

TEST_CASE("training step: a dense model has no MoE calls and its FLOPs add up the same way", "[workloads]") {
  // Qwen2.5-72B cut to 2 layers, 1F1B on PP2 x DP4 (one node), 16 sequences of 64 tokens: 4 micro-batches of one
  // sequence per pipeline, 1,024 tokens per step. Stages: embedding + layer 0 | layer 1 + head. A dense layer is
  // 4 compute ops forward and 6 in a full backward (chunk_ops above); the embedding adds its lookup forward and its
  // gradient backward, the head one op forward and two backward: 4 x (5 + 7) + 1 = 49 and 4 x (5 + 8) + 1 = 53
  // compute ops, the ZeRO-1 pair of collectives, 4 sends and 4 recvs on each rank. Elementwise FLOPs per token by
  // hand (hidden 8,192, FFN 29,568, vocab 152,064): 2 layers x (12 x 2 x 8,192 norms + 15 x 29,568 SwiGLU) =
  // 1,280,256, head 12 x 8,192 + 8 x 152,064 = 1,314,816, embedding 8,192: 2,603,264. Tolerance 1e-9.
  ModelConfig qwen = *find_model_config("qwen2.5-72b");
  qwen.layers = 2;
  TrainingSpec spec;
  spec.layout.gpus = 8;
  spec.layout.pp = 2;
  spec.layout.global_batch = 16;
  spec.layout.seq_len = 64;
  spec.schedule = ScheduleKind::one_f_one_b;
  const TrainingStep step = checked(qwen, spec);
  for (const CollectiveCall& call : step.trace.calls()) {
    CHECK((call.kind == CollectiveOp::reduce_scatter || call.kind == CollectiveOp::all_gather));
  }
  const auto counts = counts_by_rank(step.trace);
  for (std::size_t r = 0; r < counts.size(); ++r) {
    INFO("rank " << r);
    CHECK(counts[r] == (r < 4 ? Counts{49, 2, 4, 4} : Counts{53, 2, 4, 4}));
  }
  double flops = 0.0;
  for (const Op& op : step.trace.ops()) {
    if (op.kind == OpKind::compute && op.phase != Phase::optimizer) flops += op.flops;
  }
  CHECK(flops == Approx(1'024.0 * (training_flops_per_token(qwen, 64, FlopsCounting::executed()) + 2'603'264.0))
                     .epsilon(1e-9));
}

TEST_CASE("training step: ZeRO-1 on the embedding's rank moves its gradients and parameters and updates a shard",
          "[workloads]") {
  // 1F1B, pipeline rank 0 holds the embedding alone: 1,024 x 256 = 262,144 parameters. Its DP group (8 GPUs)
  // reduce-scatters 4-byte gradients, 1,048,576 B; the optimizer updates a shard of 32,768 parameters at 10 FLOPs
  // and 22 bytes each (327,680 FLOPs, 720,896 B); the all-gather moves 2-byte parameters, 524,288 B. Without data-
  // parallel sync the step has none of these.
  TrainingSpec spec = spec_of(ScheduleKind::one_f_one_b);
  const TrainingStep step = checked(small_moe(ScheduleKind::one_f_one_b), spec);
  std::set<std::string> seen;
  for (const Op& op : step.trace.ops()) {
    if (op.rank != RankId(3) || op.phase != Phase::optimizer) continue;
    seen.insert(op.name);
    if (op.kind == OpKind::compute) {
      CHECK(op.flops == 327'680.0);
      CHECK(op.bytes == Bytes(720'896));
      continue;
    }
    const CollectiveCall& call = step.trace.call(op.call);
    CHECK(step.trace.group(call.group).size() == 8);
    CHECK(call.size == Bytes(call.kind == CollectiveOp::reduce_scatter ? 1'048'576 : 524'288));
  }
  CHECK(seen == std::set<std::string>{"zero1.grad_reduce_scatter", "zero1.optimizer_step", "zero1.param_all_gather"});
  spec.data_parallel_sync = false;
  const TrainingStep bare = checked(small_moe(ScheduleKind::one_f_one_b), spec);
  for (const CollectiveCall& call : bare.trace.calls()) {
    CHECK((call.kind == CollectiveOp::moe_dispatch || call.kind == CollectiveOp::moe_combine));
  }
  for (const Op& op : bare.trace.ops()) CHECK(op.phase != Phase::optimizer);
}

TEST_CASE("training step: every op carries the phase of its pass, and each kind uses the passes it schedules",
          "[workloads]") {
  // Chunk ops are named mb<m>.s<s>.<pass>.<segment> and tagged with that pass; a send or recv carries the phase of
  // the op whose output it moves; ZeRO-1's ops are the optimizer phase. 1F1B runs whole backwards; ZB1P splits
  // every backward into input and weight parts; DualPipe and DualPipeV run both (whole backwards in the middle,
  // split ones where a weight pass fills a bubble).
  using enum Phase;
  const std::set<Phase> whole{forward, backward, optimizer};
  const std::set<Phase> split{forward, backward_input, backward_weight, optimizer};
  const std::set<Phase> both{forward, backward, backward_input, backward_weight, optimizer};
  const std::array<std::set<Phase>, 4> expected = {whole, split, both, both};
  for (const ScheduleKind kind : all_kinds) {
    INFO(schedules::to_string(kind));
    const TrainingStep step = checked(small_moe(kind), spec_of(kind));
    std::set<Phase> phases;
    for (const Op& op : step.trace.ops()) {
      phases.insert(op.phase);
      if (op.name.starts_with("zero1.")) {
        CHECK(op.phase == Phase::optimizer);
      } else if (op.kind == OpKind::send || op.kind == OpKind::recv) {
        const bool activation = op.name.find(".fwd.") != std::string::npos;
        CHECK((activation ? op.phase == Phase::forward
                       : op.phase == Phase::backward || op.phase == Phase::backward_input));
      } else {
        // "mb3.s1.backward_input.L1.attn.fp8": the third dot-separated field.
        const auto a = op.name.find('.');
        const auto b = op.name.find('.', a + 1);
        const auto c = op.name.find('.', b + 1);
        REQUIRE(c != std::string::npos);
        CHECK(op.phase == phase_named(op.name.substr(b + 1, c - b - 1)));
      }
    }
    CHECK(phases == expected[static_cast<std::size_t>(kind)]);
  }
}


TEST_CASE("training step: under DualPipe a stage's two copies share one ZeRO-1 group", "[workloads]") {
  // DualPipe puts stages r and P-1-r on pipeline rank r (one copy per direction), so pipeline ranks r and P-1-r
  // hold the same parameters and their gradients must be summed: rank 0 (pipeline rank 0, DP index 0) reduces
  // over the 8 DP ranks of pipeline rank 0 (GPUs 0-7) and the 8 of pipeline rank 3 (GPUs 24-31).
  const TrainingStep step = checked(small_moe(ScheduleKind::dualpipe), spec_of(ScheduleKind::dualpipe, 8));
  bool seen = false;
  for (const Op& op : step.trace.ops()) {
    if (op.rank != RankId(0) || op.kind != OpKind::collective) continue;
    const CollectiveCall& call = step.trace.call(op.call);
    if (call.kind != CollectiveOp::reduce_scatter || op.name != "zero1.grad_reduce_scatter") continue;
    std::vector<RankId> expected;
    for (std::uint32_t r : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 24u, 25u, 26u, 27u, 28u, 29u, 30u, 31u}) {
      expected.push_back(RankId(r));
    }
    CHECK(step.trace.group(call.group) == expected);
    seen = true;
  }
  CHECK(seen);
}

}  // namespace dsim::workloads::generators
