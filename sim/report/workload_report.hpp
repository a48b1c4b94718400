// SPDX-License-Identifier: Apache-2.0
// The figures of a generated workload, for summary.json and the terminal: a training step's time, throughput, MFU,
// bubble, exposed communication and per-phase compute, memory per pipeline rank and the cost per trillion tokens;
// an inference step's TTFT or TPOT and tokens/s per GPU and per node. Each figure says how it is formed.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sim/report/report.hpp"
#include "sim/report/step_breakdown.hpp"

namespace dsim::report {

// The "breakdown" object every run gets (per-rank means of compute, exposed communication, bubble, per phase).
nlohmann::ordered_json breakdown_json(const StepBreakdown& breakdown);
// The "training" or "inference" object, or null for a hand-written trace.
nlohmann::ordered_json workload_json(const RunView& run);
// Terminal lines for the same (empty for a hand-written trace).
std::string workload_text(const RunView& run, const StepBreakdown& breakdown);

}  // namespace dsim::report
