// SPDX-License-Identifier: Apache-2.0
// Pipeline schedules as per-rank op orders: which forward and backward passes each pipeline rank runs, on which of
// its model chunks, in what order. Nothing here is timed: the replay keeps the order and the cross-stage
// dependencies, so bubbles come out of the simulation, not out of a formula.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dsim::workloads::schedules {

enum class ScheduleKind : std::uint8_t { one_f_one_b, zb1p, dualpipe, dualpipe_v };

// backward: the full backward (input and weight gradients at once, as 1F1B runs it). The zero-bubble schedules
// split it into backward_input (the gradient the previous stage waits for) and backward_weight (deferrable).
enum class ChunkPass : std::uint8_t { forward, backward, backward_input, backward_weight };
std::string_view to_string(ChunkPass pass);

struct ChunkRef {
  int rank = 0;
  int chunk = 0;  // which of the rank's model chunks (0 or 1)
  auto operator<=>(const ChunkRef&) const = default;
};

struct ScheduleItem {
  ChunkPass pass = ChunkPass::forward;
  int microbatch = 0;
  int chunk = 0;
  // DualPipe's "F&B": this forward and the next item's backward run at once, their computation and communication
  // interleaved, as one overlapped pair.
  bool overlapped_with_next = false;
};

struct PipelineSchedule {
  ScheduleKind kind = ScheduleKind::one_f_one_b;
  int ranks = 0;
  int microbatches = 0;
  int chunks_per_rank = 1;  // 1 for 1F1B and ZB1P, 2 for DualPipe and DualPipeV
  std::vector<std::vector<ScheduleItem>> order;  // per rank, in execution order

  // The model stages a micro-batch passes through, in forward order: stage s of micro-batch m runs on path(m)[s].
  // 1F1B, ZB1P: (0,0), (1,0), ..., (P-1,0). DualPipe: micro-batches of the first half go ranks 0..P-1 on chunk 0,
  // the second half ranks P-1..0 on chunk 1 (rank i holds stage i and stage P-1-i: twice the parameters).
  // DualPipeV: (0,0), ..., (P-1,0), (P-1,1), ..., (0,1): 2P stages, the model cut in 2P pieces.
  std::vector<ChunkRef> path(int microbatch) const;
  int stages() const;  // path length
  // The stage `where` is for this micro-batch, or -1 when the micro-batch does not pass through it.
  int stage_of(int microbatch, ChunkRef where) const;
};

// Per-rank orders for `ranks` x `microbatches`; throws InputError{"", where, ...} when the kind cannot run them.
using OrderBuilder = std::vector<std::vector<ScheduleItem>> (*)(int ranks, int microbatches, std::string_view where);

struct ScheduleKindInfo {
  ScheduleKind kind;
  std::string_view name;         // as in JSON
  std::string_view description;  // one line, for `dsim help scenario`
  std::string_view source;       // the publication or code the order follows
  int chunks_per_rank;
  OrderBuilder build;
};

// The one table of schedule kinds, in enumerator order; parse and to_string read it.
std::span<const ScheduleKindInfo> schedule_kinds();
std::optional<ScheduleKind> parse_schedule_kind(std::string_view name);
std::string_view to_string(ScheduleKind kind);
std::string schedule_kind_names();  // "one_f_one_b, zb1p, ...", for messages
// parse_schedule_kind, throwing InputError{"", where, "unknown schedule kind 'x'; valid kinds: ..."}.
ScheduleKind require_schedule_kind(std::string_view name, std::string_view where);

// Builds the per-rank orders. Throws InputError (naming `where`) for impossible arguments: fewer than one rank or
// micro-batch; DualPipe with an odd rank count, an odd micro-batch count or fewer than 2 x ranks micro-batches;
// DualPipeV with fewer than 2 x ranks micro-batches (the bounds deepseek-ai/DualPipe asserts).
PipelineSchedule make_schedule(ScheduleKind kind, int ranks, int microbatches, std::string_view where = {});

// The first thing wrong with a schedule, or nothing: every (micro-batch, stage) has exactly one forward and either
// one full backward or one backward_input and one backward_weight, each on the rank and chunk of that stage; on its
// rank a forward comes before its backward and a backward_input before its backward_weight; an overlapped pair is
// a forward followed by a backward; and the orders cannot deadlock under the cross-stage dependencies
//   F(m,s) after F(m,s-1);  B or Bi(m,s) after F(m,s) and after B or Bi(m,s+1);  W(m,s) after Bi(m,s),
// where the two halves of an overlapped pair start together, so each may wait only on items before the pair.
std::optional<std::string> find_schedule_problem(const PipelineSchedule& schedule);

// One rank's order as text, for tests and messages: F, B, I (backward_input) and W (backward_weight) with the
// micro-batch, ".1" after items on chunk 1, and "&" joining an overlapped pair: "F0 F1 F7&B13.1 I6 W6".
std::string format_order(const PipelineSchedule& schedule, int rank);

}  // namespace dsim::workloads::schedules
