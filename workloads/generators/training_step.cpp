// SPDX-License-Identifier: Apache-2.0
// Building a training step in three passes over the schedule:
// 1. every rank's chunk passes become ops, in the rank's schedule order: compute kernels on the "compute" stream,
//    dispatch/combine calls on the "comm" stream, each segment waiting for the one before it in its chunk. A
//    DualPipe "F&B" pair interleaves its two chunks: the compute stream alternates forward and backward runs of
//    compute (one layer part each, forward first), the comm stream backward and forward calls (backward first), so the backward's combine-gradient
//    runs under the forward's attention, the forward's dispatch under the backward's MLP, and so on ([R] 3.2.1,
//    Figure 4). All ranks of an EP group run the same schedule, so they join each call in the same order.
// 2. stages are chained: the next stage of a micro-batch waits for an activation (forward) or gradient (backward)
//    sent from the rank of the stage before, or directly for that stage when it is on the same rank (DualPipeV's
//    turn); a backward waits for its own forward, a weight gradient for its backward_input. Each (kind, direction)
//    of pipeline traffic has its own send and recv stream, on which messages run in micro-batch order at both ends.
// 3. ZeRO-1: after its last chunk a rank reduce-scatters its dense gradients over its DP group (and expert gradients
//    over the expert-DP group), updates its shard (memory-bound: master weights, moments, gradients) and
//    all-gathers the parameters.
#include "workloads/generators/training_step.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"
#include "workloads/generators/training_chunk.hpp"

namespace dsim::workloads::generators {
namespace {

using generators::detail::Segment;
using schedules::ChunkPass;

constexpr int pass_count = 4;
int pass_index(ChunkPass p) { return static_cast<int>(p); }

Phase phase_of(ChunkPass p) {
  switch (p) {
    case ChunkPass::forward: return Phase::forward;
    case ChunkPass::backward: return Phase::backward;
    case ChunkPass::backward_input: return Phase::backward_input;
    case ChunkPass::backward_weight: return Phase::backward_weight;
  }
  return Phase::other;
}

std::uint64_t round_up(std::uint64_t v, std::uint64_t m) { return (v + m - 1) / m * m; }

class Builder {
 public:
  Builder(const ModelConfig& config, const TrainingSpec& spec, const ParallelLayout& layout,
          schedules::PipelineSchedule schedule, std::vector<StageContent> stages)
      : config_(config),
        spec_(spec),
        layout_(layout),
        schedule_(std::move(schedule)),
        stages_(std::move(stages)),
        trace_(layout.gpus()) {
    const int s_count = schedule_.stages();
    ends_.assign(static_cast<std::size_t>(layout_.dp()) * schedule_.microbatches * s_count * pass_count, {});
    segments_.resize(static_cast<std::size_t>(s_count) * pass_count);
    compute_ = trace_.stream("compute");
    comm_ = trace_.stream("comm");
    shape_.batch.seq_len = spec.layout.seq_len;
    shape_.batch.tokens = spec.layout.micro_batch * spec.layout.seq_len;
    shape_.batch.causal = true;
    if (config.is_moe()) {
      shape_.batch.routed_tokens = shape_.batch.tokens * config.experts_per_token;
      shape_.batch.local_experts = layout.local_experts();
    }
    shape_.precision = spec.precision;
    shape_.dispatch_payload = spec.dispatch_payload;
    shape_.combine_payload = spec.combine_payload;
    last_.assign(static_cast<std::size_t>(layout.gpus()), {});
  }

  StepTrace build() {
    for (int p = 0; p < layout_.pp(); ++p) {
      for (int first = 0; first < layout_.dp(); first += layout_.ep()) chunks_of(p, first);
      // Every pipeline rank emits about as many ops as the first (the stages differ by a layer or two); chaining and
      // the data-parallel sync add a few per rank.
      if (p == 0) trace_.reserve_ops(trace_.ops().size() * static_cast<std::size_t>(layout_.pp()) * 11 / 10);
    }
    chain_stages();
    if (spec_.data_parallel_sync) data_parallel_sync();
    return std::move(trace_);
  }

