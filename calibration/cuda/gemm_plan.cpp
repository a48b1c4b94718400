// SPDX-License-Identifier: Apache-2.0
// cuBLASLt descriptors, heuristic and launch for one GEMM configuration.
//
// Scale layouts (cuBLASLt 12.9+, Hopper), for A seen as k x m and B as k x n, both column-major with k innermost
// (the layout descriptions of NVIDIA's LtBlk128x128Fp8Matmul sample and PyTorch's blockwise scaled_mm checks):
//   VEC128_32F on A:     ceil(k/128) x m floats, m contiguous: the scale of A(i, kk) is at (kk/128) * m + i.
//   BLK128x128_32F on B: ceil(n/128) columns of ceil(k/128) floats padded to a multiple of 4: the scale of the
//                        block holding B(kk, j) is at (j/128) * round_up(ceil(k/128), 4) + kk/128.
// The self-check (self_check.cpp) verifies these against a reference with scales that differ per block.
#include "calibration/cuda/gemm_plan.hpp"

#include <cstdint>

#include "calibration/cuda/cuda_check.hpp"

namespace dsim::calibration::cuda {
namespace {

std::size_t ceil_div(std::int64_t a, std::int64_t b) { return static_cast<std::size_t>((a + b - 1) / b); }

template <typename T>
void set_desc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const T& value, const std::string& ctx) {
  DSIM_CUBLAS_CALL(cublasLtMatmulDescSetAttribute(desc, attr, &value, sizeof(value)), ctx);
}

std::size_t round_up(std::size_t a, std::size_t b) { return (a + b - 1) / b * b; }

cublasLtMatrixLayout_t make_layout(cudaDataType_t type, std::int64_t rows, std::int64_t cols, std::size_t ld,
                                   std::int64_t groups, std::size_t group_stride, bool batched, const std::string& ctx) {
  cublasLtMatrixLayout_t layout = nullptr;
  DSIM_CUBLAS_CALL(cublasLtMatrixLayoutCreate(&layout, type, static_cast<std::uint64_t>(rows),
                                              static_cast<std::uint64_t>(cols), static_cast<std::int64_t>(ld)),
                   ctx);
  if (batched) {
    const auto count = static_cast<std::int32_t>(groups);
    const auto stride = static_cast<std::int64_t>(group_stride);
    DSIM_CUBLAS_CALL(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                                      sizeof(count)),
                     ctx);
    DSIM_CUBLAS_CALL(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
                                                      sizeof(stride)),
                     ctx);
  }
  return layout;
}

}  // namespace

const char* to_string(ScaleMode mode) {
  switch (mode) {
    case ScaleMode::none: return "none";
    case ScaleMode::per_tensor: return "per-tensor";
    case ScaleMode::block: return "block";
  }
  return "?";
}

std::size_t a_scale_count(const GemmShape& shape, ScaleMode mode) {
  // m rounded up to 4 in case the library pads each 128-column block's scales to 16 bytes; the layout is unchanged
  // for the m that are multiples of 4.
  if (mode == ScaleMode::block) return ceil_div(shape.k, 128) * round_up(static_cast<std::size_t>(shape.m), 4);
  return 1;
}

std::size_t b_scale_count(const GemmShape& shape, ScaleMode mode) {
  if (mode == ScaleMode::block) return round_up(ceil_div(shape.k, 128), 4) * ceil_div(shape.n, 128);
  return 1;
}

GemmStrides group_strides(const GemmShape& shape, ScaleMode mode) {
  // 256 elements are at least 256 bytes for every element type used here.
  const auto m = static_cast<std::size_t>(shape.m), n = static_cast<std::size_t>(shape.n),
             k = static_cast<std::size_t>(shape.k);
  GemmStrides s;
  s.lda = round_up(k, 16);
  s.ldb = round_up(k, 16);
  s.ldd = round_up(m, 16);
  s.a = round_up(s.lda * m, 256);
  s.b = round_up(s.ldb * n, 256);
  s.d = round_up(s.ldd * n, 256);
  s.a_scale = round_up(a_scale_count(shape, mode), 64);
  s.b_scale = round_up(b_scale_count(shape, mode), 64);
  return s;
}

std::size_t operand_bytes(const GemmShape& shape, ScaleMode mode) {
  const GemmStrides s = group_strides(shape, mode);
  const std::size_t in_bytes = shape.dtype == GemmDtype::fp8 ? 1 : 2;
  const auto groups = static_cast<std::size_t>(shape.groups);
  return groups * ((s.a + s.b) * in_bytes + s.d * 2 + (s.a_scale + s.b_scale) * sizeof(float));
}

GemmOperands carve_operands(void* base, const GemmShape& shape, ScaleMode mode) {
  const GemmStrides s = group_strides(shape, mode);
  const std::size_t in_bytes = shape.dtype == GemmDtype::fp8 ? 1 : 2;
  const auto groups = static_cast<std::size_t>(shape.groups);
  auto* p = static_cast<char*>(base);
  GemmOperands ops;
  ops.a = p;
  p += groups * s.a * in_bytes;
  ops.b = p;
  p += groups * s.b * in_bytes;
  ops.d = p;
  p += groups * s.d * 2;
  ops.a_scale = reinterpret_cast<float*>(p);
  p += groups * s.a_scale * sizeof(float);
  ops.b_scale = reinterpret_cast<float*>(p);
  return ops;
}

