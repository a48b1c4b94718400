// SPDX-License-Identifier: Apache-2.0
// What machine a benchmark ran on, printed with its figures so numbers from different machines are not compared.
#pragma once

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace dsim::bench {

// "nproc 2, Intel(R) Xeon(R) ...": the CPUs this process may run on (as nproc counts them) and the model name.
inline std::string machine_description() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const int nproc = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 ? CPU_COUNT(&allowed) : 0;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::string model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(std::min(colon + 2, line.size()));
      break;
    }
  }
  return fmt::format("nproc {}, {}", nproc, model);
}

}  // namespace dsim::bench