 private:
  struct Ends {
    OpId first;
    OpId last;
  };
  struct Emitting {
    int p;  // pipeline rank
    int microbatch, stage;
    ChunkPass pass;
    const std::vector<Segment>* segments;
  };

  Ends& ends(int d, int m, int s, ChunkPass pass) {
    const std::size_t i =
        ((static_cast<std::size_t>(d) * schedule_.microbatches + m) * schedule_.stages() + s) * pass_count +
        pass_index(pass);
    return ends_[i];
  }

  const std::vector<Segment>& segments(int stage, ChunkPass pass) {
    auto& slot = segments_[static_cast<std::size_t>(stage) * pass_count + pass_index(pass)];
    if (!slot) {
      slot = std::make_unique<std::vector<Segment>>(
          generators::detail::chunk_segments(config_, stages_[stage], pass, shape_));
      for (Segment& seg : *slot) seg.mix = trace_.add_kernel_mix(seg.kernels);
    }
    return *slot;
  }

  // Pass 1 for the EP group of pipeline rank p whose first DP index is `first` (a dense model: each DP index alone).
  void chunks_of(int p, int first) {
    const int members = config_.is_moe() ? layout_.ep() : 1;
    std::vector<RankId> ranks;
    for (int i = 0; i < members; ++i) ranks.push_back(RankId(static_cast<RankId::Value>(layout_.rank_of(p, first + i))));
    const GroupId group = config_.is_moe() ? trace_.add_group(ranks) : GroupId();  // ep 1: a group of one
    const auto& order = schedule_.order[static_cast<std::size_t>(p)];
    for (std::size_t k = 0; k < order.size(); ++k) {
      std::vector<Emitting> chunks;
      const auto add = [&](const schedules::ScheduleItem& item) {
        const int s = schedule_.stage_of(item.microbatch, {p, item.chunk});
        DSIM_CHECK(s >= 0, "schedule puts micro-batch {} on rank {} chunk {} off its path", item.microbatch, p,
                   item.chunk);
        chunks.push_back({p, item.microbatch, s, item.pass, &segments(s, item.pass)});
      };
      add(order[k]);
      if (order[k].overlapped_with_next && k + 1 < order.size()) add(order[++k]);
      emit(chunks, first, members, group);
    }
  }

  // Emits one chunk, or an overlapped pair interleaved as described at the top of this file, on every member.
  void emit(const std::vector<Emitting>& chunks, int first, int members, GroupId group) {
    std::vector<std::size_t> next(chunks.size(), 0);  // next segment of each chunk
    std::vector<std::vector<OpId>> prev(chunks.size(), std::vector<OpId>(static_cast<std::size_t>(members)));
    // Turn order per stream: compute starts with chunk 0 (the forward of a pair), comm with the last chunk.
    std::size_t compute_turn = 0;
    std::size_t comm_turn = chunks.size() - 1;
    for (;;) {
      bool progressed = false;
      bool all_done = true;
      for (int stream = 0; stream < 2; ++stream) {
        std::size_t& turn = stream == 0 ? compute_turn : comm_turn;
        // Try the chunk whose turn it is, then the other (a chunk whose next segment is on this stream).
        for (std::size_t attempt = 0; attempt < chunks.size(); ++attempt) {
          const std::size_t c = (turn + attempt) % chunks.size();
          const auto& segs = *chunks[c].segments;
          if (next[c] >= segs.size()) continue;
          const bool is_compute = segs[next[c]].kind == Segment::Kind::compute;
          if (is_compute != (stream == 0)) continue;
          // A turn takes one communication, or the whole run of compute up to the chunk's next communication
          // (a layer part's kernels stay together, as DualPipe pairs parts, not kernels).
          do {
            emit_segment(chunks[c], next[c], first, members, group, prev[c]);
            ++next[c];
          } while (is_compute && next[c] < segs.size() && segs[next[c]].kind == Segment::Kind::compute);
          turn = (c + 1) % chunks.size();
          progressed = true;
          break;
        }
      }
      for (std::size_t c = 0; c < chunks.size(); ++c) all_done = all_done && next[c] >= chunks[c].segments->size();
      if (all_done) break;
      DSIM_CHECK(progressed, "chunk interleaving stalled");
    }
  }

