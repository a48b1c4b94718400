// SPDX-License-Identifier: Apache-2.0
// Device properties, software versions and clocks for the table's `device` block.
#include "calibration/cuda/device_info.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "calibration/cuda/cuda_check.hpp"

namespace dsim::calibration::cuda {
namespace {

const std::string kContext = "device query";

// The driver version as the kernel module reports it ("... Kernel Module  580.159.04  ..."); empty if unreadable.
std::string proc_driver_version() {
  std::ifstream in("/proc/driver/nvidia/version");
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  std::smatch match;
  if (std::regex_search(line, match, std::regex(R"(Kernel Module\s+([0-9][0-9.]*))"))) return match[1];
  return {};
}

}  // namespace

// The NVML calls used, declared by hand: the toolkit does not always ship nvml.h, and these signatures are NVML's
// stable C ABI (nvmlReturn_t is an int, 0 on success; NVML_CLOCK_SM = 1, NVML_CLOCK_MEM = 2).
struct NvmlReader::Nvml {
  using Init = int (*)();
  using Shutdown = int (*)();
  using HandleByPci = int (*)(const char*, void**);
  using ClockInfo = int (*)(void*, int, unsigned*);
  using DriverVersion = int (*)(char*, unsigned);
  using ThrottleReasons = int (*)(void*, unsigned long long*);

  void* lib = nullptr;
  void* device = nullptr;
  Shutdown shutdown = nullptr;
  ClockInfo clock_info = nullptr;
  DriverVersion driver_version = nullptr;
  ThrottleReasons throttle_reasons = nullptr;  // optional

  template <typename F>
  F symbol(const char* name) const {
    return reinterpret_cast<F>(dlsym(lib, name));
  }
};

NvmlReader::NvmlReader(const std::string& pci_bus_id) : nvml_(std::make_unique<Nvml>()) {
  nvml_->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (nvml_->lib == nullptr) return;
  const auto init = nvml_->symbol<Nvml::Init>("nvmlInit_v2");
  const auto by_pci = nvml_->symbol<Nvml::HandleByPci>("nvmlDeviceGetHandleByPciBusId_v2");
  nvml_->shutdown = nvml_->symbol<Nvml::Shutdown>("nvmlShutdown");
  nvml_->clock_info = nvml_->symbol<Nvml::ClockInfo>("nvmlDeviceGetClockInfo");
  nvml_->driver_version = nvml_->symbol<Nvml::DriverVersion>("nvmlSystemGetDriverVersion");
  nvml_->throttle_reasons = nvml_->symbol<Nvml::ThrottleReasons>("nvmlDeviceGetCurrentClocksThrottleReasons");
  if (init == nullptr || by_pci == nullptr || nvml_->shutdown == nullptr || nvml_->clock_info == nullptr ||
      init() != 0) {
    dlclose(nvml_->lib);
    nvml_->lib = nullptr;
    return;
  }
  if (by_pci(pci_bus_id.c_str(), &nvml_->device) != 0) nvml_->device = nullptr;
}

NvmlReader::~NvmlReader() {
  if (nvml_->lib == nullptr) return;
  nvml_->shutdown();
  dlclose(nvml_->lib);
}

bool NvmlReader::available() const { return nvml_->lib != nullptr && nvml_->device != nullptr; }

std::string NvmlReader::driver_version() const {
  if (nvml_->lib == nullptr || nvml_->driver_version == nullptr) return {};
  char text[96] = {};
  if (nvml_->driver_version(text, sizeof(text)) != 0) return {};
  return text;
}

void NvmlReader::sample() {
  if (!available()) return;
  unsigned mhz = 0;
  if (nvml_->clock_info(nvml_->device, 1, &mhz) == 0) sm_mhz_.push_back(static_cast<int>(mhz));
  if (nvml_->clock_info(nvml_->device, 2, &mhz) == 0)
    max_memory_mhz_ = std::max(max_memory_mhz_, static_cast<int>(mhz));
  // NVML's clock event reasons: software power cap 0x4, hardware slowdown 0x8, software thermal 0x20, hardware
  // thermal 0x40, power brake 0x80. Any of them means the SMs ran below the clock they asked for.
  unsigned long long reasons = 0;
  if (nvml_->throttle_reasons != nullptr && nvml_->throttle_reasons(nvml_->device, &reasons) == 0) {
    ++reason_samples_;
    if ((reasons & 0xECull) != 0) ++capped_samples_;
  }
}

int NvmlReader::median_sm_mhz() const {
  if (sm_mhz_.empty()) return 0;
  std::vector<int> sorted = sm_mhz_;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
  return sorted[sorted.size() / 2];
}

int NvmlReader::min_sm_mhz() const { return sm_mhz_.empty() ? 0 : *std::min_element(sm_mhz_.begin(), sm_mhz_.end()); }

DeviceInfo query_device(int device, const NvmlReader& nvml) {
  cudaDeviceProp prop{};
  DSIM_CUDA_CALL(cudaGetDeviceProperties(&prop, device), kContext);
  DeviceInfo info;
  info.name = prop.name;
  info.sms = prop.multiProcessorCount;
  info.compute_capability = std::to_string(prop.major) + "." + std::to_string(prop.minor);
  int khz = 0;
  DSIM_CUDA_CALL(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device), kContext);
  info.max_sm_clock_mhz = khz / 1000;
  DSIM_CUDA_CALL(cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, device), kContext);
  info.max_memory_clock_mhz = khz / 1000;
  DSIM_CUDA_CALL(cudaDeviceGetAttribute(&info.memory_bus_bits, cudaDevAttrGlobalMemoryBusWidth, device), kContext);
  info.l2_bytes = static_cast<std::size_t>(prop.l2CacheSize);
  info.memory_bytes = prop.totalGlobalMem;
  DSIM_CUDA_CALL(cudaDriverGetVersion(&info.cuda_driver), kContext);
  DSIM_CUDA_CALL(cudaRuntimeGetVersion(&info.cuda_runtime), kContext);
  info.cublaslt = cublasLtGetVersion();
  info.driver = proc_driver_version();
  if (info.driver.empty()) info.driver = nvml.driver_version();
  if (info.driver.empty()) info.driver = std::to_string(info.cuda_driver);
  return info;
}

