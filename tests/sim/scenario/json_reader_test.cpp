// SPDX-License-Identifier: Apache-2.0
// The table-guided reader: defaults in the resolved scenario, type and range errors, unknown keys, and the checks
// that keep the table and the reading code in agreement.
#include <string>

#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"
#include "sim/scenario/json_reader.hpp"

namespace {

using dsim::InputError;
using dsim::InternalError;
using dsim::scenario::ObjectReader;
using dsim::scenario::ParamTable;
using dsim::scenario::ParamType;
using dsim::scenario::parse_scenario_text;
using dsim::scenario::ReadContext;
using dsim::scenario::SourcedJson;
using nlohmann::json;

ParamTable sample_table() {
  ParamTable t;
  t.string("/name", "Name.").optional();
  t.integer("/seed", "Seed.").defaults(1).at_least(0);
  t.object("/cluster", "Hardware.");
  t.integer("/cluster/nodes", "Nodes.").unit("nodes").defaults(2).at_least(1);
  t.object("/cluster/nic", "NICs.");
  t.number("/cluster/nic/bandwidth_gbps", "Port speed.").unit("Gb/s").defaults(400.0).positive();
  t.number("/cluster/nic/efficiency", "Achieved fraction.").defaults(0.8).in_range(0, 1);
  t.number("/cluster/nic/latency_us", "Latency.").unit("us").defaults(2.0).at_least(0);
  t.choice("/cluster/kind", {"single_switch", "fat_tree", "dragonfly"}, "Fabric.").defaults("single_switch");
  t.boolean("/cluster/pxn", "Forward through a peer's NIC.").defaults(false);
  t.object("/workload", "Work.").required();
  t.array("/workload/ranks", ParamType::object, "Ranks.").required();
  t.integer("/workload/ranks/*/rank", "Rank.").at_least(0);
  t.array("/workload/ranks/*/deps", ParamType::string, "Dependencies.");
  t.integer("/workload/ranks/*/size_bytes", "Bytes.").unit("bytes").optional().at_least(0);
  t.array("/workload/sizes", ParamType::integer, "Sizes.").at_least(1);
  t.array("/workload/weights", ParamType::number, "Weights.").optional();
  return t;
}

// Reads every declared key, as the loader would, and returns the resolved scenario.
json read_all(const SourcedJson& scenario) {
  const ParamTable table = sample_table();
  ReadContext context(table, scenario);
  ObjectReader root = context.root();
  root.optional_string("name");
  root.integer("seed");
  ObjectReader cluster = root.object("cluster");
  cluster.integer("nodes");
  ObjectReader nic = cluster.object("nic");
  nic.number("bandwidth_gbps");
  nic.number("efficiency");
  nic.number("latency_us");
  nic.finish();
  cluster.choice("kind");
  cluster.boolean("pxn");
  cluster.finish();
  ObjectReader workload = root.object("workload");
  for (ObjectReader rank : workload.objects("ranks")) {
    rank.integer("rank");
    rank.strings("deps");
    rank.optional_integer("size_bytes");
    rank.finish();
  }
  workload.integers("sizes");
  workload.numbers("weights");
  workload.finish();
  root.finish();
  context.check_all_finished();
  return context.resolved();
}

json read_text(const std::string& text) { return read_all(parse_scenario_text(text, "test.json")); }

InputError read_error(const std::string& text) {
  try {
    read_text(text);
  } catch (const InputError& error) {
    return error;
  }
  FAIL("expected an InputError reading " << text);
  throw std::logic_error("unreachable");
}

// The error for one bad value placed into an otherwise valid scenario.
void check_error(const std::string& text, const std::string& where, const std::string& message) {
  INFO(text);
  const InputError error = read_error(text);
  CHECK(error.source() == "test.json");
  CHECK(error.where() == where);
  CHECK(error.message() == message);
}

const std::string kRanks = R"("ranks": [{"rank": 0}])";

}  // namespace

TEST_CASE("reader: absent keys take their defaults, and the resolved scenario shows them", "[scenario]") {
  const json resolved = read_text(R"({"workload": {"ranks": [{"rank": 0}]}})");
  const json expected = json::parse(R"({
    "seed": 1,
    "cluster": {"nodes": 2, "nic": {"bandwidth_gbps": 400.0, "efficiency": 0.8, "latency_us": 2.0},
                "kind": "single_switch", "pxn": false},
    "workload": {"ranks": [{"rank": 0, "deps": []}], "sizes": []}
  })");
  CHECK(resolved == expected);  // optional keys left out stay out: no name, no size_bytes, no weights
}