  void emit_segment(const Emitting& chunk, std::size_t index, int first, int members, GroupId group,
                    std::vector<OpId>& prev) {
    const Segment& seg = (*chunk.segments)[index];
    const OpName name(fmt::format("mb{}.s{}.{}.{}", chunk.microbatch, chunk.stage, schedules::to_string(chunk.pass),
                                  seg.name));  // one shared text for every member's op
    CallId call;
    if (seg.kind != Segment::Kind::compute) {
      CollectiveCall c;
      c.kind = seg.kind == Segment::Kind::dispatch ? CollectiveOp::moe_dispatch : CollectiveOp::moe_combine;
      c.group = group;
      c.moe.tokens_per_rank = shape_.batch.tokens;
      c.moe.hidden = config_.hidden;
      c.moe.payload = seg.payload;
      c.moe.sms = spec_.comm_sms;
      c.moe.routing_sample = static_cast<std::uint32_t>(
          (static_cast<std::uint64_t>(seg.layer) * 7919u + static_cast<std::uint64_t>(chunk.microbatch)) %
          spec_.routing_samples);
      call = trace_.add_call(c);
    }
    for (int i = 0; i < members; ++i) {
      Op op;
      op.name = name;
      op.rank = RankId(static_cast<RankId::Value>(layout_.rank_of(chunk.p, first + i)));
      op.phase = phase_of(chunk.pass);
      if (seg.kind == Segment::Kind::compute) {
        op.kind = OpKind::compute;
        op.stream = compute_;
        op.flops = seg.flops;
        op.dtype = seg.dtype;
        op.bytes = Bytes(seg.bytes);
        op.kernels = seg.mix;
        if (seg.kernels.empty()) op.duration = Time::zero();  // a marker keeping the chain: nothing to time
        op.reserved_sms = spec_.comm_sms;
      } else {
        op.kind = OpKind::collective;
        op.stream = comm_;
        op.call = call;
      }
      if (prev[static_cast<std::size_t>(i)].valid()) op.deps.push_back(prev[static_cast<std::size_t>(i)]);
      const OpId id = trace_.add(std::move(op));
      prev[static_cast<std::size_t>(i)] = id;
      Ends& e = ends(first + i, chunk.microbatch, chunk.stage, chunk.pass);
      if (!e.first.valid()) e.first = id;
      e.last = id;
      auto& last = last_[trace_.op(id).rank.index()];
      last[seg.kind == Segment::Kind::compute ? 0 : 1] = id;
    }
  }

  // Pass 2.
  void chain_stages() {
    const Bytes message(static_cast<std::uint64_t>(shape_.batch.tokens) * static_cast<std::uint64_t>(config_.hidden) *
                        static_cast<std::uint64_t>(spec_.pipeline_bytes_per_element));
    for (int p = 0; p < layout_.pp(); ++p) {
      for (const auto& item : schedule_.order[static_cast<std::size_t>(p)]) {
        const int m = item.microbatch;
        const int s = schedule_.stage_of(m, {p, item.chunk});
        const auto path = schedule_.path(m);
        const Names fwd{fmt::format("mb{}.s{}.fwd.send", m, s), fmt::format("mb{}.s{}.fwd.recv", m, s)};
        const Names bwd{fmt::format("mb{}.s{}.bwd.send", m, s), fmt::format("mb{}.s{}.bwd.recv", m, s)};
        for (int d = 0; d < layout_.dp(); ++d) {
          const Ends& self = ends(d, m, s, item.pass);
          if (!self.first.valid()) continue;  // a chunk without ops
          if (item.pass == ChunkPass::forward && s + 1 < schedule_.stages()) {
            const ChunkPass next_pass = ChunkPass::forward;
            link(d, p, path[static_cast<std::size_t>(s + 1)].rank, self.last, ends(d, m, s + 1, next_pass).first,
                 message, "fwd", fwd, m, s);
          }
          const bool backward = item.pass == ChunkPass::backward || item.pass == ChunkPass::backward_input;
          if (backward) {
            DSIM_CHECK(ends(d, m, s, ChunkPass::forward).last.valid(), "no forward for mb {} stage {} pass {}", m, s,
                       schedules::to_string(item.pass));
            trace_.add_dep(self.first, ends(d, m, s, ChunkPass::forward).last);
            if (s > 0) {
              // DualPipe runs some backwards whole and some split; the previous stage's may be either.
              const OpId next = backward_of(d, m, s - 1).first;
              link(d, p, path[static_cast<std::size_t>(s - 1)].rank, self.last, next, message, "bwd", bwd, m, s);
            }
          }
          if (item.pass == ChunkPass::backward_weight) {
            DSIM_CHECK(ends(d, m, s, ChunkPass::backward_input).last.valid(), "no Bi for mb {} stage {}", m, s);
            trace_.add_dep(self.first, ends(d, m, s, ChunkPass::backward_input).last);
          }
        }
      }
    }
  }

