// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <fmt/format.h>
#include <unistd.h>

#include "sim/core/errors.hpp"
#include "sim/report/report.hpp"

namespace dsim::report {

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  // The pid in the temporary name keeps two runs writing into one folder from clobbering each other's partial file.
  const std::filesystem::path temporary = path.string() + fmt::format(".tmp-{}", ::getpid());
  auto fail = [&](const std::string& what) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return InputError(path.string(), "", fmt::format("cannot write output: {}", what));
  };
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (file == nullptr) throw fail(std::strerror(errno));
  const bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  const int write_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) throw fail(std::strerror(written ? errno : write_errno));
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) throw fail(error.message());
}

}  // namespace dsim::report
