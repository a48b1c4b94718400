// SPDX-License-Identifier: Apache-2.0
// Arithmetic in the finite field GF(q), q = p^m a prime power, for the Slim Fly (MMS) construction.
// Elements are the integers 0..q-1, read as polynomials over GF(p) of degree < m with digit i (base p) the
// coefficient of x^i; 0 is the zero, 1 the unit. Multiplication goes through logarithms to the base of a primitive
// element xi = x modulo the first primitive polynomial of degree m (in order of its coefficient digits), so the
// field and xi are the same on every run.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace dsim::topology::detail {

struct PrimePower {
  std::uint32_t prime;
  std::uint32_t exponent;
};
// (p, m) with p^m = q, or nothing when q < 2 or q is not a prime power.
std::optional<PrimePower> prime_power(std::uint32_t q);

class GaloisField {
 public:
  // q must be a prime power (DSIM_CHECK); builds tables of 2q entries.
  explicit GaloisField(std::uint32_t q);

  std::uint32_t order() const { return q_; }
  std::uint32_t add(std::uint32_t a, std::uint32_t b) const;
  std::uint32_t negate(std::uint32_t a) const;
  std::uint32_t subtract(std::uint32_t a, std::uint32_t b) const { return add(a, negate(b)); }
  std::uint32_t multiply(std::uint32_t a, std::uint32_t b) const;
  // xi^i for any i >= 0 (xi^(q-1) = 1).
  std::uint32_t primitive_power(std::uint64_t i) const { return exp_[i % (q_ - 1)]; }

 private:
  std::uint32_t p_ = 0;
  std::uint32_t m_ = 0;
  std::uint32_t q_ = 0;
  std::vector<std::uint32_t> exp_;  // exp_[i] = xi^i, i < q-1
  std::vector<std::uint32_t> log_;  // log_[xi^i] = i; log_[0] unused
};

}  // namespace dsim::topology::detail