  const Ends& backward_of(int d, int m, int s) {
    const Ends& whole = ends(d, m, s, ChunkPass::backward);
    return whole.first.valid() ? whole : ends(d, m, s, ChunkPass::backward_input);
  }

  struct Names {
    OpName send, recv;
  };

  void link(int d, int from_p, int to_p, OpId produced, OpId consumer, Bytes size, const char* kind,
            const Names& names, int m, int s) {
    DSIM_CHECK(produced.valid() && consumer.valid(), "micro-batch {} stage {} has no op to chain", m, s);
    if (from_p == to_p) {
      trace_.add_dep(consumer, produced);
      return;
    }
    const char* towards = to_p > from_p ? "next" : "prev";
    const char* from = to_p > from_p ? "prev" : "next";
    Op send;
    send.name = names.send;
    send.rank = RankId(static_cast<RankId::Value>(layout_.rank_of(from_p, d)));
    send.kind = OpKind::send;
    send.stream = pp_stream(fmt::format("pp.{}.send.{}", kind, towards));
    send.peer = RankId(static_cast<RankId::Value>(layout_.rank_of(to_p, d)));
    send.size = size;
    send.deps = {produced};
    send.phase = trace_.op(produced).phase;
    Op recv = send;
    recv.name = names.recv;
    recv.rank = send.peer;
    recv.peer = send.rank;
    recv.kind = OpKind::recv;
    recv.stream = pp_stream(fmt::format("pp.{}.recv.from_{}", kind, from));
    recv.deps.clear();
    trace_.add(std::move(send));
    trace_.add_dep(consumer, trace_.add(std::move(recv)));
  }

  // The eight pipeline streams (kind x direction x end), looked up once each.
  StreamId pp_stream(const std::string& name) {
    auto [it, fresh] = pp_streams_.try_emplace(name, StreamId());
    if (fresh) it->second = trace_.stream(name);
    return it->second;
  }

  // Pass 3. Ranks holding the same stages form one ZeRO-1 group: the DP replicas of a pipeline rank, and under
  // DualPipe also those of its mirror (pipeline ranks r and P-1-r both hold stages r and P-1-r, one copy per
  // direction, whose gradients must be summed: deepseek-ai/DualPipe's example adds the mirror's gradient).
  void data_parallel_sync() {
    std::vector<std::vector<int>> held_stages(static_cast<std::size_t>(layout_.pp()));
    for (int m = 0; m < schedule_.microbatches; ++m) {
      const auto path = schedule_.path(m);
      for (std::size_t s = 0; s < path.size(); ++s) {
        auto& held = held_stages[static_cast<std::size_t>(path[s].rank)];
        if (std::find(held.begin(), held.end(), static_cast<int>(s)) == held.end()) held.push_back(static_cast<int>(s));
      }
    }
    for (auto& held : held_stages) std::sort(held.begin(), held.end());
    for (int p = 0; p < layout_.pp(); ++p) {
      std::vector<int> twins;  // pipeline ranks holding the same stages as p, p included
      for (int q = 0; q < layout_.pp(); ++q) {
        if (held_stages[static_cast<std::size_t>(q)] == held_stages[static_cast<std::size_t>(p)]) twins.push_back(q);
      }
      std::vector<StageContent> contents;
      for (const int s : held_stages[static_cast<std::size_t>(p)]) contents.push_back(stages_[static_cast<std::size_t>(s)]);
      const HeldParameters held = held_parameters(config_, layout_, contents);
      for (int d = 0; d < layout_.dp(); ++d) sync_rank(layout_.rank_of(p, d), twins, held);
    }
  }

