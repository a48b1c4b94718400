// SPDX-License-Identifier: Apache-2.0
#include "sim/core/process_memory.hpp"

#include <sys/resource.h>

namespace dsim::core {

std::uint64_t peak_memory_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0 || usage.ru_maxrss <= 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports kilobytes
}

}  // namespace dsim::core