TEST_CASE("reader: values come back with their types", "[scenario]") {
  const ParamTable table = sample_table();
  const SourcedJson scenario = parse_scenario_text(
      R"({"name": "n", "cluster": {"nodes": 4, "kind": "fat_tree", "pxn": true},
          "workload": {"ranks": [{"rank": 3, "deps": ["a", "b"], "size_bytes": 1e9}], "sizes": [1, 2],
                       "weights": [0.5, 1]}})",
      "test.json");
  ReadContext context(table, scenario);
  ObjectReader root = context.root();
  CHECK(root.optional_string("name") == "n");
  CHECK(root.integer("seed") == 1);
  ObjectReader cluster = root.object("cluster");
  CHECK(cluster.integer("nodes") == 4);
  CHECK(cluster.string("kind") == "fat_tree");  // a string accessor reads a choice, checking its values
  CHECK(cluster.boolean("pxn"));
  CHECK(cluster.has("nodes"));
  CHECK_FALSE(cluster.has("nic"));  // defaults do not count as present
  ObjectReader nic = cluster.object("nic");
  CHECK(nic.pointer() == "/cluster/nic");
  CHECK(nic.number("bandwidth_gbps") == 400.0);
  CHECK(nic.number("efficiency") == 0.8);
  CHECK(nic.number("latency_us") == 2.0);
  nic.finish();
  cluster.finish();
  ObjectReader workload = root.object("workload");
  std::vector<ObjectReader> ranks = workload.objects("ranks");
  REQUIRE(ranks.size() == 1);
  CHECK(ranks[0].pointer() == "/workload/ranks/0");
  CHECK(ranks[0].pointer_of("size_bytes") == "/workload/ranks/0/size_bytes");
  CHECK(ranks[0].integer("rank") == 3);
  CHECK(ranks[0].strings("deps") == std::vector<std::string>{"a", "b"});
  CHECK(ranks[0].optional_integer("size_bytes") == 1000000000);  // an integral float is an integer
  ranks[0].finish();
  CHECK(workload.integers("sizes") == std::vector<std::int64_t>{1, 2});
  CHECK(workload.numbers("weights") == std::vector<double>{0.5, 1.0});
  workload.finish();
  root.finish();
  context.check_all_finished();
  CHECK(context.resolved()["workload"]["ranks"][0]["size_bytes"].is_number_integer());
  CHECK(context.resolved()["workload"]["ranks"][0]["size_bytes"] == 1000000000);
}

TEST_CASE("reader: an absent optional key reads as nothing", "[scenario]") {
  const ParamTable table = sample_table();
  const SourcedJson scenario = parse_scenario_text(R"({"workload": {"ranks": [{"rank": 0}]}})", "test.json");
  ReadContext context(table, scenario);
  ObjectReader root = context.root();
  CHECK_FALSE(root.optional_string("name").has_value());
  ObjectReader rank = root.object("workload").objects("ranks").at(0);
  CHECK_FALSE(rank.optional_integer("size_bytes").has_value());
  CHECK(root.object("workload").numbers("weights").empty());
}

TEST_CASE("reader: integers accept integral floats and reject fractions and 64-bit overflow", "[scenario]") {
  const json resolved = read_text(R"({"cluster": {"nodes": 1e3}, "workload": {)" + kRanks + "}}");
  CHECK(resolved["cluster"]["nodes"] == 1000);
  CHECK(resolved["cluster"]["nodes"].is_number_integer());
  CHECK(read_text(R"({"seed": -0.0, "workload": {)" + kRanks + "}}")["seed"] == 0);

  check_error(R"({"cluster": {"nodes": 2.5}})", "/cluster/nodes", "expected an integer, got 2.5");
  check_error(R"({"cluster": {"nodes": 1e30}})", "/cluster/nodes",
              "expected an integer that fits in 64 bits, got 1e+30");
  check_error(R"({"cluster": {"nodes": 9223372036854775808}})", "/cluster/nodes",
              "expected an integer that fits in 64 bits, got 9223372036854775808");
  check_error(R"({"cluster": {"nodes": 9.3e18}})", "/cluster/nodes",
              "expected an integer that fits in 64 bits, got 9.3e+18");
  check_error(R"({"seed": -9223372036854775808, "workload": {"ranks": [{"rank": 0}]}})", "/seed",
              "expected an integer >= 0, got -9223372036854775808");
}

