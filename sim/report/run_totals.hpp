// SPDX-License-Identifier: Apache-2.0
// Totals and breakdowns derived from a run's op records, shared by the JSON and the terminal summaries.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/core/units.hpp"
#include "sim/report/report.hpp"

namespace dsim::report {

struct RankTotals {
  Time compute;    // sum of compute op durations (streams of one rank may overlap)
  Time transfer;   // sum of send and recv durations from data start to last byte
  Time wait;       // sum of time send and recv ops waited for their partner
  Time last_end;   // when the rank's last op finished
  std::uint32_t ops = 0;
};

struct PathTotals {
  std::uint64_t transfers = 0;
  std::uint64_t bytes = 0;
};

struct RunTotals {
  std::array<std::uint64_t, workloads::op_kind_names.size()> ops_by_kind{};  // by workloads::OpKind
  std::array<PathTotals, 3> by_path{};           // by topology::PathKind
  std::array<std::uint64_t, 5> link_bytes_by_kind{};  // by topology::LinkKind, summed over links: a transfer
                                                      // counts once for every link it crosses
  std::array<std::uint64_t, models::compute::timing_source_names.size()> compute_by_source{};  // by TimingSource
  std::uint64_t bytes_sent = 0;
  std::vector<RankTotals> ranks;                 // indexed by rank; ranks without ops have ops == 0
};

RunTotals compute_totals(const RunView& run);

}  // namespace dsim::report
