// SPDX-License-Identifier: Apache-2.0
// Bytes of one token's hidden vector on the wire, by payload format, as DeepEP lays them out:
//   fp8:      1 byte per element + one fp32 scale per 128 elements       (7,168 -> 7,392 B)
//   bf16:     2 bytes per element                                        (7,168 -> 14,336 B)
//   logfmt-n: n bits per element + per 128-element tile its log-domain minimum and step as two fp32 (what-if; the
//             LogFMT-nBit format of [P] section 3.3, whose metadata layout the paper does not fix: two fp32 assumed)
// Low-latency dispatch messages also carry 16 bytes of token metadata (source index and layout), so DeepEP's
// low-latency FP8 message is 7,168 + 224 + 16 = 7,408 B ([E] README).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "sim/core/units.hpp"

namespace dsim::models::collectives::moe {

enum class PayloadFormat : std::uint8_t { fp8, bf16, logfmt };
inline constexpr std::array<std::string_view, 3> payload_format_names = {"fp8", "bf16", "logfmt"};

struct Payload {
  PayloadFormat format = PayloadFormat::fp8;
  int logfmt_bits = 8;  // logfmt only: bits per element, 2 to 16
};

inline constexpr std::uint64_t scale_block = 128;          // elements sharing one fp8 scale or one logfmt tile
inline constexpr std::uint64_t low_latency_header_bytes = 16;

// Bytes of one token of `hidden` elements; hidden must be a multiple of 128 for fp8 and logfmt (checked by callers
// that read it from input). Bits round up to whole bytes per token.
constexpr Bytes token_bytes(const Payload& payload, std::uint64_t hidden) {
  const std::uint64_t blocks = (hidden + scale_block - 1) / scale_block;
  switch (payload.format) {
    case PayloadFormat::fp8:
      return Bytes(hidden + blocks * 4);
    case PayloadFormat::bf16:
      return Bytes(hidden * 2);
    case PayloadFormat::logfmt:
      return Bytes((hidden * static_cast<std::uint64_t>(payload.logfmt_bits) + 7) / 8 + blocks * 8);
  }
  return Bytes(0);
}

}  // namespace dsim::models::collectives::moe
