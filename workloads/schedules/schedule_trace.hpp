// SPDX-License-Identifier: Apache-2.0
// A pipeline schedule as a StepTrace of fixed-duration ops, with cross-stage dependencies as direct dependencies
// between ranks (no send or recv: communication takes no time). Replaying it shows the schedule's own bubbles,
// for tests against the published formulas and for benchmarks.
#pragma once

#include "sim/core/units.hpp"
#include "workloads/schedules/pipeline_schedule.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::workloads::schedules {

// The durations of the published bubble formulas ([R] Table 2, DualPipe README).
struct PassTimes {
  Time forward;          // F
  Time backward;         // B: the full backward, input and weight gradients
  Time backward_weight;  // W: the weight part; a backward_input takes B - W
  Time overlapped;       // F&B: a forward and a backward run as one overlapped pair
};

// One op per item on each rank's "compute" stream, in the schedule's order; an overlapped pair is one op of
// `overlapped` length, which starts when both halves may and lets what waits on either go when it ends. Op names
// read like format_order with the stage added ("F3 s1", "F7 s0&B13.1 s7"). Throws InputError when the schedule is not
// valid (the problem find_schedule_problem gives) or W exceeds B.
StepTrace schedule_trace(const PipelineSchedule& schedule, const PassTimes& times);

}  // namespace dsim::workloads::schedules
