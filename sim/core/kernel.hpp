// SPDX-License-Identifier: Apache-2.0
// What a compute kernel is, independent of who runs it: its kind and shape (the key a measured kernel table is
// looked up by) plus its FLOPs and HBM bytes (for the roofline). Shared by workloads (a trace's ops name the kernels
// they run) and models (the compute model times them). docs/calibration.md defines the kinds and their keys.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/dtype.hpp"
#include "sim/core/enum_names.hpp"

namespace dsim {

enum class KernelKind : std::uint8_t { gemm, attention_forward, attention_backward, memory };

inline constexpr std::array<std::string_view, 4> kernel_kind_names = {"gemm", "attention_forward",
                                                                      "attention_backward", "memory"};

constexpr std::string_view to_string(KernelKind k) { return kernel_kind_names[static_cast<std::size_t>(k)]; }

constexpr std::optional<KernelKind> parse_kernel_kind(std::string_view name) {
  return parse_enum<KernelKind>(kernel_kind_names, name);
}

constexpr bool is_attention(KernelKind k) {
  return k == KernelKind::attention_forward || k == KernelKind::attention_backward;
}

// The key. Fields a kind does not use stay zero (and dtype bf16 for memory kernels, whose format does not matter:
// they move bytes), so two kernels with the same key compare equal field by field.
struct KernelShape {
  KernelKind kind = KernelKind::gemm;
  Dtype dtype = Dtype::bf16;
  // gemm: D[m x n] = A[m x k] B[k x n]; groups > 1: a grouped expert GEMM, m the busiest group's rows
  std::int64_t groups = 0, m = 0, n = 0, k = 0;
  // attention
  std::int64_t batch = 0, heads = 0, kv_heads = 0, q_len = 0, kv_len = 0, qk_dim = 0, v_dim = 0;
  bool causal = false;
  // memory: bytes moved through HBM, half read and half written
  std::uint64_t bytes = 0;

  auto operator<=>(const KernelShape&) const = default;
};

KernelShape gemm_shape(Dtype dtype, std::int64_t groups, std::int64_t m, std::int64_t n, std::int64_t k);
KernelShape attention_shape(bool backward, Dtype dtype, std::int64_t batch, std::int64_t heads,
                            std::int64_t kv_heads, std::int64_t q_len, std::int64_t kv_len, std::int64_t qk_dim,
                            std::int64_t v_dim, bool causal);
KernelShape memory_shape(std::uint64_t bytes);

// "gemm fp8 m4096 n1536 k7168", "gemm fp8 4x m2048 n7168 k4096", "attention_forward bf16 b1 h128/128 q4096 kv4096
// d192/128 causal", "memory 58720256 B": one line for reports and error messages.
std::string describe(const KernelShape& shape);

// One kernel as a trace runs it: its key plus the work the roofline needs. Two kernels with the same key may differ
// in FLOPs (elementwise ops of the same size doing different arithmetic).
struct Kernel {
  KernelShape shape;
  double flops = 0.0;       // a multiply-add is 2 FLOPs
  std::uint64_t bytes = 0;  // HBM bytes read and written

  auto operator<=>(const Kernel&) const = default;
};

}  // namespace dsim
