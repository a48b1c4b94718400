// SPDX-License-Identifier: Apache-2.0
// Host-side launchers of the tool's own CUDA kernels: input fills, the elementwise memory kernel and the naive
// reference GEMM. Each launcher enqueues on `stream` and returns the launch status.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace dsim::calibration::cuda {

// Random, never-zero values from a hash of (seed, index), so the same seed gives the same data on any GPU.
// E4M3 and BF16 fills have magnitudes in [0.25, 2] and random signs, far inside E4M3's range (448).
cudaError_t fill_e4m3(void* dst, std::size_t count, std::uint64_t seed, cudaStream_t stream);
cudaError_t fill_bf16(void* dst, std::size_t count, std::uint64_t seed, cudaStream_t stream);
// Positive floats in [lo, hi] (scale factors).
cudaError_t fill_f32(float* dst, std::size_t count, std::uint64_t seed, float lo, float hi, cudaStream_t stream);

// out = 1.5 * in + 0.25 over `bytes` bytes read from `in` and as many written to `out`, as BF16 pairs in 16-byte
// vectors, with `blocks` blocks of 256 threads in a grid-stride loop.
cudaError_t launch_elementwise(const void* in, void* out, std::size_t bytes, int blocks, cudaStream_t stream);

// A naive FP32 GEMM over the operand layouts of gemm_plan.hpp (one group): ref(i, j) = sum over kk of
// A(i, kk) * sa(i, kk) * B(kk, j) * sb(kk, j), with A(i, kk) at a[i * lda + kk] and B(kk, j) at b[j * ldb + kk],
// written column-major to ref[j * ldd + i]. The scale of A(i, kk) is
// a_scale[i * a_row_stride + (kk / 128) * a_kblock_stride] and that of B(kk, j) is
// b_scale[(j / 128) * b_nblock_stride + (kk / 128) * b_kblock_stride]; a null scale pointer means 1.
struct ReferenceGemmArgs {
  bool fp8 = false;  // E4M3 operands, else BF16
  const void* a = nullptr;
  const void* b = nullptr;
  float* ref = nullptr;
  int m = 0, n = 0, k = 0;
  std::int64_t lda = 0, ldb = 0, ldd = 0;
  const float* a_scale = nullptr;
  std::int64_t a_row_stride = 0, a_kblock_stride = 0;
  const float* b_scale = nullptr;
  std::int64_t b_nblock_stride = 0, b_kblock_stride = 0;
};
cudaError_t launch_reference_gemm(const ReferenceGemmArgs& args, cudaStream_t stream);

}  // namespace dsim::calibration::cuda
