// SPDX-License-Identifier: Apache-2.0
// The issue order of an inference step: each micro-batch's stages, and how two micro-batches interleave.
//
// Dual micro-batch overlap (DeepSeek's inference: [R] 3.4; the V3/R1 inference system overview, 2025-02; the
// profile-data README): the rank's batch is split in two and, while one micro-batch communicates, the other
// computes. Each micro-batch runs its layers as a fixed list of stages; the second runs the same list `delta` stages
// behind the first, and the host alternates one stage of each. The stage lists and deltas are those of SGLang's
// public reproduction of DeepSeek's figures (operations_strategy.py, the "deepseek_blog" strategies). On the GPU,
// compute kernels run on one stream; a dispatch or combine starts once the compute issued before it is done (its
// input), and the compute stream waits for it at a later point, so the overlap comes out of the replay.
//
// Decode (low-latency kernels, delta 2), five stages per MoE layer:
//   s0  attn0: attention norm, q and kv projections, q absorption
//   s1  attn1: core attention over the KV cache, v absorption, o_proj; gate: FFN norm and router
//   s2  issue dispatch; shared expert
//   s3  wait dispatch; routed experts; issue combine
//   s4  wait combine
// In steady state the compute stream runs A.shared B.attn0 A.experts B.attn1 B.shared A'.attn0 B.experts A'.attn1:
// A's dispatch hides under A.shared + B.attn0, A's combine under B.attn1, B's dispatch under B.shared + A'.attn0,
// B's combine under A'.attn1. Attention is split in two to balance the stages against the communication (the
// overview's "5-stage pipeline"). The low-latency kernels free every SM once their RDMA writes are issued
// (profile-data README), so compute keeps all SMs. With computation hidden the comm stream runs A.dispatch,
// A.combine, B.dispatch, B.combine back to back: a layer takes 2 x (dispatch + combine), the speed limit of [P].
//
// Prefill (normal kernels on normal_sms SMs, reserved for the whole step; delta 0), three stages per MoE layer:
//   s0  attention, gate; issue dispatch      s1  wait dispatch; routed experts; issue combine
//   s2  shared expert; wait combine
// The compute stream runs A.attn B.attn A.experts B.experts A.shared B.shared A'.attn: A's dispatch hides under
// B.attn, B's under A.experts, A's combine under B.experts and A.shared, B's under the shared experts.
//
// Dense layers keep the stage count, their FFN in the third stage. The embedding opens the first layer's first
// stage; the head has a stage of its own after the last layer; each MTP module (decode) is one more MoE layer whose
// embedding part (embedding, norms, projection) opens its first stage, followed by a stage for its head. One
// micro-batch runs its stages in order.
#include "workloads/generators/inference_program.hpp"

#include <array>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "workloads/model/op_costs.hpp"

namespace dsim::workloads::generators::detail {
namespace {

enum class Segment : std::uint8_t { embed, attn, attn0, attn1, gate, shared, experts, ffn, head };
constexpr std::array<std::string_view, 9> segment_names = {"embed",  "attn",    "attn0", "attn1", "gate",
                                                           "shared", "experts", "ffn",   "head"};
constexpr std::size_t segment_count = segment_names.size();

using Stage = std::vector<ProgramItem>;

std::int64_t share(std::int64_t n, int parts, int i) { return n / parts + (i < n % parts ? 1 : 0); }

// An op's name without the "mtpK." prefix of MTP modules.
std::string_view base_name(std::string_view name) {
  if (name.starts_with("mtp")) {
    const auto dot = name.find('.');
    if (dot != std::string_view::npos) return name.substr(dot + 1);
  }
  return name;
}

// The segment of an op, given whether the block's core attention has been seen (decode splits attention there).
Segment segment_of(const OpCost& op, bool decode, bool moe, bool& past_core) {
  const std::string_view name = base_name(op.name);
  switch (op.part) {
    case LayerPart::embedding: return Segment::embed;
    case LayerPart::head: return Segment::head;
    case LayerPart::attention:
      if (!decode) return Segment::attn;
      if (name == "core_attention") past_core = true;
      return past_core ? Segment::attn1 : Segment::attn0;
    case LayerPart::mlp:
      if (name == "ffn_norm") return moe ? Segment::gate : Segment::ffn;
      if (name == "router") return Segment::gate;
      if (name.starts_with("shared_expert.")) return Segment::shared;
      if (name.starts_with("experts.")) return Segment::experts;
      if (name.starts_with("dense_ffn.")) return Segment::ffn;
      break;
  }
  DSIM_CHECK(false, "op '{}' fits no part of the inference schedule", op.name);
  return Segment::attn;
}

// A block's ops summed into one compute item per segment and numeric format (formats in first-seen order): the
// roofline times FP8 and BF16 work at their own peaks.
class BlockCosts {
 public:
  BlockCosts(const std::vector<OpCost>& ops, bool decode, bool moe) {
    bool past_core = false;
    for (const OpCost& op : ops) {
      auto& items = segments_[static_cast<std::size_t>(segment_of(op, decode, moe, past_core))];
      auto it = items.begin();
      while (it != items.end() && it->dtype != op.dtype) ++it;
      if (it == items.end()) {
        items.push_back(ProgramItem{ProgramItem::Kind::compute, "", 0.0, op.dtype, 0, 0});
        it = items.end() - 1;
      }
      it->flops += op.flops;
      it->bytes += op.bytes;
    }
  }