TEST_CASE("reader: numbers out of range name the range", "[scenario]") {
  check_error(R"({"cluster": {"nic": {"bandwidth_gbps": -400}}})", "/cluster/nic/bandwidth_gbps",
              "expected a positive number, got -400");
  check_error(R"({"cluster": {"nic": {"bandwidth_gbps": 0}}})", "/cluster/nic/bandwidth_gbps",
              "expected a positive number, got 0");
  check_error(R"({"cluster": {"nic": {"latency_us": -1}}})", "/cluster/nic/latency_us",
              "expected a number >= 0, got -1");
  check_error(R"({"cluster": {"nic": {"efficiency": 1.5}}})", "/cluster/nic/efficiency",
              "expected a number in [0, 1], got 1.5");
  check_error(R"({"cluster": {"nodes": 0}})", "/cluster/nodes", "expected an integer >= 1, got 0");
  check_error(R"({"workload": {"ranks": [], "sizes": [1, 0]}})", "/workload/sizes/1",
              "expected an integer >= 1, got 0");
}

TEST_CASE("reader: a value of the wrong JSON type says what was expected and what came", "[scenario]") {
  check_error(R"({"name": 3})", "/name", "expected a string, got 3");
  check_error(R"({"cluster": {"nodes": "4"}})", "/cluster/nodes", "expected an integer, got \"4\"");
  check_error(R"({"cluster": {"nic": {"latency_us": null}}})", "/cluster/nic/latency_us",
              "expected a number, got null");
  check_error(R"({"cluster": {"pxn": 1}})", "/cluster/pxn", "expected true or false, got 1");
  check_error(R"({"cluster": 3})", "/cluster", "expected an object, got 3");
  check_error(R"({"cluster": [1]})", "/cluster", "expected an object, got an array");
  check_error(R"({"workload": {"ranks": {}}})", "/workload/ranks", "expected an array, got an object");
  check_error(R"({"workload": {"ranks": [{"rank": 0}, 3]}})", "/workload/ranks/1", "expected an object, got 3");
  check_error(R"({"workload": {"ranks": [{"rank": 0, "deps": ["a", 1]}]}})", "/workload/ranks/0/deps/1",
              "expected a string, got 1");
  check_error(R"({"cluster": {"kind": 3}})", "/cluster/kind",
              "expected a string (one of: single_switch, fat_tree, dragonfly), got 3");
}

TEST_CASE("reader: a missing required key is named at its own pointer", "[scenario]") {
  check_error(R"({})", "/workload", "missing required key 'workload'");
  check_error(R"({"workload": {}})", "/workload/ranks", "missing required key 'ranks'");
  check_error(R"({"workload": {"ranks": [{"rank": 0}, {"deps": []}]}})", "/workload/ranks/1/rank",
              "missing required key 'rank'");
}

TEST_CASE("reader: an unknown choice lists the valid ones or suggests the near one", "[scenario]") {
  check_error(R"({"cluster": {"kind": "mesh"}})", "/cluster/kind",
              "unknown value 'mesh'; valid choices: single_switch, fat_tree, dragonfly");
  check_error(R"({"cluster": {"kind": "fat_tre"}})", "/cluster/kind",
              "unknown value 'fat_tre'; did you mean 'fat_tree'?");
}

TEST_CASE("reader: an unknown key suggests the near one, or lists the valid keys", "[scenario]") {
  check_error(R"({"cluster": {"node": 4}, "workload": {)" + kRanks + "}}", "/cluster/node",
              "unknown key 'node'; did you mean 'nodes'?");
  check_error(R"({"cluster": {"nic": {"bandwidth_gbs": 4}}, "workload": {)" + kRanks + "}}",
              "/cluster/nic/bandwidth_gbs", "unknown key 'bandwidth_gbs'; did you mean 'bandwidth_gbps'?");
  check_error(R"({"cluster": {"zzz": 4}, "workload": {)" + kRanks + "}}", "/cluster/zzz",
              "unknown key 'zzz'; valid keys here: nodes, nic, kind, pxn");
  check_error(R"({"workload": {"ranks": [{"rank": 0, "colour": 1}]}})", "/workload/ranks/0/colour",
              "unknown key 'colour'; valid keys here: rank, deps, size_bytes");
  check_error(R"({"coment": "x", "workload": {)" + kRanks + "}}", "/coment",
              "unknown key 'coment'; did you mean 'comment'?");
}

TEST_CASE("reader: a comment is allowed in every object and kept in the resolved scenario", "[scenario]") {
  const json resolved = read_text(R"({"comment": "top", "cluster": {"comment": "hw", "nic": {"comment": "x"}},
                                      "workload": {"ranks": [{"rank": 0, "comment": "r"}]}})");
  CHECK(resolved["comment"] == "top");
  CHECK(resolved["cluster"]["comment"] == "hw");
  CHECK(resolved["cluster"]["nic"]["comment"] == "x");
  CHECK(resolved["workload"]["ranks"][0]["comment"] == "r");
  check_error(R"({"comment": 3, "workload": {)" + kRanks + "}}", "/comment", "expected a string, got 3");
}

