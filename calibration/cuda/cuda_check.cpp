// SPDX-License-Identifier: Apache-2.0
// Turns CUDA and cuBLASLt status codes into CudaError messages.
#include "calibration/cuda/cuda_check.hpp"

namespace dsim::calibration::cuda {

void check_cuda(cudaError_t status, const char* call, const std::string& context) {
  if (status == cudaSuccess) return;
  throw CudaError(context + ": " + call + " failed: " + cudaGetErrorName(status) + " (" +
                  cudaGetErrorString(status) + ")");
}

void check_cublas(cublasStatus_t status, const char* call, const std::string& context) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw CudaError(context + ": " + call + " failed: " + cublasLtGetStatusName(status) + " (" +
                  cublasLtGetStatusString(status) + ")");
}

}  // namespace dsim::calibration::cuda
