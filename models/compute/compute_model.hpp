// SPDX-License-Identifier: Apache-2.0
// How long a compute op takes on one GPU. A duration given by the trace is used as is ("given"); otherwise a
// roofline ("roofline"): the op's FLOPs at the GPU's dense peak for its dtype, scaled by the share of SMs left to
// compute, or its HBM bytes at the memory bandwidth, whichever is slower, each times an achieved-efficiency factor:
//   time = max(flops / (peak_flops[dtype] x efficiency x (sms - reserved) / sms),
//              bytes / (hbm_bandwidth x efficiency)), rounded up to the picosecond.
// Reserved SMs are those communication kernels hold while the op runs (DualPipe keeps 20 of 132 for them): compute
// kernels then get proportionally fewer SMs; memory bandwidth is assumed reachable from the SMs left. The measured
// kernel tables (calibration/, issue 7) join this when ops carry shapes. Every timing says which rule produced it.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "sim/core/dtype.hpp"
#include "sim/core/units.hpp"
#include "topology/node/node_spec.hpp"

namespace dsim::models::compute {

enum class TimingSource { given, roofline };
inline constexpr std::array<std::string_view, 2> timing_source_names = {"given", "roofline"};
constexpr std::string_view to_string(TimingSource s) { return timing_source_names[static_cast<std::size_t>(s)]; }

struct ComputeRequest {
  std::optional<Time> duration;
  double flops = 0.0;
  Dtype dtype = Dtype::bf16;
  Bytes bytes;            // HBM bytes read and written
  int reserved_sms = 0;   // SMs held by communication kernels meanwhile
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
