// SPDX-License-Identifier: Apache-2.0
// How long a compute op takes on one GPU. A duration given by the trace is used as is ("given"); otherwise the op's
// FLOPs run at the GPU's dense peak for the op's dtype times an achieved-efficiency factor ("peak_rate"):
//   time = flops / (peak_flops[dtype] x efficiency), rounded up to the picosecond.
// This is the compute-bound side of a roofline; the memory-bound side and the measured kernel tables
// (calibration/) join it when ops carry byte counts and shapes (issue 7). Every timing says which rule produced it.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "sim/core/dtype.hpp"
#include "sim/core/units.hpp"
#include "topology/node/node_spec.hpp"

namespace dsim::models::compute {

enum class TimingSource { given, peak_rate };
inline constexpr std::array<std::string_view, 2> timing_source_names = {"given", "peak_rate"};
constexpr std::string_view to_string(TimingSource s) { return timing_source_names[static_cast<std::size_t>(s)]; }

struct ComputeRequest {
  std::optional<Time> duration;
  double flops = 0.0;
  Dtype dtype = Dtype::bf16;
};

struct ComputeTiming {
  Time duration;
  TimingSource source;
};

class ComputeModel {
 public:
  // efficiency: the fraction of dense peak a kernel achieves, in (0, 1].
  ComputeModel(const topology::GpuSpec& gpu, double efficiency);

  ComputeTiming time(const ComputeRequest& request) const;

 private:
  topology::GpuSpec gpu_;
  double efficiency_;
};

}  // namespace dsim::models::compute
