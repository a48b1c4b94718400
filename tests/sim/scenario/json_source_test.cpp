// SPDX-License-Identifier: Apache-2.0
// Scenario files: strict parsing with positions, includes merged in order, and the origin of every value.
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "tests/sim/scenario/input_error_of.hpp"

#include "sim/core/errors.hpp"
#include "sim/scenario/json_source.hpp"

namespace {

using dsim::InputError;
using dsim::scenario::load_scenario_file;
using nlohmann::json;

const std::filesystem::path kData = std::filesystem::path(DSIM_SOURCE_DIR) / "tests/sim/scenario/data";

std::string data(const std::string& name) { return (kData / name).string(); }

using dsim::testing::input_error_of;

}  // namespace

TEST_CASE("includes: two levels merge objects key by key, later files win and arrays replace", "[scenario]") {
  // include_top includes parts/include_mid, which includes include_base then include_extra (paths relative to
  // parts/). Expected: nodes 4 from top over 2 from base; nic bandwidth 200 from mid over 400 from base; the rest of
  // base's cluster kept; mid's list [9] replacing base's [1, 2, 3]; name from top, last of base, extra and top.
  const auto scenario = load_scenario_file(data("include_top.json"));
  const json expected = json::parse(R"({
    "comment": "Top of a two-level include chain: overrides /cluster/nodes and /name over what it includes.",
    "name": "top",
    "cluster": {"nodes": 4, "gpus_per_node": 8, "nic": {"bandwidth_gbps": 200, "count": 8}},
    "list": [9],
    "workload": {"steps": 3}
  })");
  CHECK(scenario.doc == expected);
  CHECK_FALSE(scenario.doc.contains("include"));
}

TEST_CASE("includes: origins attribute every value to the file that gave it", "[scenario]") {
  const auto scenario = load_scenario_file(data("include_top.json"));
  const auto& origins = scenario.origins;
  CHECK(origins.source_of("/cluster/nodes") == data("include_top.json"));
  CHECK(origins.source_of("/name") == data("include_top.json"));
  CHECK(origins.source_of("/cluster/gpus_per_node") == data("parts/include_base.json"));
  CHECK(origins.source_of("/cluster/nic/count") == data("parts/include_base.json"));
  CHECK(origins.source_of("/cluster/nic/bandwidth_gbps") == data("parts/include_mid.json"));
  CHECK(origins.source_of("/list") == data("parts/include_mid.json"));
  CHECK(origins.source_of("/list/0") == data("parts/include_mid.json"));
  CHECK(origins.source_of("/workload/steps") == data("parts/include_extra.json"));
  // A key nobody wrote (an unknown key's error, a missing key) belongs to the deepest recorded prefix.
  CHECK(origins.source_of("/cluster/missing") == data("parts/include_base.json"));
  CHECK(origins.source_of("/nowhere") == data("include_top.json"));
  CHECK(origins.source_of("") == data("include_top.json"));
}

TEST_CASE("includes: display names stay relative when the path given is relative", "[scenario]") {
  std::filesystem::current_path(DSIM_SOURCE_DIR);  // where ctest runs the tests anyway
  const auto scenario = load_scenario_file("tests/sim/scenario/data/include_top.json");
  CHECK(scenario.origins.source_of("/cluster/nodes") == "tests/sim/scenario/data/include_top.json");
  CHECK(scenario.origins.source_of("/cluster/gpus_per_node") == "tests/sim/scenario/data/parts/include_base.json");
}

TEST_CASE("includes: one file included twice through two paths is no cycle", "[scenario]") {
  // include_diamond includes parts/include_mid (which includes include_base) and then include_base again: base
  // wins the second time, so nodes and the NIC bandwidth are base's.
  const auto scenario = load_scenario_file(data("include_diamond.json"));
  CHECK(scenario.doc["cluster"]["nodes"] == 2);
  CHECK(scenario.doc["cluster"]["nic"]["bandwidth_gbps"] == 400);
  CHECK(scenario.origins.source_of("/cluster/nic/bandwidth_gbps") == data("parts/include_base.json"));
}

TEST_CASE("includes: a missing include names the including file and the include entry", "[scenario]") {
  const InputError error = input_error_of([] { load_scenario_file(data("include_missing.json")); });
  CHECK(error.source() == data("include_missing.json"));
  CHECK(error.where() == "/include/1");
  CHECK(error.message() == "cannot read included file '" + data("no_such_file.json") + "': No such file or directory");
}

TEST_CASE("includes: a cycle is reported with the chain of files", "[scenario]") {
  const InputError error = input_error_of([] { load_scenario_file(data("cycle_a.json")); });
  CHECK(error.source() == data("cycle_b.json"));
  CHECK(error.where() == "/include/1");
  CHECK(error.message() ==
        "include cycle: " + data("cycle_a.json") + " -> " + data("cycle_b.json") + " -> " + data("cycle_a.json"));
}

TEST_CASE("includes: include must be a file name or an array of file names", "[scenario]") {
  const InputError whole = input_error_of([] { load_scenario_file(data("include_wrong_type.json")); });
  CHECK(whole.source() == data("include_wrong_type.json"));
  CHECK(whole.where() == "/include");
  CHECK(whole.message() == "expected a file name or an array of file names, got 3");

  const InputError element = input_error_of([] { load_scenario_file(data("include_element_wrong_type.json")); });
  CHECK(element.source() == data("include_element_wrong_type.json"));
  CHECK(element.where() == "/include/1");
  CHECK(element.message() == "expected a file name, got 7");
}

