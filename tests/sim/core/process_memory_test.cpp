// SPDX-License-Identifier: Apache-2.0
// The process's peak memory, printed beside a run's wall time.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "sim/core/process_memory.hpp"

namespace dsim::core {

TEST_CASE("process memory: the peak counts memory the process is holding", "[core]") {
  // 64 MB written byte by byte are resident while held, so the peak so far is at least that much (Linux reports it
  // in kilobytes; the call scales it to bytes).
  constexpr std::size_t held = std::size_t{64} << 20;
  std::vector<char> block(held);
  std::memset(block.data(), 1, block.size());
  CHECK(peak_memory_bytes() >= held);
  CHECK(block[held / 2] == 1);
}

}  // namespace dsim::core