  bool has(Segment s) const { return !segments_[static_cast<std::size_t>(s)].empty(); }

  // Appends segment `s`'s items to `stage`, named "<prefix>.<segment>" (".<dtype>" added when it has several).
  void emit(Segment s, const std::string& prefix, Stage& stage) const {
    const auto& items = segments_[static_cast<std::size_t>(s)];
    for (ProgramItem item : items) {
      item.name = fmt::format("{}.{}", prefix, segment_names[static_cast<std::size_t>(s)]);
      if (items.size() > 1) item.name += fmt::format(".{}", to_string(item.dtype));
      stage.push_back(std::move(item));
    }
  }

 private:
  std::array<std::vector<ProgramItem>, segment_count> segments_;
};

// Lays out one micro-batch's blocks (layers, head, MTP modules) as stages, adding their communication to `program`.
class StageBuilder {
 public:
  StageBuilder(const ModelConfig& config, const InferenceSpec& spec, int mb, Program& program)
      : config_(config), spec_(spec), mb_(mb), decode_(spec.phase == InferencePhase::decode), program_(program) {}

  // `block` names the layer ("L12") or MTP module ("MTP1"); empty for the main model's head.
  void add_block(const std::string& block, const std::vector<OpCost>& ops, bool moe) {
    const BlockCosts costs(ops, decode_, moe);
    const std::string own = block.empty() ? fmt::format("mb{}", mb_) : fmt::format("{}.mb{}", block, mb_);
    // The main model's embedding and head read "mb0.embed", "mb0.head"; an MTP module's keep its name.
    const std::string outer = block.starts_with("MTP") ? own : fmt::format("mb{}", mb_);
    const bool layer = costs.has(Segment::attn) || costs.has(Segment::attn0);
    if (layer) {
      std::vector<Stage> s(decode_ ? 5 : 3);
      costs.emit(Segment::embed, outer, s[0]);
      if (decode_) {
        costs.emit(Segment::attn0, own, s[0]);
        costs.emit(Segment::attn1, own, s[1]);
        costs.emit(Segment::gate, own, s[1]);
      } else {
        costs.emit(Segment::attn, own, s[0]);
        costs.emit(Segment::gate, own, s[0]);
      }
      if (moe) {
        const std::size_t dispatch = add_comm(own, CollectiveOp::moe_dispatch);
        const std::size_t combine = add_comm(own, CollectiveOp::moe_combine);
        ++moe_blocks_;
        Stage& issue_dispatch = decode_ ? s[2] : s[0];
        Stage& experts = decode_ ? s[3] : s[1];
        Stage& wait_combine = decode_ ? s[4] : s[2];
        issue_dispatch.push_back(comm_item(ProgramItem::Kind::issue, dispatch));
        costs.emit(Segment::shared, own, s[2]);
        experts.push_back(comm_item(ProgramItem::Kind::wait, dispatch));
        costs.emit(Segment::experts, own, experts);
        experts.push_back(comm_item(ProgramItem::Kind::issue, combine));
        wait_combine.push_back(comm_item(ProgramItem::Kind::wait, combine));
      } else {
        costs.emit(Segment::ffn, own, decode_ ? s[2] : s[1]);
      }
      for (Stage& stage : s) stages_.push_back(std::move(stage));
    }
    if (costs.has(Segment::head)) {
      Stage head;
      costs.emit(Segment::head, outer, head);
      stages_.push_back(std::move(head));
    }
  }

  std::vector<Stage> take() { return std::move(stages_); }

