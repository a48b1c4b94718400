// SPDX-License-Identifier: Apache-2.0
// One cuBLASLt matmul configuration: D[m x n] (BF16, column-major) = A[m x k] B[k x n] for `groups` groups, both
// operands K-major ("TN", which Hopper's FP8 kernels require), FP32 accumulation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "calibration/cuda/kernel_list.hpp"

namespace dsim::calibration::cuda {

// How FP8 operands are scaled. `block` is V3's recipe ([R] 3.3.1): one FP32 scale per 1x128 tile of A (activations,
// VEC128_32F) and per 128x128 block of B (weights, BLK128x128_32F). BF16 GEMMs use `none`.
enum class ScaleMode { none, per_tensor, block };
// groups > 1: one strided-batched matmul, or `groups` matmuls enqueued back to back (captured in the timing graph).
enum class GroupMode { single, strided_batch, loop };

const char* to_string(ScaleMode mode);

// Element counts of one group's scale arrays, in the layouts cuBLASLt reads (see gemm_plan.cpp).
std::size_t a_scale_count(const GemmShape& shape, ScaleMode mode);
std::size_t b_scale_count(const GemmShape& shape, ScaleMode mode);

// Leading dimensions and the elements from one group to the next in each array. Leading dimensions are padded to
// 16 elements (cuBLASLt's FP8 kernels need 16-byte aligned columns), so any m, n, k runs with its exact shape. Every
// group starts 256-byte aligned, the alignment the heuristic assumes of every pointer (loop mode passes each
// group's own pointers).
struct GemmStrides {
  std::size_t lda = 0, ldb = 0, ldd = 0;
  std::size_t a = 0, b = 0, d = 0, a_scale = 0, b_scale = 0;
};
GemmStrides group_strides(const GemmShape& shape, ScaleMode mode);

// Device pointers of one copy of a GEMM's operands; each array holds all groups, `GemmStrides` apart.
struct GemmOperands {
  void* a = nullptr;         // m x k per group, K-major: element (i, kk) at i*lda + kk (E4M3 or BF16)
  void* b = nullptr;         // k x n per group, K-major: element (kk, j) at j*ldb + kk
  void* d = nullptr;         // m x n per group, BF16, column-major: element (i, j) at j*ldd + i
  float* a_scale = nullptr;  // unused for ScaleMode::none
  float* b_scale = nullptr;
};

// Bytes one copy of the operands takes, and its arrays laid out in a buffer of that size.
std::size_t operand_bytes(const GemmShape& shape, ScaleMode mode);
GemmOperands carve_operands(void* base, const GemmShape& shape, ScaleMode mode);

class GemmPlan {
public:
  // Builds the descriptors and asks the heuristic for up to `max_algorithms` algorithms. A plan the library
  // refuses has no algorithms and says why in refusal(); it is not an error.
  GemmPlan(cublasLtHandle_t handle, const GemmShape& shape, ScaleMode scale, GroupMode group, void* workspace,
           std::size_t workspace_bytes, int max_algorithms, std::string context);
  ~GemmPlan();
  GemmPlan(const GemmPlan&) = delete;
  GemmPlan& operator=(const GemmPlan&) = delete;

  int algorithm_count() const { return static_cast<int>(algorithms_.size()); }
  const std::string& refusal() const { return refusal_; }
  void select_algorithm(int index) { selected_ = index; }
  int selected_algorithm() const { return selected_; }

  // Enqueues one instance of the kernel (all groups) with the selected algorithm. try_enqueue returns cuBLASLt's
  // status so that a configuration the library accepts in the heuristic but rejects at run time can be skipped.
  cublasStatus_t try_enqueue(const GemmOperands& ops, cudaStream_t stream) const;
  void enqueue(const GemmOperands& ops, cudaStream_t stream) const;

  const GemmShape& shape() const { return shape_; }
  ScaleMode scale_mode() const { return scale_; }
  GroupMode group_mode() const { return group_; }

private:
  void set_scales(const GemmOperands& ops) const;

  cublasLtHandle_t handle_;
  GemmShape shape_;
  ScaleMode scale_;
  GroupMode group_;
  void* workspace_;
  std::size_t workspace_bytes_;
  std::string context_;
  cublasLtMatmulDesc_t desc_ = nullptr;
  cublasLtMatrixLayout_t a_layout_ = nullptr;
  cublasLtMatrixLayout_t b_layout_ = nullptr;
  cublasLtMatrixLayout_t d_layout_ = nullptr;
  std::vector<cublasLtMatmulAlgo_t> algorithms_;
  std::string refusal_;
  int selected_ = 0;
};

}  // namespace dsim::calibration::cuda
