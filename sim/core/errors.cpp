// SPDX-License-Identifier: Apache-2.0
#include "sim/core/errors.hpp"

#include <fmt/format.h>

namespace dsim {
namespace {

// "file: /path: message", leaving out the parts that are empty, on one line.
std::string join_location(const std::string& source, const std::string& where, const std::string& message) {
  std::string out;
  if (!source.empty()) out += source + ": ";
  if (!where.empty()) out += where + ": ";
  out += message;
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

InputError::InputError(std::string source, std::string where, std::string message)
    : std::runtime_error(join_location(source, where, message)),
      source_(std::move(source)),
      where_(std::move(where)),
      message_(std::move(message)) {}

namespace detail {
void check_failed(const char* condition, const char* file, int line, const std::string& message) {
  throw InternalError(fmt::format("{} ({}:{}: check '{}' failed)", message, file, line, condition));
}
}  // namespace detail

}  // namespace dsim
