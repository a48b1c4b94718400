// SPDX-License-Identifier: Apache-2.0
// How long a compute op takes on one GPU. A duration given by the trace is used as is ("given"). A kernel is timed
// from the measured kernel table when one is loaded and has it ("table"), or interpolated from the table's
// neighbouring shapes ("interpolated", rules in kernel_table.hpp and docs/calibration.md); otherwise, and for ops
// given only as FLOPs and bytes, by a roofline ("roofline"): the FLOPs at the GPU's dense peak for their format or
// the HBM bytes at the memory bandwidth, whichever is slower, each times an achieved-efficiency factor:
//   time = max(flops / (peak_flops[dtype] x efficiency x (sms - reserved) / sms),
//              bytes / (hbm_bandwidth x efficiency)), rounded up to the picosecond.
// Reserved SMs are those communication kernels hold while the op runs (DualPipe keeps 20 of 132 for them): GEMM and
// attention kernels, measured on all of the table GPU's SMs, take table_sms / (sms - reserved) times as long (a
// table from a GPU with other SMs than this one's scales the same way); memory-bound kernels do not slow down (the
// SMs left still saturate HBM). Every timing says which rule produced it.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string_view>

#include "models/compute/kernel_table.hpp"
#include "sim/core/dtype.hpp"
#include "sim/core/kernel.hpp"
#include "sim/core/units.hpp"
#include "topology/node/node_spec.hpp"

namespace dsim::models::compute {

// Ordered from the most trusted: an op of several kernels reports the last (weakest) of theirs.
enum class TimingSource : std::uint8_t { given, table, interpolated, roofline };
inline constexpr std::array<std::string_view, 4> timing_source_names = {"given", "table", "interpolated", "roofline"};
constexpr std::string_view to_string(TimingSource s) { return timing_source_names[static_cast<std::size_t>(s)]; }
constexpr TimingSource weakest(TimingSource a, TimingSource b) { return a > b ? a : b; }

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

struct KernelTiming {
  Time duration;
  TimingSource source;
  std::optional<TableEstimate> estimate;  // how the table timed it (table and interpolated only)
};

class ComputeModel {
 public:
  // efficiency: the fraction of dense peak a kernel achieves, in (0, 1], for the roofline. table: measured kernel
  // times (none: every kernel is timed by the roofline).
  ComputeModel(const topology::GpuSpec& gpu, double efficiency, std::shared_ptr<const KernelTable> table = {});

  // An op given as a duration, or as FLOPs and bytes (one kernel at the roofline).
  ComputeTiming time(const ComputeRequest& request) const;
  // One kernel.
  KernelTiming time(const Kernel& kernel, int reserved_sms) const;
  // The roofline alone, for comparisons.
  Time roofline(const Kernel& kernel, int reserved_sms) const;

  const KernelTable* table() const { return table_.get(); }
  const topology::GpuSpec& gpu() const { return gpu_; }

 private:
  int free_sms(int reserved_sms) const;  // SMs left to compute; checks the reservation leaves some
  double shape_roofline_seconds(const KernelShape& shape) const;

  topology::GpuSpec gpu_;
  double efficiency_;
  std::shared_ptr<const KernelTable> table_;
};

}  // namespace dsim::models::compute