TEST_CASE("json source: a duplicate key is an error at its JSON pointer", "[scenario]") {
  const InputError error = input_error_of([] { load_scenario_file(data("duplicate_key.json")); });
  CHECK(error.source() == data("duplicate_key.json"));
  CHECK(error.where() == "/cluster/nics/0/gbps");
  CHECK(error.message() == "duplicate key 'gbps'; a key may appear once per object");
}

TEST_CASE("json source: an error in an included file names that file", "[scenario]") {
  const InputError error = input_error_of([] { load_scenario_file(data("include_duplicate.json")); });
  CHECK(error.source() == data("duplicate_key.json"));
  CHECK(error.where() == "/cluster/nics/0/gbps");
}

TEST_CASE("json source: malformed JSON gives the line and column and a short message", "[scenario]") {
  // Line 4 is `    "gpus_per_node": 8` after a line missing its comma; the parser stops at the end of the key
  // string, column 4 + 15 = 19.
  const InputError error = input_error_of([] { load_scenario_file(data("malformed.json")); });
  CHECK(error.source() == data("malformed.json"));
  CHECK(error.where() == "line 4, column 19");
  CHECK(error.message() == "syntax error while parsing object - unexpected string literal; expected '}'");
  CHECK(std::string(error.what()).find("json.exception") == std::string::npos);
}

TEST_CASE("json source: a number too large for a double is an error with its position", "[scenario]") {
  const InputError error = input_error_of([] { load_scenario_file(data("number_overflow.json")); });
  CHECK(error.where() == "line 2, column 21");
  CHECK(error.message() == "number overflow parsing '1e400'");
}

TEST_CASE("json source: an empty file is malformed at line 1, column 1", "[scenario]") {
  const InputError error = input_error_of([] { load_scenario_file(data("empty.json")); });
  CHECK(error.where() == "line 1, column 1");
  CHECK(error.message() ==
        "syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal");
}

TEST_CASE("json source: the top level must be an object", "[scenario]") {
  const InputError error = input_error_of([] { load_scenario_file(data("top_level_array.json")); });
  CHECK(error.source() == data("top_level_array.json"));
  CHECK(error.where().empty());
  CHECK(error.message() == "expected a JSON object at the top level, got an array");
}

TEST_CASE("json source: an unreadable file names the path as given and the system's reason", "[scenario]") {
  const InputError missing = input_error_of([] { load_scenario_file("no/such/scenario.json"); });
  CHECK(missing.source() == "no/such/scenario.json");
  CHECK(missing.where().empty());
  CHECK(missing.message() == "cannot read file: No such file or directory");
  CHECK(std::string(missing.what()) == "no/such/scenario.json: cannot read file: No such file or directory");

  const InputError folder = input_error_of([] { load_scenario_file(kData); });
  CHECK(folder.source() == kData.string());
  CHECK(folder.message() == "cannot read file: Is a directory");
}

TEST_CASE("json source: text in memory parses like a file but may not include", "[scenario]") {
  const auto scenario = dsim::scenario::parse_scenario_text(R"({"a": {"b": 1}})", "inline.json");
  CHECK(scenario.doc["a"]["b"] == 1);
  CHECK(scenario.origins.source_of("/a/b") == "inline.json");

  const InputError error =
      input_error_of([] { dsim::scenario::parse_scenario_text(R"({"include": "x.json"})", "inline.json"); });
  CHECK(error.source() == "inline.json");
  CHECK(error.where() == "/include");
  CHECK(error.message() == "includes are only allowed in scenario files, which give them a folder");

  const InputError duplicate =
      input_error_of([] { dsim::scenario::parse_scenario_text(R"({"a": 1, "a": 2})", "inline.json"); });
  CHECK(duplicate.where() == "/a");
}

TEST_CASE("origin map: the longest recorded prefix wins, component by component", "[scenario]") {
  dsim::scenario::OriginMap origins;
  origins.assign("", "root.json");
  origins.assign("/a", "a.json");
  origins.assign("/a/b", "b.json");
  CHECK(origins.source_of("/a/b/c") == "b.json");
  CHECK(origins.source_of("/a/bc") == "a.json");  // "/a/b" is no prefix of "/a/bc"
  CHECK(origins.source_of("/ab") == "root.json");
  origins.assign("/a", "--set");  // the whole subtree now comes from --set
  CHECK(origins.source_of("/a/b/c") == "--set");
  CHECK(origins.entries().size() == 2);
}

TEST_CASE("json pointer tokens escape '~' and '/' as RFC 6901 says", "[scenario]") {
  using namespace dsim::scenario;
  CHECK(escape_pointer_token("a/b~c") == "a~1b~0c");
  CHECK(unescape_pointer_token("a~1b~0c") == "a/b~c");
  CHECK_FALSE(unescape_pointer_token("a~2").has_value());
  CHECK_FALSE(unescape_pointer_token("a~").has_value());
  CHECK(append_pointer("/x", "k/1") == "/x/k~11");
  CHECK(split_pointer("/a//b") == std::vector<std::string_view>{"a", "", "b"});
  CHECK(split_pointer("").empty());
}
