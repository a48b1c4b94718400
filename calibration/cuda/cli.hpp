// SPDX-License-Identifier: Apache-2.0
// dsim-calibrate's command line: parse, validate the list, check the GPU, self-check, time, write the table.
#pragma once

#include <stdexcept>
#include <string>

namespace dsim::calibration::cuda {

// Each failure class maps to one exit code in main.cpp.
class UsageError : public std::runtime_error {  // exit 2, like InputError
public:
  using std::runtime_error::runtime_error;
};

class NoGpuError : public std::runtime_error {  // exit 3, or 77 (CTest's skip) for --self-test
public:
  NoGpuError(const std::string& message, bool for_self_test)
      : std::runtime_error(message), self_test(for_self_test) {}
  bool self_test;
};

class SelfCheckFailed : public std::runtime_error {  // exit 1
public:
  using std::runtime_error::runtime_error;
};

class KernelsNotTimed : public std::runtime_error {  // exit 1, after the table of the others is written
public:
  using std::runtime_error::runtime_error;
};

int run_cli(int argc, char** argv);

}  // namespace dsim::calibration::cuda
