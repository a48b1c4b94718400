// SPDX-License-Identifier: Apache-2.0
// The schedule-kind table, make_schedule, the stage paths of each kind, and the text form of an order.
#include "workloads/schedules/pipeline_schedule.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"
#include "workloads/schedules/schedule_orders.hpp"

namespace dsim::workloads::schedules {
namespace {

constexpr std::array<std::string_view, 4> chunk_pass_names = {"forward", "backward", "backward_input",
                                                              "backward_weight"};

constexpr std::array<ScheduleKindInfo, 4> kinds = {{
    {ScheduleKind::one_f_one_b, "one_f_one_b",
     "1F1B: P-1-r warm-up forwards on rank r, then one forward and one full backward in turn; bubble (PP-1)(F+B)",
     "Narayanan et al., ICML 2021 (PipeDream-Flush); Megatron-LM, SC 2021, section 2.2.1", 1,
     detail::one_f_one_b_orders},
    {ScheduleKind::zb1p, "zb1p",
     "ZB-H1: 1F1B with each backward split into input and weight passes, rank r deferring up to r weight passes; "
     "bubble (PP-1)(F+B-2W)",
     "Qi et al., 'Zero Bubble (Almost) Pipeline Parallelism', ICLR 2024, section 2.1", 1, detail::zb1p_orders},
    {ScheduleKind::dualpipe, "dualpipe",
     "DualPipe: micro-batches enter from both ends, each rank holds stages r and P-1-r, forward and backward "
     "chunks overlap in pairs; bubble (PP/2-1)(F&B+B-3W)",
     "DeepSeek-V3 Technical Report, section 3.2.1; deepseek-ai/DualPipe dualpipe.py", 2, detail::dualpipe_orders},
    {ScheduleKind::dualpipe_v, "dualpipe_v",
     "DualPipeV: DualPipe cut in half, a V of 2P stages on P ranks (stages r and 2P-1-r on rank r); bubble "
     "(P-1)(F&B+B-3W)",
     "deepseek-ai/DualPipe dualpipev.py (Sea AI Lab's Cut-in-half)", 2, detail::dualpipe_v_orders},
}};

}  // namespace

std::string_view to_string(ChunkPass pass) {
  const auto index = static_cast<std::size_t>(pass);
  DSIM_CHECK(index < chunk_pass_names.size(), "chunk pass {} is not in the table", index);
  return chunk_pass_names[index];
}

std::span<const ScheduleKindInfo> schedule_kinds() { return kinds; }

std::optional<ScheduleKind> parse_schedule_kind(std::string_view name) {
  for (const ScheduleKindInfo& info : kinds) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

std::string_view to_string(ScheduleKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  DSIM_CHECK(index < kinds.size() && kinds[index].kind == kind, "schedule kind {} is not in the table", index);
  return kinds[index].name;
}

std::string schedule_kind_names() {
  std::string out;
  for (const ScheduleKindInfo& info : kinds) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

ScheduleKind require_schedule_kind(std::string_view name, std::string_view where) {
  if (const auto kind = parse_schedule_kind(name)) return *kind;
  throw InputError("", std::string(where),
                   fmt::format("unknown schedule kind '{}'; valid kinds: {}", name, schedule_kind_names()));
}

namespace detail {
void refuse(std::string_view where, std::string message) {
  throw InputError("", std::string(where), std::move(message));
}
}  // namespace detail

PipelineSchedule make_schedule(ScheduleKind kind, int ranks, int microbatches, std::string_view where) {
  const auto index = static_cast<std::size_t>(kind);
  DSIM_CHECK(index < kinds.size(), "schedule kind {} is not in the table", index);
  const ScheduleKindInfo& info = kinds[index];
  if (ranks < 1 || microbatches < 1) {
    detail::refuse(where, fmt::format("{} needs at least one rank and one micro-batch (got {} ranks, {} "
                                      "micro-batches)",
                                      info.name, ranks, microbatches));
  }
  PipelineSchedule schedule;
  schedule.kind = kind;
  schedule.ranks = ranks;
  schedule.microbatches = microbatches;
  schedule.chunks_per_rank = info.chunks_per_rank;
  schedule.order = info.build(ranks, microbatches, where);
  const auto problem = find_schedule_problem(schedule);
  DSIM_CHECK(!problem, "{} for {} ranks and {} micro-batches is not a valid schedule: {}", info.name, ranks,
             microbatches, *problem);
  return schedule;
}

int PipelineSchedule::stages() const { return kind == ScheduleKind::dualpipe_v ? 2 * ranks : ranks; }

std::vector<ChunkRef> PipelineSchedule::path(int microbatch) const {
  std::vector<ChunkRef> out;
  out.reserve(static_cast<std::size_t>(stages()));
  const bool reverse = kind == ScheduleKind::dualpipe && microbatch >= microbatches / 2;
  for (int r = 0; r < ranks; ++r) out.push_back(reverse ? ChunkRef{ranks - 1 - r, 1} : ChunkRef{r, 0});
  if (kind == ScheduleKind::dualpipe_v) {
    for (int r = ranks - 1; r >= 0; --r) out.push_back({r, 1});
  }
  return out;
}

int PipelineSchedule::stage_of(int microbatch, ChunkRef where) const {
  if (microbatch < 0 || microbatch >= microbatches || where.rank < 0 || where.rank >= ranks) return -1;
  switch (kind) {
    case ScheduleKind::one_f_one_b:
    case ScheduleKind::zb1p:
      return where.chunk == 0 ? where.rank : -1;
    case ScheduleKind::dualpipe: {
      const int direction = microbatch < microbatches / 2 ? 0 : 1;
      if (where.chunk != direction) return -1;
      return direction == 0 ? where.rank : ranks - 1 - where.rank;
    }
    case ScheduleKind::dualpipe_v:
      if (where.chunk == 0) return where.rank;
      return where.chunk == 1 ? 2 * ranks - 1 - where.rank : -1;
  }
  return -1;
}

std::string format_order(const PipelineSchedule& schedule, int rank) {
  static constexpr std::array<char, 4> letters = {'F', 'B', 'I', 'W'};
  std::string out;
  bool joined = false;  // the previous item opened an overlapped pair
  for (const ScheduleItem& item : schedule.order.at(static_cast<std::size_t>(rank))) {
    if (!out.empty()) out += joined ? "&" : " ";
    out += fmt::format("{}{}{}", letters[static_cast<std::size_t>(item.pass)], item.microbatch,
                       item.chunk == 1 ? ".1" : "");
    joined = item.overlapped_with_next;
  }
  return out;
}

}  // namespace dsim::workloads::schedules