GemmPlan::GemmPlan(cublasLtHandle_t handle, const GemmShape& shape, ScaleMode scale, GroupMode group,
                   void* workspace, std::size_t workspace_bytes, int max_algorithms, std::string context)
    : handle_(handle), shape_(shape), scale_(scale), group_(group), workspace_(workspace),
      workspace_bytes_(workspace_bytes), context_(std::move(context)) {
  const bool fp8 = shape.dtype == GemmDtype::fp8;
  const cudaDataType_t in_type = fp8 ? CUDA_R_8F_E4M3 : CUDA_R_16BF;
  DSIM_CUBLAS_CALL(cublasLtMatmulDescCreate(&desc_, CUBLAS_COMPUTE_32F, CUDA_R_32F), context_);
  set_desc(desc_, CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T, context_);
  set_desc(desc_, CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N, context_);
  if (scale == ScaleMode::block) {
    set_desc(desc_, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, std::int32_t{CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F}, context_);
    set_desc(desc_, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, std::int32_t{CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F},
             context_);
  }
  // The heuristic checks the scale pointers are set (not their values); real ones are set before each launch.
  if (scale != ScaleMode::none) {
    const void* placeholder = workspace_;
    set_desc(desc_, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, placeholder, context_);
    set_desc(desc_, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, placeholder, context_);
  }
  const bool batched = group == GroupMode::strided_batch;
  const GemmStrides strides = group_strides(shape, scale);
  a_layout_ = make_layout(in_type, shape.k, shape.m, strides.lda, shape.groups, strides.a, batched, context_);
  b_layout_ = make_layout(in_type, shape.k, shape.n, strides.ldb, shape.groups, strides.b, batched, context_);
  d_layout_ = make_layout(CUDA_R_16BF, shape.m, shape.n, strides.ldd, shape.groups, strides.d, batched, context_);

  cublasLtMatmulPreference_t pref = nullptr;
  DSIM_CUBLAS_CALL(cublasLtMatmulPreferenceCreate(&pref), context_);
  const std::uint64_t ws = workspace_bytes_;
  DSIM_CUBLAS_CALL(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                                        sizeof(ws)),
                   context_);
  std::vector<cublasLtMatmulHeuristicResult_t> results(static_cast<std::size_t>(max_algorithms));
  int returned = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(handle_, desc_, a_layout_, b_layout_, d_layout_,
                                                               d_layout_, pref, max_algorithms, results.data(),
                                                               &returned);
  cublasLtMatmulPreferenceDestroy(pref);
  if (status != CUBLAS_STATUS_SUCCESS) {
    refusal_ = std::string("heuristic: ") + cublasLtGetStatusName(status);
    return;
  }
  for (int i = 0; i < returned; ++i) {
    if (results[static_cast<std::size_t>(i)].state == CUBLAS_STATUS_SUCCESS)
      algorithms_.push_back(results[static_cast<std::size_t>(i)].algo);
  }
  if (algorithms_.empty()) refusal_ = "heuristic returned no algorithm";
}

GemmPlan::~GemmPlan() {
  // Destruction failures cannot be acted on; the descriptors are host objects.
  if (d_layout_ != nullptr) cublasLtMatrixLayoutDestroy(d_layout_);
  if (b_layout_ != nullptr) cublasLtMatrixLayoutDestroy(b_layout_);
  if (a_layout_ != nullptr) cublasLtMatrixLayoutDestroy(a_layout_);
  if (desc_ != nullptr) cublasLtMatmulDescDestroy(desc_);
}

void GemmPlan::set_scales(const GemmOperands& ops) const {
  if (scale_ == ScaleMode::none) return;
  const void* a_scale = ops.a_scale;
  const void* b_scale = ops.b_scale;
  set_desc(desc_, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, a_scale, context_);
  set_desc(desc_, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, b_scale, context_);
}

cublasStatus_t GemmPlan::try_enqueue(const GemmOperands& ops, cudaStream_t stream) const {
  if (algorithms_.empty()) return CUBLAS_STATUS_NOT_SUPPORTED;
  set_scales(ops);
  const float alpha = 1.0f;
  const float beta = 0.0f;
  const cublasLtMatmulAlgo_t* algo = &algorithms_[static_cast<std::size_t>(selected_)];
  // Loop mode: every group reuses group 0's scales; the scale arrays are a few KiB and do not change the timing.
  const std::int64_t launches = group_ == GroupMode::loop ? shape_.groups : 1;
  const std::size_t in_bytes = shape_.dtype == GemmDtype::fp8 ? 1 : 2;
  const GemmStrides strides = group_strides(shape_, scale_);
  for (std::int64_t g = 0; g < launches; ++g) {
    const auto group = static_cast<std::size_t>(g);
    const auto a = static_cast<const char*>(ops.a) + group * strides.a * in_bytes;
    const auto b = static_cast<const char*>(ops.b) + group * strides.b * in_bytes;
    const auto d = static_cast<char*>(ops.d) + group * strides.d * 2;
    const cublasStatus_t s = cublasLtMatmul(handle_, desc_, &alpha, a, a_layout_, b, b_layout_, &beta, d, d_layout_,
                                            d, d_layout_, algo, workspace_, workspace_bytes_, stream);
    if (s != CUBLAS_STATUS_SUCCESS) return s;
  }
  return CUBLAS_STATUS_SUCCESS;
}

void GemmPlan::enqueue(const GemmOperands& ops, cudaStream_t stream) const {
  DSIM_CUBLAS_CALL(try_enqueue(ops, stream), context_);
}

}  // namespace dsim::calibration::cuda
