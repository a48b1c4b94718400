// SPDX-License-Identifier: Apache-2.0
// Times the list's GEMM and memory kernels on one GPU and turns each into a kernel-table entry.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calibration/cuda/device_info.hpp"
#include "calibration/cuda/gemm_plan.hpp"
#include "calibration/cuda/gpu_context.hpp"
#include "calibration/cuda/kernel_list.hpp"
#include "calibration/cuda/kernel_timer.hpp"

namespace dsim::calibration::cuda {

struct CalibrationOptions {
  TimingOptions timing;
  std::optional<KernelKind> only;  // gemm or memory: time that kind alone
};

struct CalibrationSummary {
  int gemm = 0;
  int memory = 0;
  int attention = 0;  // left to time_attention.py
  int skipped = 0;    // left out by --only
  std::vector<std::string> failures;  // kernels no configuration could time, with the reasons
};

class Calibrator {
public:
  Calibrator(const GpuContext& gpu, NvmlReader& clocks, CalibrationOptions options);

  // Prints one row per kernel to `out` as it goes and returns the table entries, in list order.
  std::vector<nlohmann::ordered_json> run(const KernelList& list, std::ostream& out, CalibrationSummary& summary);

private:
  nlohmann::ordered_json time_gemm(const KernelSpec& spec, std::uint64_t seed);
  // Times `spec` run as `shape` in one configuration; nullopt (with the reason added to `refusals`) if the library
  // refuses it.
  std::optional<nlohmann::ordered_json> try_gemm(const KernelSpec& spec, const GemmShape& shape, ScaleMode scale,
                                                 GroupMode group, std::uint64_t seed, std::string& refusals);
  nlohmann::ordered_json time_memory(const KernelSpec& spec, std::uint64_t seed);
  int copies_for(std::size_t footprint) const;
  void check_fits(std::size_t bytes, const std::string& context) const;

  const GpuContext& gpu_;
  NvmlReader& clocks_;
  CalibrationOptions options_;
};

}  // namespace dsim::calibration::cuda
