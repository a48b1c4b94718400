// SPDX-License-Identifier: Apache-2.0
// The distinct kernels a step runs (dsim kernels): each kernel key once, with how often the busiest GPU runs it,
// how the compute model times it, and the kernel-list JSON that dsim-calibrate reads (docs/calibration.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/compute/compute_model.hpp"
#include "sim/core/kernel.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::report {

struct KernelListRow {
  Kernel kernel;             // the first of the trace's kernels with this key (its FLOPs and bytes)
  std::uint64_t count = 0;   // runs per step on the GPU that runs it most
  std::uint64_t total = 0;   // runs per step on all GPUs
};

// Sorted by key. Ops without kernels (hand-written traces) contribute nothing.
std::vector<KernelListRow> kernel_list(const workloads::StepTrace& trace);

nlohmann::ordered_json kernel_list_json(const std::vector<KernelListRow>& rows, const std::string& source);

// "table", "interpolated", "roofline", or "interpolated (extrapolated)" / "interpolated (nearest_shape)".
std::string source_label(const models::compute::KernelTiming& timing);

// A table: kind, shape, runs, roofline time, the model's time and its source (and the table rule that gave it).
std::string kernel_list_text(const std::vector<KernelListRow>& rows, const models::compute::ComputeModel& compute);

}  // namespace dsim::report
