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
// Dense layers keep the stage count, their FFN in the third stage. One micro-batch runs its stages in order.
// The embedding and the output head run once over the rank's whole batch, before and after the layers (SGLang
// splits the batch for the layers only; a head per micro-batch would read its 1.85 GB of V3 weights twice). Each
// MTP module (decode) follows as one more layer, interleaved the same way, its embedding part (embedding, norms,
// projection) opening its first stage; then its head, once.
#include "workloads/generators/inference_program.hpp"

#include <algorithm>
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

// Sequences (decode) or prompts (prefill) of the rank's batch, and of micro-batch `mb`: as even as can be.
std::int64_t rank_sequences(const InferenceSpec& spec) {
  return spec.phase == InferencePhase::decode ? spec.batch_per_rank : spec.batch_per_rank / spec.context_len;
}
std::int64_t micro_batch_sequences(const InferenceSpec& spec, int mb) {
  const std::int64_t n = rank_sequences(spec);
  return n / spec.micro_batches + (mb < n % spec.micro_batches ? 1 : 0);
}

// What the layers of `sequences` sequences compute, as op_costs counts it: decode verifies 1 + mtp_depth tokens
// per sequence against the KV cache, prefill runs whole prompts.
LayerBatch layer_batch(const ModelConfig& config, const InferenceSpec& spec, std::int64_t sequences) {
  LayerBatch b;
  const bool decode = spec.phase == InferencePhase::decode;
  b.seq_len = decode ? 1 + spec.mtp_depth : spec.context_len;
  b.tokens = sequences * b.seq_len;
  b.kv_len = decode ? spec.context_len : 0;
  if (config.is_moe()) {
    // Uniform routing: a rank receives on average as many (token, expert) pairs as it sends.
    b.routed_tokens = b.tokens * config.experts_per_token;
    b.local_experts = (config.routed_experts + spec.ranks - 1) / spec.ranks;
  }
  return b;
}

