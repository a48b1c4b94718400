// SPDX-License-Identifier: Apache-2.0
// The two error channels of dsim. InputError: the user's input is wrong (exit code 2); it names the file and the
// JSON path or line so the user can fix it. InternalError: dsim itself is wrong (exit code 1). Library code throws;
// only main maps errors to exit codes and prints them.
#pragma once

#include <stdexcept>
#include <string>

namespace dsim {

class InputError : public std::runtime_error {
 public:
  // source: a file name, "--set" or "command line"; where: a JSON pointer ("/cluster/nodes"), "line 3, column 7",
  // or empty when the whole source is at fault.
  InputError(std::string source, std::string where, std::string message);

  const std::string& source() const { return source_; }
  const std::string& where() const { return where_; }
  const std::string& message() const { return message_; }

 private:
  std::string source_;
  std::string where_;
  std::string message_;
};

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& what) : std::logic_error(what) {}
};

namespace detail {
[[noreturn]] void check_failed(const char* condition, const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace dsim
