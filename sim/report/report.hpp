// SPDX-License-Identifier: Apache-2.0
// The outputs of a run, each rendered to a string first so that nothing is written unless the run succeeded, and
// each a pure function of (scenario, result): same input and seed give byte-identical files. Wall-clock figures
// appear only in the terminal summary, never in a file.
#pragma once

#include <filesystem>
#include <string>

#include "sim/replay/replay.hpp"
#include "sim/run/simulation.hpp"
#include "sim/scenario/scenario.hpp"
#include "topology/cluster.hpp"

namespace dsim::report {

struct RunView {
  const scenario::Scenario& scenario;
  const topology::Cluster& cluster;
  const run::RunOutput& run;  // the trace that ran, its replay and the workload's figures
  const workloads::StepTrace& trace() const { return run.trace; }
  // Whether ops.csv and timeline.json show this rank (/report/detail_ranks).
  bool detailed(RankId rank) const { return detail.empty() || detail[rank.index()]; }
  std::vector<bool> detail;  // by rank; empty: every rank
  const replay::ReplayResult& result() const { return run.result; }
};

// The ranks ops.csv and timeline.json show: /report/detail_ranks, or all, or 16 evenly spaced when the trace is
// larger than /report/detail_max_ops. Empty: every rank.
std::vector<bool> detail_ranks(const scenario::Scenario& scenario, const workloads::StepTrace& trace);

// summary.json and the human summary printed by `dsim run`: sim/report/summary.hpp.
// ops.csv: one row per op.
std::string ops_csv(const RunView& run);
// links.csv: one row per link with the bytes it carried.
std::string links_csv(const RunView& run);
// timeline.json: Chrome trace events (a process per GPU, a thread per stream), for Perfetto or chrome://tracing.
std::string timeline_json(const RunView& run);

// Writes `content` to a temporary file beside `path`, then renames it over `path`, so a reader never sees a partial
// file. Throws InputError naming the path when the folder cannot be written.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace dsim::report
