// SPDX-License-Identifier: Apache-2.0
// The `device` block of a kernel table: what the GPU is, which software ran, and the clocks it ran at.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dsim::calibration::cuda {

struct DeviceInfo {
  std::string name;
  int sms = 0;
  std::string compute_capability;  // "9.0"
  int max_sm_clock_mhz = 0;        // cudaDevAttrClockRate: the maximum (boost) clock, not the current one
  int max_memory_clock_mhz = 0;    // cudaDevAttrMemoryClockRate
  int memory_bus_bits = 0;
  std::size_t l2_bytes = 0;
  std::size_t memory_bytes = 0;
  std::string driver;  // NVIDIA driver version string; the cudaDriverGetVersion number where none can be read
  int cuda_driver = 0;
  int cuda_runtime = 0;
  std::size_t cublaslt = 0;
};

// `driver` comes from /proc/driver/nvidia/version, else NVML, else the cudaDriverGetVersion number.
class NvmlReader;
DeviceInfo query_device(int device, const NvmlReader& nvml);

// Reads the driver version and the current SM and memory clocks through NVML (libnvidia-ml.so.1, opened at run time
// so that the tool starts on machines without a driver). Clocks, and whether a power or thermal limit holds them
// down, are sampled while the timed kernels run; the table records the median SM clock.
class NvmlReader {
public:
  explicit NvmlReader(const std::string& pci_bus_id);
  ~NvmlReader();
  NvmlReader(const NvmlReader&) = delete;
  NvmlReader& operator=(const NvmlReader&) = delete;

  bool available() const;
  std::string driver_version() const;  // empty without NVML
  void sample();
  int median_sm_mhz() const;  // 0 without readings
  int min_sm_mhz() const;
  int sm_samples() const { return static_cast<int>(sm_mhz_.size()); }
  int max_memory_mhz() const { return max_memory_mhz_; }
  int reason_samples() const { return reason_samples_; }
  int capped_samples() const { return capped_samples_; }

private:
  struct Nvml;
  std::unique_ptr<Nvml> nvml_;
  std::vector<int> sm_mhz_;
  int max_memory_mhz_ = 0;
  int reason_samples_ = 0;
  int capped_samples_ = 0;
};

// The table's `device` object, with clocks from the sampler where it read any, else the maximum clocks.
nlohmann::ordered_json device_json(const DeviceInfo& info, const NvmlReader& clocks);
// One sentence for provenance.notes saying which clocks were recorded.
std::string clock_note(const DeviceInfo& info, const NvmlReader& clocks);

}  // namespace dsim::calibration::cuda