nlohmann::ordered_json device_json(const DeviceInfo& info, const NvmlReader& clocks) {
  nlohmann::ordered_json d;
  d["name"] = info.name;
  d["sms"] = info.sms;
  d["compute_capability"] = info.compute_capability;
  d["sm_clock_mhz"] = clocks.median_sm_mhz() > 0 ? clocks.median_sm_mhz() : info.max_sm_clock_mhz;
  d["memory_clock_mhz"] = clocks.max_memory_mhz() > 0 ? clocks.max_memory_mhz() : info.max_memory_clock_mhz;
  d["memory_bus_bits"] = info.memory_bus_bits;
  d["l2_bytes"] = info.l2_bytes;
  d["memory_bytes"] = info.memory_bytes;
  d["driver"] = info.driver;
  d["cuda_runtime"] = info.cuda_runtime;
  d["cublaslt"] = info.cublaslt;
  return d;
}

std::string clock_note(const DeviceInfo& info, const NvmlReader& clocks) {
  const std::string max_clocks = "the device's maximum clocks are " + std::to_string(info.max_sm_clock_mhz) +
                                 " MHz (SM) and " + std::to_string(info.max_memory_clock_mhz) + " MHz (memory)";
  if (clocks.median_sm_mhz() > 0) {
    std::string note = "sm_clock_mhz is the median of " + std::to_string(clocks.sm_samples()) +
                       " SM clock readings NVML took while the timed kernels ran (lowest " +
                       std::to_string(clocks.min_sm_mhz()) + " MHz); memory_clock_mhz the highest memory clock read; " +
                       max_clocks;
    if (clocks.reason_samples() > 0) {
      note += "; " + std::to_string(clocks.capped_samples()) + " of " + std::to_string(clocks.reason_samples()) +
              " readings found the clocks held down by a power or thermal limit";
    }
    return note;
  }
  return "NVML was not available: sm_clock_mhz and memory_clock_mhz are the maximum clocks "
         "(cudaDevAttrClockRate, cudaDevAttrMemoryClockRate), not the clocks the kernels ran at";
}

}  // namespace dsim::calibration::cuda
