// SPDX-License-Identifier: Apache-2.0
// Checks cuBLASLt's GEMMs, in every scaling and grouping mode the tool times, against a naive FP32 reference on the
// same inputs and scales, before any timing is trusted.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "calibration/cuda/gpu_context.hpp"

namespace dsim::calibration::cuda {

// ||D - ref||_F / ||ref||_F must stay under this: D is rounded to BF16 (relative step 2^-8), the inputs are the
// same E4M3 or BF16 values in both, so only the output rounding and the summation order differ.
inline constexpr double kSelfCheckTolerance = 1e-2;

struct SelfCheckResult {
  std::string name;
  bool supported = true;  // false: the library refused this mode (not a failure; the tool falls back)
  bool passed = true;
  double rel_error = 0;   // worst over the heuristic's algorithms
  int algorithms = 0;
  std::string note;
};

struct SelfCheckReport {
  std::vector<SelfCheckResult> results;
  bool passed() const;
};

// Prints one line per case to `out`.
SelfCheckReport run_self_check(const GpuContext& gpu, std::ostream& out);

}  // namespace dsim::calibration::cuda