TEST_CASE("reader: errors name the file or --set that gave the value", "[scenario]") {
  SourcedJson scenario = parse_scenario_text(
      R"({"cluster": {"zzz": 1, "nic": {"efficiency": 2}}, "workload": {"ranks": [{"rank": 0}]}})", "top.json");
  scenario.origins.assign("/cluster", "base.json");
  scenario.origins.assign("/cluster/nic/efficiency", "--set");
  const auto error_of = [&] {
    try {
      read_all(scenario);
    } catch (const InputError& error) {
      return error;
    }
    FAIL("expected an InputError");
    throw std::logic_error("unreachable");
  };
  const InputError efficiency = error_of();
  CHECK(efficiency.source() == "--set");
  CHECK(efficiency.where() == "/cluster/nic/efficiency");
  CHECK(std::string(efficiency.what()) == "--set: /cluster/nic/efficiency: expected a number in [0, 1], got 2");

  scenario.doc["cluster"]["nic"]["efficiency"] = 0.5;
  const InputError unknown = error_of();
  CHECK(unknown.source() == "base.json");
  CHECK(unknown.where() == "/cluster/zzz");

  const ParamTable table = sample_table();
  ReadContext context(table, scenario);
  ObjectReader root = context.root();
  CHECK(root.object("cluster").error("nodes", "too many").source() == "base.json");
  CHECK(root.object("cluster").error("nodes", "too many").where() == "/cluster/nodes");
  CHECK(root.error_here("bad layout").source() == "top.json");
  CHECK(context.error_at("/workload/ranks/0", "no").where() == "/workload/ranks/0");
}

TEST_CASE("reader: reading a key the table does not declare is a dsim bug", "[scenario]") {
  const ParamTable table = sample_table();
  const SourcedJson scenario = parse_scenario_text(R"({"seed": 2})", "test.json");
  ReadContext context(table, scenario);
  ObjectReader root = context.root();
  CHECK_THROWS_WITH(root.integer("seeed"),
                    Catch::Contains("reading /seeed, which the parameter table does not declare"));
  CHECK_THROWS_AS(root.number("seed"), InternalError);  // declared as an integer
  CHECK_THROWS_AS(root.choice("name"), InternalError);  // a string has no choices
  CHECK_THROWS_AS(root.has("nothing"), InternalError);
}

TEST_CASE("reader: a declared key the code never read is a dsim bug at finish()", "[scenario]") {
  const ParamTable table = sample_table();
  const SourcedJson scenario = parse_scenario_text(R"({"cluster": {"nodes": 3}})", "test.json");
  ReadContext context(table, scenario);
  ObjectReader cluster = context.root().object("cluster");
  cluster.integer("nodes");
  ObjectReader nic = cluster.object("nic");
  nic.number("bandwidth_gbps");
  nic.number("efficiency");
  nic.number("latency_us");
  nic.finish();
  cluster.choice("kind");
  CHECK_THROWS_WITH(cluster.finish(), Catch::Contains("never read the declared parameter 'pxn'"));
  CHECK(cluster.has("pxn") == false);  // asking counts as dealing with the key
  cluster.finish();
  CHECK_THROWS_AS(cluster.finish(), InternalError);  // twice
}

TEST_CASE("reader: an object reader left unfinished is a dsim bug", "[scenario]") {
  const ParamTable table = sample_table();
  const SourcedJson scenario = parse_scenario_text(R"({})", "test.json");
  ReadContext context(table, scenario);
  ObjectReader root = context.root();
  CHECK_THROWS_WITH(context.check_all_finished(),
                    Catch::Contains("the reader of the root object never called finish()"));
  ObjectReader cluster = root.object("cluster");
  cluster.integer("nodes");
  cluster.has("nic");
  cluster.has("kind");
  cluster.has("pxn");
  cluster.finish();
  root.has("name");
  root.has("seed");
  root.has("workload");
  root.finish();
  CHECK_NOTHROW(context.check_all_finished());
  ObjectReader again = context.root();
  again.object("cluster");
  for (const char* key : {"name", "seed", "workload"}) again.has(key);
  again.finish();
  CHECK_THROWS_WITH(context.check_all_finished(),
                    Catch::Contains("the reader of the object at /cluster never called finish()"));
}

TEST_CASE("reader: a table default that breaks its own range is a dsim bug", "[scenario]") {
  ParamTable table;
  table.integer("/nodes", "Nodes.").defaults(0).at_least(1);
  const SourcedJson scenario = parse_scenario_text(R"({})", "test.json");
  CHECK_THROWS_WITH(
      ReadContext(table, scenario),
      Catch::Contains("the default of /nodes does not fit its declaration: expected an integer >= 1, got 0"));
}
