// SPDX-License-Identifier: Apache-2.0
// Creates and releases the per-GPU objects of GpuContext.
#include "calibration/cuda/gpu_context.hpp"

#include <string>

namespace dsim::calibration::cuda {

GpuContext::GpuContext(int device) {
  const std::string context = "gpu setup";
  DSIM_CUDA_CALL(cudaSetDevice(device), context);
  DSIM_CUDA_CALL(cudaDeviceGetAttribute(&sms_, cudaDevAttrMultiProcessorCount, device), context);
  int l2 = 0;
  DSIM_CUDA_CALL(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device), context);
  l2_bytes_ = static_cast<std::size_t>(l2);
  DSIM_CUDA_CALL(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), context);
  DSIM_CUBLAS_CALL(cublasLtCreate(&handle_), context);
  workspace_ = DeviceBuffer(kWorkspaceBytes, context);
}

GpuContext::~GpuContext() {
  if (handle_ != nullptr) cublasLtDestroy(handle_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

}  // namespace dsim::calibration::cuda
