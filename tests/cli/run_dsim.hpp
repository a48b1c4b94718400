// SPDX-License-Identifier: Apache-2.0
// Runs the real dsim executable in a child process and captures its exit code, stdout and stderr, so the CLI tests
// check exactly what a user sees.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dsim::testing {

struct DsimOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// args exclude the program; the child runs in `working_dir`.
DsimOutput run_dsim(const std::vector<std::string>& args,
                    const std::filesystem::path& working_dir = std::filesystem::current_path());

// A fresh empty folder under the system temporary folder, removed when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);

// The lines of a text, without their line ends; a final line end does not start an empty line.
std::vector<std::string> lines_of(const std::string& text);

}  // namespace dsim::testing
