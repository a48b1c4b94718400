// SPDX-License-Identifier: Apache-2.0
// A kernel table: kernel times measured on one GPU (calibration/ reads and writes the JSON form), and the lookup
// rules of docs/calibration.md that time a kernel from it:
//   exact          an entry with the kernel's key;
//   interpolated   two entries equal to it but for one axis, on both sides of it: the utilisation (roofline time /
//                  measured time) interpolated log-log along the axis, the time clamped between the two measured
//                  times (exact at measured points, monotonic between them);
//   extrapolated   entries on one side of it along an axis: above the range the nearest one's utilisation is held
//                  (the time grows like the roofline), below it the nearest one's time;
//   nearest_shape  the entry of the same kind and format closest in log space lends its utilisation.
// No estimate goes below the shortest time the table measured of any kind (a launch and latency floor).
// A kernel of a kind and format the table lacks has no estimate (the compute model falls back to its roofline).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/kernel.hpp"
#include "sim/core/units.hpp"

namespace dsim::models::compute {

struct MeasuredKernel {
  KernelShape shape;
  Time time;           // median of the measured runs, on all of the GPU's SMs
  std::string method;  // how it was measured ("cublaslt e4m3 ..."), for reports
};

// Where a table came from, for reports.
struct KernelTableInfo {
  std::string device;  // "NVIDIA H100 80GB HBM3"
  int sms = 0;
  std::string path;  // the file it was read from
  std::string measured_at;
  std::string tool;
};

enum class LookupRule : std::uint8_t { exact, interpolated, extrapolated, nearest_shape };
inline constexpr std::array<std::string_view, 4> lookup_rule_names = {"exact", "interpolated", "extrapolated",
                                                                      "nearest_shape"};
constexpr std::string_view to_string(LookupRule r) { return lookup_rule_names[static_cast<std::size_t>(r)]; }

struct TableEstimate {
  Time time;  // on all SMs
  LookupRule rule = LookupRule::exact;
  const MeasuredKernel* from = nullptr;  // the entry used (the lower one when interpolating)
  const MeasuredKernel* to = nullptr;    // the upper one when interpolating
};

// Seconds a kernel of this shape would take at the roofline: only ratios between shapes of one kind are used.
using ShapeRoofline = std::function<double(const KernelShape&)>;

class KernelTable {
 public:
  // Entries must have distinct keys and positive times (the loader reports violations with their JSON paths).
  KernelTable(KernelTableInfo info, std::vector<MeasuredKernel> entries);

  const KernelTableInfo& info() const { return info_; }
  std::span<const MeasuredKernel> entries() const { return entries_; }
  const MeasuredKernel* find(const KernelShape& shape) const;
  std::optional<TableEstimate> estimate(const KernelShape& shape, const ShapeRoofline& roofline) const;

 private:
  double launch_floor() const;

  KernelTableInfo info_;
  std::vector<MeasuredKernel> entries_;  // sorted by key
  std::map<KernelShape, std::size_t> index_;
};

}  // namespace dsim::models::compute