 private:
  std::size_t add_comm(const std::string& prefix, CollectiveOp kind) {
    ProgramComm comm;
    comm.name = fmt::format("{}.{}", prefix, kind == CollectiveOp::moe_dispatch ? "dispatch" : "combine");
    comm.kind = kind;
    comm.moe.low_latency = decode_;
    comm.moe.tokens_per_rank = micro_batch_layers(config_, spec_, mb_).tokens;
    comm.moe.hidden = config_.hidden;
    comm.moe.payload = kind == CollectiveOp::moe_dispatch ? spec_.dispatch_payload : spec_.combine_payload;
    comm.moe.sms = spec_.normal_sms;
    // Dispatch and combine of one (block, micro-batch) see the same routing; the next pair the next sample.
    comm.moe.routing_sample =
        static_cast<std::uint32_t>(moe_blocks_ * spec_.micro_batches + mb_) % spec_.routing_samples;
    program_.comms.push_back(std::move(comm));
    return program_.comms.size() - 1;
  }
  static ProgramItem comm_item(ProgramItem::Kind kind, std::size_t comm) {
    ProgramItem item;
    item.kind = kind;
    item.comm = comm;
    return item;
  }

  const ModelConfig& config_;
  const InferenceSpec& spec_;
  int mb_;
  bool decode_;
  Program& program_;
  int moe_blocks_ = 0;
  std::vector<Stage> stages_;
};

// Micro-batch 0 runs `delta` stages ahead; then the host alternates a stage of each.
std::vector<ProgramItem> interleave(std::vector<std::vector<Stage>> micro_batches, std::size_t delta) {
  std::vector<ProgramItem> items;
  const auto append = [&](Stage& stage) {
    for (ProgramItem& item : stage) items.push_back(std::move(item));
  };
  if (micro_batches.size() == 1) {
    for (Stage& stage : micro_batches[0]) append(stage);
    return items;
  }
  DSIM_CHECK(micro_batches.size() == 2 && micro_batches[0].size() == micro_batches[1].size(),
             "dual micro-batch overlap needs two micro-batches of equal stage counts");
  const std::size_t n = micro_batches[0].size();
  for (std::size_t t = 0; t < n + delta; ++t) {
    if (t < n) append(micro_batches[0][t]);
    if (t >= delta) append(micro_batches[1][t - delta]);
  }
  return items;
}

}  // namespace

LayerBatch micro_batch_layers(const ModelConfig& config, const InferenceSpec& spec, int mb) {
  LayerBatch b;
  if (spec.phase == InferencePhase::decode) {
    b.seq_len = 1 + spec.mtp_depth;
    b.tokens = share(spec.batch_per_rank, spec.micro_batches, mb) * b.seq_len;
    b.kv_len = spec.context_len;
  } else {
    b.seq_len = spec.context_len;
    b.tokens = share(spec.batch_per_rank / spec.context_len, spec.micro_batches, mb) * b.seq_len;
  }
  if (config.is_moe()) {
    // Uniform routing: a rank receives on average as many (token, expert) pairs as it sends.
    b.routed_tokens = b.tokens * config.experts_per_token;
    b.local_experts = (config.routed_experts + spec.ranks - 1) / spec.ranks;
  }
  return b;
}

LayerBatch micro_batch_head(const ModelConfig& config, const InferenceSpec& spec, int mb) {
  LayerBatch b = micro_batch_layers(config, spec, mb);
  if (spec.phase == InferencePhase::prefill) {
    b.tokens /= b.seq_len;
    b.seq_len = 1;
  }
  b.routed_tokens = 0;
  b.local_experts = 0;
  return b;
}

Program build_program(const ModelConfig& config, const InferenceSpec& spec) {
  const int layers = spec.layers == 0 ? config.layers : spec.layers;
  const Pass forward = Pass::forward;
  Program program;
  std::vector<std::vector<Stage>> stages;
  for (int mb = 0; mb < spec.micro_batches; ++mb) {
    const LayerBatch batch = micro_batch_layers(config, spec, mb);
    StageBuilder builder(config, spec, mb, program);
    for (int layer = 0; layer < layers; ++layer) {
      std::vector<OpCost> ops = layer_ops(config, layer, batch, spec.precision, forward);
      if (layer == 0) {
        std::vector<OpCost> embedding = embedding_ops(config, batch, spec.precision, forward);
        ops.insert(ops.begin(), embedding.begin(), embedding.end());
      }
      builder.add_block(fmt::format("L{}", layer), ops, config.is_moe() && layer >= config.dense_layers);
    }
    builder.add_block("", head_ops(config, micro_batch_head(config, spec, mb), spec.precision, forward), false);
    for (int module = 0; module < spec.mtp_depth; ++module) {
      builder.add_block(fmt::format("MTP{}", module + 1), mtp_ops(config, module, batch, spec.precision, forward),
                        config.is_moe());
    }
    stages.push_back(builder.take());
  }
  program.items = interleave(std::move(stages), spec.phase == InferencePhase::decode ? 2 : 0);
  return program;
}

}  // namespace dsim::workloads::generators::detail
