// SPDX-License-Identifier: Apache-2.0
// Numeric formats of compute kernels and payloads, spelled as in scenario JSON. Shared by workloads (what an op
// computes in) and topology (a GPU's peak rate per format).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/core/enum_names.hpp"

namespace dsim {

enum class Dtype : std::uint8_t { fp8, bf16, fp32 };

inline constexpr std::array<std::string_view, 3> dtype_names = {"fp8", "bf16", "fp32"};

constexpr std::string_view to_string(Dtype d) { return dtype_names[static_cast<std::size_t>(d)]; }

constexpr std::optional<Dtype> parse_dtype(std::string_view name) { return parse_enum<Dtype>(dtype_names, name); }

}  // namespace dsim
