// SPDX-License-Identifier: Apache-2.0
// What every measurement shares on one GPU: the stream, the cuBLASLt handle and its workspace.
#pragma once

#include <cstddef>

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "calibration/cuda/device_buffer.hpp"

namespace dsim::calibration::cuda {

class GpuContext {
public:
  // 64 MiB: above the 32 MiB cuBLASLt's Hopper kernels may ask for, so no algorithm is excluded for lack of it.
  static constexpr std::size_t kWorkspaceBytes = std::size_t{64} << 20;

  explicit GpuContext(int device);
  ~GpuContext();
  GpuContext(const GpuContext&) = delete;
  GpuContext& operator=(const GpuContext&) = delete;

  cudaStream_t stream() const { return stream_; }
  cublasLtHandle_t handle() const { return handle_; }
  void* workspace() const { return workspace_.get(); }
  int sms() const { return sms_; }
  std::size_t l2_bytes() const { return l2_bytes_; }

private:
  cudaStream_t stream_ = nullptr;
  cublasLtHandle_t handle_ = nullptr;
  DeviceBuffer workspace_;
  int sms_ = 0;
  std::size_t l2_bytes_ = 0;
};

}  // namespace dsim::calibration::cuda