// The head's batch: decode scores every verified token, prefill only each prompt's last one.
LayerBatch head_batch(const ModelConfig& config, const InferenceSpec& spec, std::int64_t sequences) {
  LayerBatch b = layer_batch(config, spec, sequences);
  if (spec.phase == InferencePhase::prefill) {
    b.tokens = sequences;
    b.seq_len = 1;
  }
  b.routed_tokens = 0;
  b.local_experts = 0;
  return b;
}

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
        items.push_back(ProgramItem{ProgramItem::Kind::compute, "", 0.0, op.dtype, 0, 0, false, {}});
        it = items.end() - 1;
      }
      it->flops += op.flops;
      it->bytes += op.bytes;
      const Kernel kernel = kernel_of(op);
      auto k = std::find_if(it->kernels.begin(), it->kernels.end(), [&](const auto& e) { return e.first == kernel; });
      if (k == it->kernels.end()) {
        it->kernels.emplace_back(kernel, 1);
      } else {
        ++k->second;
      }
    }
  }

  bool has(Segment s) const { return !segments_[static_cast<std::size_t>(s)].empty(); }

  // Appends segment `s`'s items to `stage`, named "<prefix>.<segment>" (".<dtype>" added when it has several).
  void emit(Segment s, const std::string& prefix, Stage& stage) const {
    const auto& items = segments_[static_cast<std::size_t>(s)];
    for (ProgramItem item : items) {
      const std::string_view segment = segment_names[static_cast<std::size_t>(s)];
      item.name = prefix.empty() ? std::string(segment) : fmt::format("{}.{}", prefix, segment);
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

  // A layer ("L12") or an MTP module's block ("MTP1"), without any head.
  void add_block(const std::string& block, const std::vector<OpCost>& ops, bool moe) {
    const BlockCosts costs(ops, decode_, moe);
    const std::string own = fmt::format("{}.mb{}", block, mb_);
    std::vector<Stage> s(decode_ ? 5 : 3);
    costs.emit(Segment::embed, own, s[0]);
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
      Stage& experts = decode_ ? s[3] : s[1];
      (decode_ ? s[2] : s[0]).push_back(comm_item(ProgramItem::Kind::issue, dispatch));
      costs.emit(Segment::shared, own, s[2]);
      experts.push_back(comm_item(ProgramItem::Kind::wait, dispatch));
      costs.emit(Segment::experts, own, experts);
      experts.push_back(comm_item(ProgramItem::Kind::issue, combine));
      (decode_ ? s[4] : s[2]).push_back(comm_item(ProgramItem::Kind::wait, combine));
    } else {
      costs.emit(Segment::ffn, own, decode_ ? s[2] : s[1]);
    }
    for (Stage& stage : s) stages_.push_back(std::move(stage));
  }

  std::vector<Stage> take() { return std::exchange(stages_, {}); }

 private:
  std::size_t add_comm(const std::string& prefix, CollectiveOp kind) {
    ProgramComm comm;
    comm.name = fmt::format("{}.{}", prefix, kind == CollectiveOp::moe_dispatch ? "dispatch" : "combine");
    comm.kind = kind;
    comm.moe.low_latency = decode_;
    comm.moe.tokens_per_rank = layer_batch(config_, spec_, micro_batch_sequences(spec_, mb_)).tokens;
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
  for (auto& stages : micro_batches) {
    for (Stage& stage : stages) {
      for (ProgramItem& item : stage) item.overlapped = true;
    }
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

// The part `segment` of `ops` as a stage of its own, run once for the whole batch.
Stage whole_batch(const std::vector<OpCost>& ops, Segment segment, const std::string& prefix) {
  Stage stage;
  BlockCosts(ops, false, false).emit(segment, prefix, stage);
  return stage;
}

void append_items(std::vector<ProgramItem>& items, std::vector<ProgramItem> more) {
  for (ProgramItem& item : more) items.push_back(std::move(item));
}

}  // namespace

Program build_program(const ModelConfig& config, const InferenceSpec& spec) {
  const int layers = spec.layers == 0 ? config.layers : spec.layers;
  const Pass forward = Pass::forward;
  const std::int64_t all = rank_sequences(spec);
  const std::size_t delta = spec.phase == InferencePhase::decode ? 2 : 0;
  Program program;
  // Micro-batch by micro-batch: the layers, then each MTP module's block (its stage lists interleave apart).
  std::vector<std::vector<Stage>> main(static_cast<std::size_t>(spec.micro_batches));
  std::vector<std::vector<std::vector<Stage>>> mtp(static_cast<std::size_t>(spec.mtp_depth), main);
  for (int mb = 0; mb < spec.micro_batches; ++mb) {
    const LayerBatch batch = layer_batch(config, spec, micro_batch_sequences(spec, mb));
    const auto m = static_cast<std::size_t>(mb);
    StageBuilder builder(config, spec, mb, program);
    for (int layer = 0; layer < layers; ++layer) {
      builder.add_block(fmt::format("L{}", layer), layer_ops(config, layer, batch, spec.precision, forward),
                        config.is_moe() && layer >= config.dense_layers);
    }
    main[m] = builder.take();
    for (int module = 0; module < spec.mtp_depth; ++module) {
      builder.add_block(fmt::format("MTP{}", module + 1), mtp_ops(config, module, batch, spec.precision, forward),
                        config.is_moe());
      mtp[static_cast<std::size_t>(module)][m] = builder.take();
    }
  }
  const LayerBatch whole = layer_batch(config, spec, all);
  const LayerBatch head = head_batch(config, spec, all);
  program.items = whole_batch(embedding_ops(config, whole, spec.precision, forward), Segment::embed, "");
  append_items(program.items, interleave(std::move(main), delta));
  append_items(program.items, whole_batch(head_ops(config, head, spec.precision, forward), Segment::head, ""));
  for (int module = 0; module < spec.mtp_depth; ++module) {
    append_items(program.items, interleave(std::move(mtp[static_cast<std::size_t>(module)]), delta));
    append_items(program.items, whole_batch(mtp_ops(config, module, head, spec.precision, forward), Segment::head,
                                      fmt::format("MTP{}", module + 1)));
  }
  return program;
}

}  // namespace dsim::workloads::generators::detail
