// SPDX-License-Identifier: Apache-2.0
// find_schedule_problem: a schedule runs every pass of every micro-batch once, where its stage lives, in an order
// that respects the dependencies between stages and cannot deadlock.
#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "workloads/schedules/pipeline_schedule.hpp"

namespace dsim::workloads::schedules {
namespace {

constexpr std::size_t pass_count = 4;
std::size_t index_of(ChunkPass pass) { return static_cast<std::size_t>(pass); }

std::string describe(const ScheduleItem& item, int stage) {
  return fmt::format("{} of micro-batch {} at stage {}", to_string(item.pass), item.microbatch, stage);
}

// Where each (micro-batch, stage, pass) sits: its position in its rank's order, or -1.
class Placement {
 public:
  Placement(int microbatches, int stages) : stages_(stages) {
    std::array<int, pass_count> none;
    none.fill(-1);
    slots_.assign(static_cast<std::size_t>(microbatches) * static_cast<std::size_t>(stages), none);
  }
  int& at(int microbatch, int stage, ChunkPass pass) {
    return slots_[static_cast<std::size_t>(microbatch) * static_cast<std::size_t>(stages_) +
                  static_cast<std::size_t>(stage)][index_of(pass)];
  }

 private:
  int stages_;
  std::vector<std::array<int, pass_count>> slots_;
};

// Every item is a known micro-batch on a chunk its micro-batch passes through, appears once, and overlaps only as
// a forward followed by a backward.
std::optional<std::string> place_items(const PipelineSchedule& s, Placement& placed,
                                       std::vector<std::vector<int>>& stage) {
  for (int r = 0; r < s.ranks; ++r) {
    const auto& order = s.order[static_cast<std::size_t>(r)];
    auto& stages = stage[static_cast<std::size_t>(r)];
    for (std::size_t i = 0; i < order.size(); ++i) {
      const ScheduleItem& item = order[i];
      if (item.microbatch < 0 || item.microbatch >= s.microbatches || item.chunk < 0 ||
          item.chunk >= s.chunks_per_rank) {
        return fmt::format("rank {} item {}: micro-batch {} on chunk {} is out of range ({} micro-batches, {} chunks "
                           "per rank)",
                           r, i, item.microbatch, item.chunk, s.microbatches, s.chunks_per_rank);
      }
      const int st = s.stage_of(item.microbatch, {r, item.chunk});
      if (st < 0) {
        return fmt::format("rank {} item {}: micro-batch {} does not pass through chunk {} of rank {}", r, i,
                           item.microbatch, item.chunk, r);
      }
      stages.push_back(st);
      int& slot = placed.at(item.microbatch, st, item.pass);
      if (slot >= 0) return fmt::format("rank {}: {} appears twice (items {} and {})", r, describe(item, st), slot, i);
      slot = static_cast<int>(i);
      if (item.overlapped_with_next) {
        const bool pairs = item.pass == ChunkPass::forward && i + 1 < order.size() &&
                           (order[i + 1].pass == ChunkPass::backward || order[i + 1].pass == ChunkPass::backward_input);
        if (!pairs) return fmt::format("rank {} item {}: only a forward followed by a backward can overlap", r, i);
      }
    }
  }
  return std::nullopt;
}

// Each stage has its forward and one kind of backward, and on its rank they come in dependency order.
std::optional<std::string> check_complete(const PipelineSchedule& s, Placement& placed) {
  for (int m = 0; m < s.microbatches; ++m) {
    const auto path = s.path(m);
    for (int st = 0; st < s.stages(); ++st) {
      const int rank = path[static_cast<std::size_t>(st)].rank;
      const int f = placed.at(m, st, ChunkPass::forward);
      const int b = placed.at(m, st, ChunkPass::backward);
      const int bi = placed.at(m, st, ChunkPass::backward_input);
      const int w = placed.at(m, st, ChunkPass::backward_weight);
      const auto where = fmt::format("micro-batch {} at stage {} (rank {})", m, st, rank);
      if (f < 0) return fmt::format("{} has no forward", where);
      if (b >= 0 && (bi >= 0 || w >= 0)) return fmt::format("{} has a full backward and a split one", where);
      if (b < 0 && bi < 0) return fmt::format("{} has no backward", where);
      if ((bi < 0) != (w < 0)) {
        return fmt::format("{} has a backward_input without a backward_weight or the reverse", where);
      }
      const int grad = b >= 0 ? b : bi;
      if (grad < f) return fmt::format("{}: its backward (item {}) comes before its forward (item {})", where, grad, f);
      if (w >= 0 && w < bi) {
        return fmt::format("{}: its backward_weight (item {}) comes before its backward_input (item {})", where, w, bi);
      }
    }
  }
  return std::nullopt;
}

// Runs the orders in dependency order, as the replay would with any durations; an overlapped pair starts only
// when both its halves may. Reports the items every unfinished rank waits at.
std::optional<std::string> check_deadlock(const PipelineSchedule& s, const std::vector<std::vector<int>>& stage) {
  const int last = s.stages() - 1;
  Placement done(s.microbatches, s.stages());  // 1 once run
  const auto ran = [&](int m, int st, ChunkPass p) { return done.at(m, st, p) > 0; };
  const auto grad_ready = [&](int m, int st) {
    return ran(m, st, ChunkPass::backward) || ran(m, st, ChunkPass::backward_input);
  };
  const auto ready = [&](const ScheduleItem& item, int st) {
    const int m = item.microbatch;
    switch (item.pass) {
      case ChunkPass::forward:
        return st == 0 || ran(m, st - 1, ChunkPass::forward);
      case ChunkPass::backward:
      case ChunkPass::backward_input:
        return ran(m, st, ChunkPass::forward) && (st == last || grad_ready(m, st + 1));
      case ChunkPass::backward_weight:
        return ran(m, st, ChunkPass::backward_input);
    }
    return false;
  };
  std::vector<std::size_t> next(static_cast<std::size_t>(s.ranks), 0);
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t r = 0; r < next.size(); ++r) {
      const auto& order = s.order[r];
      while (next[r] < order.size()) {
        const std::size_t i = next[r];
        const std::size_t n = order[i].overlapped_with_next ? 2 : 1;
        bool can_run = true;
        for (std::size_t k = i; k < i + n; ++k) can_run = can_run && ready(order[k], stage[r][k]);
        if (!can_run) break;
        for (std::size_t k = i; k < i + n; ++k) done.at(order[k].microbatch, stage[r][k], order[k].pass) = 1;
        next[r] += n;
        progress = true;
      }
    }
  }
  std::string waits;
  for (std::size_t r = 0; r < next.size(); ++r) {
    if (next[r] == s.order[r].size()) continue;
    waits += fmt::format("{}rank {} at {} (item {})", waits.empty() ? "" : "; ", r,
                         describe(s.order[r][next[r]], stage[r][next[r]]), next[r]);
  }
  if (waits.empty()) return std::nullopt;
  return "the orders deadlock: " + waits;
}

}  // namespace

std::optional<std::string> find_schedule_problem(const PipelineSchedule& s) {
  if (s.ranks < 1 || s.microbatches < 1 || s.chunks_per_rank < 1 || s.chunks_per_rank > 2) {
    return fmt::format("a schedule needs at least one rank and micro-batch and 1 or 2 chunks per rank (got {}, {}, {})",
                       s.ranks, s.microbatches, s.chunks_per_rank);
  }
  if (s.order.size() != static_cast<std::size_t>(s.ranks)) {
    return fmt::format("the schedule has orders for {} ranks, not {}", s.order.size(), s.ranks);
  }
  Placement placed(s.microbatches, s.stages());
  std::vector<std::vector<int>> stage(static_cast<std::size_t>(s.ranks));  // stage of each item
  if (auto problem = place_items(s, placed, stage)) return problem;
  if (auto problem = check_complete(s, placed)) return problem;
  return check_deadlock(s, stage);
}

}  // namespace dsim::workloads::schedules