  void sync_rank(int rank, const std::vector<int>& twins, const HeldParameters& held) {
    std::vector<OpId> after;
    for (const OpId id : last_[static_cast<std::size_t>(rank)]) {
      if (id.valid()) after.push_back(id);
    }
    std::vector<RankId> dp;
    std::vector<RankId> edp;
    for (const int q : twins) {
      for (const int r : layout_.dp_group(rank)) dp.push_back(rank_id(layout_.rank_of(q, layout_.dp_index(r))));
      for (const int r : layout_.expert_dp_group(rank)) edp.push_back(rank_id(layout_.rank_of(q, layout_.dp_index(r))));
    }
    std::sort(dp.begin(), dp.end());
    std::sort(edp.begin(), edp.end());
    OpId tail = collective(rank, CollectiveOp::reduce_scatter, dp, held.dense * spec_.gradient_bytes_per_element,
                           "zero1.grad_reduce_scatter", after);
    if (held.expert > 0 && edp.size() > 1) {
      tail = collective(rank, CollectiveOp::reduce_scatter, edp, held.expert * spec_.gradient_bytes_per_element,
                        "zero1.expert_grad_reduce_scatter", {tail});
    }
    // The shard's update reads and writes FP32 master weights and two BF16 moments and reads the FP32 gradient
    // and writes the BF16 weight: 4 + 4 + 2 x (2 + 2) + 4 + 2 = 22 bytes per parameter of the shard.
    const std::uint64_t shard = held.dense / dp.size() + held.expert / edp.size();
    Op update;
    update.name = "zero1.optimizer_step";
    update.rank = rank_id(rank);
    update.kind = OpKind::compute;
    update.stream = compute_;
    update.phase = Phase::optimizer;
    update.dtype = Dtype::fp32;
    update.flops = 10.0 * static_cast<double>(shard);
    update.bytes = Bytes(22 * shard);
    const std::pair<Kernel, std::uint32_t> kernel{Kernel{memory_shape(22 * shard), update.flops, 22 * shard}, 1};
    update.kernels = trace_.add_kernel_mix(std::span(&kernel, 1));
    update.deps = {tail};
    tail = trace_.add(std::move(update));
    tail = collective(rank, CollectiveOp::all_gather, dp, held.dense * 2, "zero1.param_all_gather", {tail});
    if (held.expert > 0 && edp.size() > 1) {
      collective(rank, CollectiveOp::all_gather, edp, held.expert * 2, "zero1.expert_param_all_gather", {tail});
    }
  }

  static RankId rank_id(int rank) { return RankId(static_cast<RankId::Value>(rank)); }

  // One rank's op of a collective over `group`; the call is made when the group's first rank asks (ranks are
  // visited in order, and each group's calls are asked for in the same order by all its ranks).
  OpId collective(int rank, CollectiveOp kind, const std::vector<RankId>& ranks, std::uint64_t bytes,
                  const char* name, std::vector<OpId> deps) {
    const GroupId group = trace_.add_group(ranks);
    const auto key = std::make_pair(group.value(), std::string(name));
    auto [it, fresh] = sync_calls_.try_emplace(key, CallId());
    if (fresh) {
      CollectiveCall c;
      c.kind = kind;
      c.group = group;
      c.size = Bytes(round_up(std::max<std::uint64_t>(bytes, 1), ranks.size()));
      it->second = trace_.add_call(c);
    }
    Op op;
    op.name = name;
    op.rank = RankId(static_cast<RankId::Value>(rank));
    op.kind = OpKind::collective;
    op.stream = comm_;
    op.call = it->second;
    op.phase = Phase::optimizer;
    op.deps = std::move(deps);
    return trace_.add(std::move(op));
  }

