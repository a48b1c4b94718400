// SPDX-License-Identifier: Apache-2.0
// The tool's own kernels: hash-based fills, the elementwise memory kernel and the reference GEMM.
#include "calibration/cuda/device_kernels.hpp"

#include <cuda_bf16.h>
#include <cuda_fp8.h>

namespace dsim::calibration::cuda {
namespace {

constexpr int kThreads = 256;

__device__ std::uint64_t mix(std::uint64_t x) {
  // splitmix64's finaliser: consecutive indices give unrelated bits.
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Magnitude in [0.25, 2] with a random sign: never zero, so an unwritten or zeroed operand cannot pass unseen.
__device__ float signed_value(std::uint64_t seed, std::size_t i) {
  const std::uint64_t h = mix(seed ^ mix(i));
  const float u = static_cast<float>(h >> 40) * (1.0f / 16777216.0f);
  return ((h & 1) ? -1.0f : 1.0f) * (0.25f + 1.75f * u);
}

__global__ void fill_e4m3_kernel(__nv_fp8_e4m3* dst, std::size_t count, std::uint64_t seed) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x)
    dst[i] = __nv_fp8_e4m3(signed_value(seed, i));
}

__global__ void fill_bf16_kernel(__nv_bfloat16* dst, std::size_t count, std::uint64_t seed) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x)
    dst[i] = __float2bfloat16(signed_value(seed, i));
}

__global__ void fill_f32_kernel(float* dst, std::size_t count, std::uint64_t seed, float lo, float hi) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x) {
    const float u = static_cast<float>(mix(seed ^ mix(i)) >> 40) * (1.0f / 16777216.0f);
    dst[i] = lo + (hi - lo) * u;
  }
}

int fill_blocks(std::size_t count) {
  const std::size_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

__device__ uint4 scale_shift(uint4 v) {
  const __nv_bfloat162 a = __floats2bfloat162_rn(1.5f, 1.5f);
  const __nv_bfloat162 b = __floats2bfloat162_rn(0.25f, 0.25f);
  __nv_bfloat162* h = reinterpret_cast<__nv_bfloat162*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) h[i] = __hfma2(h[i], a, b);
  return v;
}

// Four independent 16-byte loads in flight per thread before the first store, then a remainder loop; the last
// bytes % 16 bytes are copied by the first block's threads.
__global__ void elementwise_kernel(const uint4* in, uint4* out, std::size_t vectors, const unsigned char* in_tail,
                                   unsigned char* out_tail, unsigned tail) {
  const std::size_t stride = std::size_t{gridDim.x} * blockDim.x;
  std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
  for (; i + 3 * stride < vectors; i += 4 * stride) {
    uint4 v[4];
#pragma unroll
    for (int u = 0; u < 4; ++u) v[u] = in[i + u * stride];
#pragma unroll
    for (int u = 0; u < 4; ++u) out[i + u * stride] = scale_shift(v[u]);
  }
  for (; i < vectors; i += stride) out[i] = scale_shift(in[i]);
  if (blockIdx.x == 0 && threadIdx.x < tail) out_tail[threadIdx.x] = in_tail[threadIdx.x] ^ 1u;
}

__device__ float load(bool fp8, const void* p, std::size_t i) {
  if (fp8) return static_cast<float>(static_cast<const __nv_fp8_e4m3*>(p)[i]);
  return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
}

__global__ void reference_gemm_kernel(ReferenceGemmArgs g) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int j = static_cast<int>(blockIdx.y);
  if (i >= g.m) return;
  float acc = 0.0f;
  for (int kk = 0; kk < g.k; ++kk) {
    float a = load(g.fp8, g.a, std::size_t(i) * g.lda + kk);
    float b = load(g.fp8, g.b, std::size_t(j) * g.ldb + kk);
    if (g.a_scale != nullptr) a *= g.a_scale[i * g.a_row_stride + (kk / 128) * g.a_kblock_stride];
    if (g.b_scale != nullptr) b *= g.b_scale[(j / 128) * g.b_nblock_stride + (kk / 128) * g.b_kblock_stride];
    acc = fmaf(a, b, acc);
  }
  g.ref[std::size_t(j) * g.ldd + i] = acc;
}

}  // namespace

cudaError_t fill_e4m3(void* dst, std::size_t count, std::uint64_t seed, cudaStream_t stream) {
  fill_e4m3_kernel<<<fill_blocks(count), kThreads, 0, stream>>>(static_cast<__nv_fp8_e4m3*>(dst), count, seed);
  return cudaGetLastError();
}

cudaError_t fill_bf16(void* dst, std::size_t count, std::uint64_t seed, cudaStream_t stream) {
  fill_bf16_kernel<<<fill_blocks(count), kThreads, 0, stream>>>(static_cast<__nv_bfloat16*>(dst), count, seed);
  return cudaGetLastError();
}

cudaError_t fill_f32(float* dst, std::size_t count, std::uint64_t seed, float lo, float hi, cudaStream_t stream) {
  fill_f32_kernel<<<fill_blocks(count), kThreads, 0, stream>>>(dst, count, seed, lo, hi);
  return cudaGetLastError();
}

cudaError_t launch_elementwise(const void* in, void* out, std::size_t bytes, int blocks, cudaStream_t stream) {
  const std::size_t vectors = bytes / 16;
  const auto tail = static_cast<unsigned>(bytes % 16);
  const auto* in_tail = static_cast<const unsigned char*>(in) + vectors * 16;
  auto* out_tail = static_cast<unsigned char*>(out) + vectors * 16;
  elementwise_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const uint4*>(in), static_cast<uint4*>(out),
                                                       vectors, in_tail, out_tail, tail);
  return cudaGetLastError();
}

cudaError_t launch_reference_gemm(const ReferenceGemmArgs& args, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((args.m + kThreads - 1) / kThreads), static_cast<unsigned>(args.n));
  reference_gemm_kernel<<<grid, kThreads, 0, stream>>>(args);
  return cudaGetLastError();
}

}  // namespace dsim::calibration::cuda
