// SPDX-License-Identifier: Apache-2.0
// Every scenario shipped under scenarios/ must work: a broken example is a bug. The cost-table fabrics under
// scenarios/topology/ are checked with `dsim topo`, which must print the row of Table 3 of Zhao et al. (ISCA 2025)
// exactly as the paper prints it; the rest must pass `dsim validate`.
#include <catch2/catch.hpp>

#include "tests/cli/run_dsim.hpp"

namespace dsim::testing {
namespace {

const std::filesystem::path scenarios = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios";

}  // namespace

TEST_CASE("scenarios: every file outside scenarios/topology validates", "[cli]") {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(scenarios)) {
    if (entry.path().extension() != ".json" || entry.path().parent_path().filename() == "topology") continue;
    INFO(entry.path().string());
    const DsimOutput result = run_dsim({"validate", entry.path().string()});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    ++count;
  }
  CHECK(count >= 3);
}

TEST_CASE("scenarios: dsim topo prints each row of Table 3 of Zhao et al. exactly", "[cli]") {
  // Table 3 (64-port 400G switches): endpoints, switches, switch-to-switch links, cost, cost per endpoint.
  const std::pair<const char*, const char*> rows[] = {
      {"ft2.json", "table row     FT2 | 2,048 | 96 | 2,048 | $9M | $4.39k"},
      {"mpft.json", "table row     MPFT | 16,384 | 768 | 16,384 | $72M | $4.39k"},
      {"ft3.json", "table row     FT3 | 65,536 | 5,120 | 131,072 | $491M | $7.5k"},
      {"slimfly.json", "table row     SF | 32,928 | 1,568 | 32,928 | $146M | $4.4k"},
      {"dragonfly.json", "table row     DF | 261,632 | 16,352 | 384,272 | $1,522M | $5.8k"},
  };
  for (const auto& [file, row] : rows) {
    INFO(file);
    const DsimOutput result = run_dsim({"topo", (scenarios / "topology" / file).string()});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find(row) != std::string::npos);
  }
}

TEST_CASE("scenarios: the Slim Fly row cannot be built, and validate says why", "[cli]") {
  // q = 28 is not a prime power: no MMS graph exists, so a run on it is impossible; topo prices it from formulas.
  const DsimOutput topo = run_dsim({"topo", (scenarios / "topology/slimfly.json").string()});
  CHECK(topo.out.find("not built") != std::string::npos);
  const DsimOutput validate = run_dsim({"validate", (scenarios / "topology/slimfly.json").string()});
  CHECK(validate.exit_code == 2);
  CHECK(validate.err.find("/cluster/fabric") != std::string::npos);
  CHECK(validate.err.find("prime power") != std::string::npos);
}

}  // namespace dsim::testing
