// SPDX-License-Identifier: Apache-2.0
// The parameter table: fluent declarations, lookups, declaration checks and the help text.
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"
#include "sim/scenario/param_table.hpp"

namespace {

using dsim::scenario::ParamTable;
using dsim::scenario::ParamType;
using dsim::scenario::Presence;

}  // namespace

TEST_CASE("param table: a fluent declaration fills in the spec", "[scenario]") {
  ParamTable table;
  table.object("/cluster", "The hardware.");
  table.integer("/cluster/nodes", "Number of nodes.").unit("nodes").defaults(2).at_least(1);
  table.object("/cluster/nic", "NICs.");
  table.number("/cluster/nic/bandwidth_gbps", "Port speed.").unit("Gb/s").defaults(400.0).positive();
  table.number("/cluster/nic/efficiency", "Fraction achieved.").defaults(0.8).in_range(0, 1);
  table.choice("/cluster/kind", {"single_switch", "fat_tree"}, "Fabric.").defaults("single_switch");
  table.array("/ranks", ParamType::object, "Ranks.").required();
  table.integer("/ranks/*/rank", "Rank.").at_most(7);

  const auto* nodes = table.find("/cluster/nodes");
  REQUIRE(nodes != nullptr);
  CHECK(nodes->type == ParamType::integer);
  CHECK(nodes->unit == "nodes");
  CHECK(nodes->presence == Presence::defaulted);
  CHECK(nodes->default_value == 2);
  CHECK(nodes->min == 1.0);
  CHECK_FALSE(nodes->min_exclusive);
  CHECK_FALSE(nodes->max.has_value());

  const auto* bandwidth = table.find("/cluster/nic/bandwidth_gbps");
  CHECK(bandwidth->min == 0.0);
  CHECK(bandwidth->min_exclusive);
  CHECK(table.find("/cluster/nic/efficiency")->max == 1.0);
  CHECK(table.find("/cluster")->presence == Presence::defaulted);
  CHECK(table.find("/cluster")->default_value == nlohmann::json::object());
  CHECK(table.find("/ranks")->presence == Presence::required);
  CHECK(table.find("/ranks")->element_type == ParamType::object);
  CHECK(table.find("/ranks/*/rank")->presence == Presence::required);
  CHECK(table.find("/cluster/kind")->choices == std::vector<std::string>{"single_switch", "fat_tree"});
  CHECK(table.find("/cluster/nodez") == nullptr);

  CHECK(table.child_keys("/cluster") == std::vector<std::string>{"nodes", "nic", "kind"});
  CHECK(table.child_keys("") == std::vector<std::string>{"cluster", "ranks"});
  CHECK(table.child_keys("/ranks/*") == std::vector<std::string>{"rank"});
  CHECK(table.child_keys("/cluster/nodes").empty());
}

TEST_CASE("param table: a range reads as messages and help print it", "[scenario]") {
  ParamTable table;
  table.number("/a", "").positive();
  table.number("/b", "").at_least(0);
  table.number("/c", "").in_range(0, 1);
  table.number("/d", "").greater_than(0).at_most(1);
  table.number("/e", "").at_most(1e9);
  table.number("/f", "");
  CHECK(describe_range(*table.find("/a")) == "> 0");
  CHECK(describe_range(*table.find("/b")) == ">= 0");
  CHECK(describe_range(*table.find("/c")) == "in [0, 1]");
  CHECK(describe_range(*table.find("/d")) == "in (0, 1]");
  CHECK(describe_range(*table.find("/e")) == "<= 1000000000");
  CHECK(describe_range(*table.find("/f")).empty());
}

TEST_CASE("param table: pattern_of turns array indices into '*'", "[scenario]") {
  CHECK(ParamTable::pattern_of("/workload/trace/ranks/3/ops/12/size_bytes") ==
        "/workload/trace/ranks/*/ops/*/size_bytes");
  CHECK(ParamTable::pattern_of("/cluster/nodes") == "/cluster/nodes");
  CHECK(ParamTable::pattern_of("").empty());
}

TEST_CASE("param table: declaring a pattern twice is a dsim bug", "[scenario]") {
  ParamTable table;
  table.integer("/seed", "Seed.");
  CHECK_THROWS_WITH(table.integer("/seed", "Again."), Catch::Contains("parameter /seed is declared twice"));
}

TEST_CASE("param table: a child of an undeclared or non-object parent is a dsim bug", "[scenario]") {
  ParamTable table;
  table.integer("/seed", "Seed.");
  table.array("/names", ParamType::string, "Names.");
  CHECK_THROWS_AS(table.integer("/cluster/nodes", "Nodes."), dsim::InternalError);
  CHECK_THROWS_WITH(table.integer("/cluster/nodes", "Nodes."),
                    Catch::Contains("/cluster/nodes: its parent /cluster is not a declared object"));
  CHECK_THROWS_AS(table.integer("/seed/x", "Inside a scalar."), dsim::InternalError);
  CHECK_THROWS_AS(table.integer("/names/*/x", "Inside strings."), dsim::InternalError);
  CHECK_THROWS_AS(table.integer("/names/*", "An element."), dsim::InternalError);
  CHECK_THROWS_AS(table.integer("/2", "All digits."), dsim::InternalError);
  CHECK_THROWS_AS(table.string("/s", "Text.").positive(), dsim::InternalError);
}

TEST_CASE("param table: help lists every key with its type, unit, default and range", "[scenario]") {
  ParamTable table;
  table.string("/name", "Name of the scenario, used in reports.").optional();
  table.object("/cluster", "The hardware: nodes of GPUs joined by a fabric.");
  table.integer("/cluster/nodes", "Number of nodes.").unit("nodes").defaults(2).at_least(1);
  table.object("/cluster/nic", "Scale-out NICs.");
  table.number("/cluster/nic/bandwidth_gbps", "NIC port speed per direction.").unit("Gb/s").defaults(400.0).positive();
  table.choice("/cluster/kind", {"single_switch", "fat_tree"}, "The fabric.").defaults("single_switch");
  table.object("/workload", "What runs.").required();
  table.array("/workload/ranks", ParamType::object, "Ranks with ops.").required();
  table.integer("/workload/ranks/*/size_bytes", "Bytes moved.").unit("bytes").optional().at_least(0);

  std::ostringstream out;
  table.write_help(out);
  const std::string help = out.str();
  INFO(help);
  for (const auto& spec : table.specs()) CHECK(help.find(spec.pattern) != std::string::npos);
  for (const char* text : {"nodes", "Gb/s", "bytes", "default 2", "default 400.0", "default \"single_switch\"",
                           "required", "optional", "Range: >= 1.", "Range: > 0.", "One of: single_switch, fat_tree.",
                           "array of objects", "Number of nodes.", "\ntop level\n", "\ncluster\n", "\nworkload\n"}) {
    CHECK(help.find(text) != std::string::npos);
  }
  // Every line fits a 100-column terminal, and columns line up: the type of each key starts at one column.
  std::istringstream lines(help);
  std::string line;
  std::size_t type_column = std::string::npos;
  while (std::getline(lines, line)) {
    CHECK(line.size() <= 100);
    if (line.rfind("  /", 0) != 0) continue;
    const std::size_t column = line.find_first_not_of(' ', line.find(' ', 2));
    if (type_column == std::string::npos) type_column = column;
    CHECK(column == type_column);
  }
  // Declaration order within a section.
  CHECK(help.find("/cluster/nodes") < help.find("/cluster/nic/bandwidth_gbps"));
  CHECK(help.find("/cluster/nic/bandwidth_gbps") < help.find("/cluster/kind"));
}
