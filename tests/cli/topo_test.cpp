// SPDX-License-Identifier: Apache-2.0
// `dsim topo` end to end: the summary of the paper's 2,048-GPU clusters, JSON output and the Graphviz drawing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/cli/run_dsim.hpp"

namespace dsim::testing {
namespace {

const std::filesystem::path scenarios = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios";

}  // namespace

TEST_CASE("topo: the 2,048-GPU MPFT has 8 planes of 8 leaves and 4 spines", "[cli]") {
  // 256 nodes x 8 NICs = 2,048 endpoints; a plane holds 256 of them: 256 / 32 = 8 leaves, 8 x 32 uplinks / 64 = 4
  // spines; x 8 planes = 64 leaves + 32 spines = 96 switches and 2,048 switch links. Bisection: 1,024 endpoints at
  // 50 GB/s = 51,200 GB/s.
  const DsimOutput result = run_dsim({"topo", (scenarios / "cluster/h800-2048-mpft.json").string(), "--json"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto figures = nlohmann::json::parse(result.out);
  CHECK(figures["gpus"] == 2048);
  CHECK(figures["switches"] == 96);
  CHECK(figures["switches_per_layer"]["leaf"] == 64);
  CHECK(figures["switches_per_layer"]["spine"] == 32);
  CHECK(figures["switch_links"] == 2048);
  CHECK(figures["diameter_switch_hops"] == 2);
  CHECK(figures["bisection_GBps"] == Approx(51200));
}

TEST_CASE("topo: the 2,048-GPU MRFT has rail leaves under one shared spine layer", "[cli]") {
  // 8 rails x 8 leaves = 64 leaves; 64 x 32 uplinks / 64 = 32 shared spines; any two leaves are 2 hops apart.
  const DsimOutput result = run_dsim({"topo", (scenarios / "cluster/h800-2048-mrft.json").string(), "--json"});
  REQUIRE(result.exit_code == 0);
  const auto figures = nlohmann::json::parse(result.out);
  CHECK(figures["switches_per_layer"]["leaf"] == 64);
  CHECK(figures["switches_per_layer"]["spine"] == 32);
  CHECK(figures["diameter_switch_hops"] == 2);
}

TEST_CASE("topo: --dot draws a small cluster and refuses a large one", "[cli]") {
  const TempDir scratch;
  const auto dot = scratch.path() / "default.dot";
  const DsimOutput small =
      run_dsim({"topo", (scenarios / "default.json").string(), "--dot", dot.string()});
  REQUIRE(small.exit_code == 0);
  const std::string text = read_file(dot);
  CHECK(text.rfind("graph dsim {", 0) == 0);
  CHECK(text.find("\"nic0\" -- \"switch0\"") != std::string::npos);
  const auto refused = scratch.path() / "big.dot";
  const DsimOutput large =
      run_dsim({"topo", (scenarios / "cluster/h800-2048-mpft.json").string(), "--dot", refused.string()});
  CHECK(large.exit_code == 2);
  CHECK(large.err.find("--dot draws at most") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(refused));
}

}  // namespace dsim::testing
