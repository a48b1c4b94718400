// SPDX-License-Identifier: Apache-2.0
// GF(p^m) by brute force: fine for the field orders a switch radix allows (q < 700), built once per Slim Fly.
#include "topology/fabrics/galois_field.hpp"

#include "sim/core/check.hpp"

namespace dsim::topology::detail {
namespace {

// Multiplies the element `a` by x modulo the monic polynomial x^m + sum c_i x^i (coefficient digits in `c`):
// the digits shift up one place and the overflowing top digit t comes back as -t * c_i (x^m = -sum c_i x^i).
std::uint32_t times_x(std::uint32_t a, std::uint32_t c, std::uint32_t p, std::uint32_t m) {
  std::uint32_t top = a;
  for (std::uint32_t i = 1; i < m; ++i) top /= p;
  std::uint32_t out = 0;
  std::uint32_t place = 1;
  std::uint32_t previous = 0;  // digit i-1 of a
  for (std::uint32_t i = 0; i < m; ++i) {
    const std::uint32_t digit_a = a % p;
    const std::uint32_t digit_c = c % p;
    a /= p;
    c /= p;
    const std::uint32_t digit = (previous + (p - (top * digit_c) % p)) % p;
    out += digit * place;
    place *= p;
    previous = digit_a;
  }
  return out;
}

}  // namespace

std::optional<PrimePower> prime_power(std::uint32_t q) {
  if (q < 2) return std::nullopt;
  std::uint32_t p = 2;
  while (p * p <= q && q % p != 0) ++p;
  if (q % p != 0) p = q;  // no divisor up to sqrt(q): q is prime
  std::uint32_t m = 0;
  while (q % p == 0) {
    q /= p;
    ++m;
  }
  if (q != 1) return std::nullopt;
  return PrimePower{p, m};
}

GaloisField::GaloisField(std::uint32_t q) : q_(q) {
  const auto pm = prime_power(q);
  DSIM_CHECK(pm.has_value(), "GF({}) does not exist: {} is not a prime power", q, q);
  p_ = pm->prime;
  m_ = pm->exponent;
  exp_.assign(q_ - 1, 0);
  log_.assign(q_, 0);
  // Try the monic polynomials of degree m in order; x is primitive modulo one of them exactly when its powers
  // run through all q-1 nonzero elements before returning to 1, which also proves the polynomial irreducible.
  for (std::uint32_t c = 0; c < q_; ++c) {
    std::uint32_t power = 1;
    std::uint32_t order = 0;
    do {
      exp_[order] = power;
      power = times_x(power, c, p_, m_);
      ++order;
    } while (power != 1 && power != 0 && order < q_ - 1);
    if (power == 1 && order == q_ - 1) {
      for (std::uint32_t i = 0; i < q_ - 1; ++i) log_[exp_[i]] = i;
      return;
    }
  }
  DSIM_CHECK(false, "no primitive polynomial of degree {} over GF({})", m_, p_);
}

std::uint32_t GaloisField::add(std::uint32_t a, std::uint32_t b) const {
  if (m_ == 1) return (a + b) % p_;
  std::uint32_t out = 0;
  for (std::uint32_t place = 1; place < q_; place *= p_) {
    out += ((a % p_ + b % p_) % p_) * place;
    a /= p_;
    b /= p_;
  }
  return out;
}

std::uint32_t GaloisField::negate(std::uint32_t a) const {
  std::uint32_t out = 0;
  for (std::uint32_t place = 1; place < q_; place *= p_) {
    out += ((p_ - a % p_) % p_) * place;
    a /= p_;
  }
  return out;
}

std::uint32_t GaloisField::multiply(std::uint32_t a, std::uint32_t b) const {
  if (a == 0 || b == 0) return 0;
  return exp_[(log_[a] + log_[b]) % (q_ - 1)];
}

}  // namespace dsim::topology::detail
