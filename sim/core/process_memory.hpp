// SPDX-License-Identifier: Apache-2.0
// What the simulator process itself costs, for the run summary next to its wall time.
#pragma once

#include <cstdint>

namespace dsim::core {

// The process's peak resident memory so far, in bytes (getrusage's maximum resident set size); 0 where the system
// does not tell.
std::uint64_t peak_memory_bytes();

}  // namespace dsim::core
