// SPDX-License-Identifier: Apache-2.0
// Every CUDA runtime and cuBLASLt call is checked; a failure throws a CudaError naming the call and the kernel.
#pragma once

#include <stdexcept>
#include <string>

#include <cublasLt.h>
#include <cuda_runtime_api.h>

namespace dsim::calibration::cuda {

class CudaError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// `context` says what was being done ("gemm fp8 4096x1536x7168", "self-check"), so a failure names the kernel.
void check_cuda(cudaError_t status, const char* call, const std::string& context);
void check_cublas(cublasStatus_t status, const char* call, const std::string& context);

}  // namespace dsim::calibration::cuda

// The macros only stringify the call, so the message shows what failed exactly as written.
#define DSIM_CUDA_CALL(call, context) ::dsim::calibration::cuda::check_cuda((call), #call, (context))
#define DSIM_CUBLAS_CALL(call, context) ::dsim::calibration::cuda::check_cublas((call), #call, (context))
