// SPDX-License-Identifier: Apache-2.0
// One way to turn a JSON name into an enumerator: each enum keeps a table of names in enumerator order, and this
// looks the name up in it. Unknown names give nothing; the caller reports them with the valid choices.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsim {

template <typename Enum, std::size_t N>
constexpr std::optional<Enum> parse_enum(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

template <std::size_t N>
std::vector<std::string> enum_names(const std::array<std::string_view, N>& names) {
  return {names.begin(), names.end()};
}

}  // namespace dsim