  const ModelConfig& config_;
  const TrainingSpec& spec_;
  const ParallelLayout& layout_;
  schedules::PipelineSchedule schedule_;
  std::vector<StageContent> stages_;
  StepTrace trace_;
  StreamId compute_;
  StreamId comm_;
  generators::detail::ChunkShape shape_;
  std::vector<Ends> ends_;
  std::vector<std::unique_ptr<std::vector<Segment>>> segments_;
  std::vector<std::array<OpId, 2>> last_;  // per rank: last op on compute, on comm
  std::map<std::pair<std::uint32_t, std::string>, CallId> sync_calls_;
  std::map<std::string, StreamId, std::less<>> pp_streams_;
};

}  // namespace

namespace {

ParallelLayout make_layout(const ModelConfig& config, const TrainingSpec& spec) {
  LayoutSpec layout_spec = spec.layout;
  layout_spec.chunks_per_rank = schedules::schedule_kinds()[static_cast<std::size_t>(spec.schedule)].chunks_per_rank;
  return ParallelLayout(layout_spec, config);
}

}  // namespace

std::vector<PipelineRankMemory> training_memory(const ModelConfig& config, const TrainingSpec& spec) {
  const ParallelLayout layout = make_layout(config, spec);
  const schedules::PipelineSchedule schedule =
      schedules::make_schedule(spec.schedule, layout.pp(), static_cast<int>(layout.microbatches()), "schedule");
  const std::vector<StageContent> stages = split_stages(config, schedule.stages());
  std::vector<PipelineRankMemory> out(static_cast<std::size_t>(layout.pp()));
  for (int m = 0; m < schedule.microbatches; ++m) {
    const auto path = schedule.path(m);
    for (std::size_t s = 0; s < path.size(); ++s) {
      auto& held = out[static_cast<std::size_t>(path[s].rank)].stages;
      if (std::find(held.begin(), held.end(), static_cast<int>(s)) == held.end()) held.push_back(static_cast<int>(s));
    }
  }
  for (int p = 0; p < layout.pp(); ++p) {
    auto& rank = out[static_cast<std::size_t>(p)];
    std::sort(rank.stages.begin(), rank.stages.end());
    int live = 0;
    for (const auto& item : schedule.order[static_cast<std::size_t>(p)]) {
      if (item.pass == ChunkPass::forward) rank.in_flight = std::max(rank.in_flight, ++live);
      if (item.pass == ChunkPass::backward || item.pass == ChunkPass::backward_input) --live;
    }
    std::vector<StageContent> held;
    for (const int s : rank.stages) held.push_back(stages[static_cast<std::size_t>(s)]);
    rank.footprint = memory_per_gpu(config, layout, held, rank.in_flight);
  }
  return out;
}

TrainingStep make_training_step(const ModelConfig& config, const TrainingSpec& spec) {
  const ParallelLayout layout = make_layout(config, spec);
  schedules::PipelineSchedule schedule = schedules::make_schedule(spec.schedule, layout.pp(), static_cast<int>(layout.microbatches()),
                                                                  "schedule");
  std::vector<StageContent> stages = split_stages(config, schedule.stages());
  TrainingStep step{StepTrace(layout.gpus()), {}};
  step.figures.microbatches = static_cast<int>(layout.microbatches());
  step.figures.stages = schedule.stages();
  step.figures.tokens_per_step = spec.layout.global_batch * spec.layout.seq_len;
  FlopsCounting counting = FlopsCounting::table2();
  step.figures.model_flops_per_token_causal = training_flops_per_token(config, spec.layout.seq_len, counting);
  counting.attention = AttentionFlops::full;
  step.figures.model_flops_per_token_full = training_flops_per_token(config, spec.layout.seq_len, counting);
  step.figures.stage_contents = stages;
  step.trace = Builder(config, spec, layout, std::move(schedule), std::move(stages)).build();
  return step;
}

}  // namespace dsim::workloads::generators
