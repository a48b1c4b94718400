// SPDX-License-Identifier: Apache-2.0
// Where a step's time went on each rank, from the replayed op times: compute busy (the union of its compute ops),
// communication exposed (communication in flight while no compute runs), bubble (neither), and compute time per
// training phase. Averaged and maximised over the ranks that ran ops; the figures a training or inference report
// is built from.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/core/units.hpp"
#include "sim/report/report.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::report {

struct RankBreakdown {
  Time compute;          // union of compute op intervals
  Time exposed_comm;     // communication (send, recv, collective) in flight, no compute
  Time bubble;           // neither compute nor communication (pipeline bubble, waiting on a partner to be ready)
  Time overlapped_comm;  // communication hidden under compute
  std::array<Time, workloads::phase_names.size()> compute_by_phase{};  // sum of compute op durations
  std::array<Time, workloads::collective_op_names.size()> collective_time{};  // sum of call durations, by kind
};

struct StepBreakdown {
  Time step;  // the makespan
  std::vector<RankBreakdown> ranks;  // by rank; ranks without ops are all zero
  int active_ranks = 0;
  RankBreakdown mean;                // over ranks that ran ops
  std::size_t slowest_compute_rank = 0;
};

StepBreakdown step_breakdown(const RunView& run);

}  // namespace dsim::report
