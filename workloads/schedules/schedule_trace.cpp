// SPDX-License-Identifier: Apache-2.0
// schedule_trace: a pipeline schedule as fixed-duration ops with direct cross-rank dependencies.
#include "workloads/schedules/schedule_trace.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"

namespace dsim::workloads::schedules {
namespace {

// Op ids of every (micro-batch, stage, pass), filled before any op is added: ops are added rank by rank in order,
// so the k-th op (a single item or an overlapped pair) gets id k.
class OpTable {
 public:
  OpTable(int microbatches, int stages)
      : stages_(stages), ids_(static_cast<std::size_t>(microbatches) * static_cast<std::size_t>(stages)) {}
  OpId& at(int microbatch, int stage, ChunkPass pass) {
    return ids_[static_cast<std::size_t>(microbatch) * static_cast<std::size_t>(stages_) +
                static_cast<std::size_t>(stage)][static_cast<std::size_t>(pass)];
  }
  // The op that produces the input gradient of stage `stage`: its full backward or its backward_input.
  OpId gradient(int microbatch, int stage) {
    const OpId full = at(microbatch, stage, ChunkPass::backward);
    return full.valid() ? full : at(microbatch, stage, ChunkPass::backward_input);
  }

 private:
  int stages_;
  std::vector<std::array<OpId, 4>> ids_;
};

std::string label(const ScheduleItem& item, int stage) {
  static constexpr std::array<char, 4> letters = {'F', 'B', 'I', 'W'};
  return fmt::format("{}{}{} s{}", letters[static_cast<std::size_t>(item.pass)], item.microbatch,
                     item.chunk == 1 ? ".1" : "", stage);
}

}  // namespace

StepTrace schedule_trace(const PipelineSchedule& schedule, const PassTimes& times) {
  if (const auto problem = find_schedule_problem(schedule)) {
    throw InputError("", "", "cannot trace an invalid pipeline schedule: " + *problem);
  }
  if (times.backward_weight > times.backward) {
    throw InputError("", "", "the weight pass W cannot take longer than the full backward B it is part of");
  }
  const auto duration = [&](ChunkPass pass) {
    switch (pass) {
      case ChunkPass::forward:
        return times.forward;
      case ChunkPass::backward:
        return times.backward;
      case ChunkPass::backward_input:
        return times.backward - times.backward_weight;
      case ChunkPass::backward_weight:
        return times.backward_weight;
    }
    return Time::zero();
  };
  const int last = schedule.stages() - 1;
  const auto stage = [&](int rank, const ScheduleItem& item) {
    return schedule.stage_of(item.microbatch, {rank, item.chunk});
  };

  OpTable table(schedule.microbatches, schedule.stages());
  OpId::Value next = 0;
  for (int r = 0; r < schedule.ranks; ++r) {
    const auto& order = schedule.order[static_cast<std::size_t>(r)];
    for (std::size_t i = 0; i < order.size(); ++i) {
      table.at(order[i].microbatch, stage(r, order[i]), order[i].pass) = OpId(next);
      if (!order[i].overlapped_with_next) ++next;
    }
  }

  StepTrace trace(schedule.ranks);
  const StreamId compute = trace.stream("compute");
  for (int r = 0; r < schedule.ranks; ++r) {
    const auto& order = schedule.order[static_cast<std::size_t>(r)];
    for (std::size_t i = 0; i < order.size(); ++i) {
      const std::size_t n = order[i].overlapped_with_next ? 2 : 1;
      Op op;
      op.rank = RankId(static_cast<RankId::Value>(r));
      op.stream = compute;
      op.duration = n == 2 ? times.overlapped : duration(order[i].pass);
      std::string name;
      for (std::size_t k = i; k < i + n; ++k) {
        const ScheduleItem& item = order[k];
        const int s = stage(r, item);
        const int m = item.microbatch;
        if (k > i) name += '&';
        name += label(item, s);
        switch (item.pass) {
          case ChunkPass::forward:
            if (s > 0) op.deps.push_back(table.at(m, s - 1, ChunkPass::forward));
            break;
          case ChunkPass::backward:
          case ChunkPass::backward_input:
            op.deps.push_back(table.at(m, s, ChunkPass::forward));
            if (s < last) op.deps.push_back(table.gradient(m, s + 1));
            break;
          case ChunkPass::backward_weight:
            op.deps.push_back(table.at(m, s, ChunkPass::backward_input));
            break;
        }
      }
      const OpId self = table.at(order[i].microbatch, stage(r, order[i]), order[i].pass);
      std::sort(op.deps.begin(), op.deps.end());
      op.deps.resize_down(static_cast<std::size_t>(std::unique(op.deps.begin(), op.deps.end()) - op.deps.begin()));
      op.name = std::move(name);
      const OpId id = trace.add(std::move(op));
      DSIM_CHECK(id == self, "schedule op {} was given id {}", id.value(), self.value());
      i += n - 1;
    }
  }
  return trace;
}

}  // namespace dsim::workloads::schedules
