// SPDX-License-Identifier: Apache-2.0
// The summaries from figures computed once: a V3 step's per-rank totals and breakdown take a second each, and
// `dsim run` writes summary.json and prints the text summary of the same run.
#pragma once

#include <cstdint>
#include <string>

#include "sim/report/report.hpp"
#include "sim/report/run_totals.hpp"
#include "sim/report/step_breakdown.hpp"

namespace dsim::report {

struct SummaryFigures {
  RunTotals totals;
  StepBreakdown breakdown;
};

SummaryFigures summary_figures(const RunView& run);
// summary.json: makespan, op and byte counts with their breakdowns, per-rank times, the resolved scenario.
std::string summary_json(const RunView& run, const SummaryFigures& figures);
// What the run cost the simulator: wall time, and its peak memory (0: unknown). Printed, never written to
// summary.json, which stays the same from run to run.
struct RunCost {
  double wall_seconds = 0;
  std::uint64_t peak_memory_bytes = 0;
};
// The human summary printed by `dsim run`.
std::string summary_text(const RunView& run, const SummaryFigures& figures, const RunCost& cost);

}  // namespace dsim::report
