// SPDX-License-Identifier: Apache-2.0
#include "sim/core/kernel.hpp"

#include <fmt/format.h>

namespace dsim {

KernelShape gemm_shape(Dtype dtype, std::int64_t groups, std::int64_t m, std::int64_t n, std::int64_t k) {
  KernelShape s;
  s.kind = KernelKind::gemm;
  s.dtype = dtype;
  s.groups = groups;
  s.m = m;
  s.n = n;
  s.k = k;
  return s;
}

KernelShape attention_shape(bool backward, Dtype dtype, std::int64_t batch, std::int64_t heads,
                            std::int64_t kv_heads, std::int64_t q_len, std::int64_t kv_len, std::int64_t qk_dim,
                            std::int64_t v_dim, bool causal) {
  KernelShape s;
  s.kind = backward ? KernelKind::attention_backward : KernelKind::attention_forward;
  s.dtype = dtype;
  s.batch = batch;
  s.heads = heads;
  s.kv_heads = kv_heads;
  s.q_len = q_len;
  s.kv_len = kv_len;
  s.qk_dim = qk_dim;
  s.v_dim = v_dim;
  s.causal = causal;
  return s;
}

KernelShape memory_shape(std::uint64_t bytes) {
  KernelShape s;
  s.kind = KernelKind::memory;
  s.bytes = bytes;
  return s;
}

std::string describe(const KernelShape& s) {
  switch (s.kind) {
    case KernelKind::gemm:
      if (s.groups > 1) return fmt::format("gemm {} {}x m{} n{} k{}", to_string(s.dtype), s.groups, s.m, s.n, s.k);
      return fmt::format("gemm {} m{} n{} k{}", to_string(s.dtype), s.m, s.n, s.k);
    case KernelKind::attention_forward:
    case KernelKind::attention_backward:
      return fmt::format("{} {} b{} h{}/{} q{} kv{} d{}/{}{}", to_string(s.kind), to_string(s.dtype), s.batch, s.heads,
                         s.kv_heads, s.q_len, s.kv_len, s.qk_dim, s.v_dim, s.causal ? " causal" : "");
    case KernelKind::memory:
      return fmt::format("memory {} B", s.bytes);
  }
  return "?";
}

}  // namespace dsim
