// SPDX-License-Identifier: Apache-2.0
// Every scenario shipped under scenarios/ must load and validate: a broken example is a bug.
#include <catch2/catch.hpp>

#include "tests/cli/run_dsim.hpp"

namespace dsim::testing {

TEST_CASE("scenarios: every file under scenarios/ validates", "[cli]") {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(DSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path().string());
    const DsimOutput result = run_dsim({"validate", entry.path().string()});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    ++count;
  }
  CHECK(count >= 1);
}

}  // namespace dsim::testing
