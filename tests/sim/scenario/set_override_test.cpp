// SPDX-License-Identifier: Apache-2.0
// --set /json/pointer=VALUE: values parsed as JSON or taken as strings, objects created, errors that say the fix.
#include <string>

#include <catch2/catch.hpp>

#include "tests/sim/scenario/input_error_of.hpp"

#include "sim/core/errors.hpp"
#include "sim/scenario/set_override.hpp"

namespace {

using dsim::InputError;
using dsim::scenario::apply_set_override;
using dsim::scenario::parse_scenario_text;
using dsim::scenario::SourcedJson;
using nlohmann::json;

SourcedJson sample() {
  return parse_scenario_text(R"({"name": "x", "cluster": {"nodes": 2, "nics": [{"gbps": 400}, {"gbps": 400}]},
                                 "odd": {"a/b": 1, "t~": 2}})",
                             "scenario.json");
}

using dsim::testing::input_error_of;

InputError set_error(const std::string& assignment) {
  SourcedJson scenario = sample();
  return input_error_of([&] { apply_set_override(scenario, assignment); });
}

}  // namespace

TEST_CASE("set override: a JSON value keeps its type", "[scenario]") {
  SourcedJson scenario = sample();
  apply_set_override(scenario, "/cluster/nodes=4");
  CHECK(scenario.doc["cluster"]["nodes"] == 4);
  CHECK(scenario.doc["cluster"]["nodes"].is_number_integer());
  apply_set_override(scenario, "/x=[1,2]");
  CHECK(scenario.doc["x"] == json::array({1, 2}));
  apply_set_override(scenario, "/flag=true");
  CHECK(scenario.doc["flag"] == true);
  apply_set_override(scenario, "/quoted=\"4\"");
  CHECK(scenario.doc["quoted"] == "4");
}

TEST_CASE("set override: a value that is not JSON is taken as a plain string", "[scenario]") {
  SourcedJson scenario = sample();
  apply_set_override(scenario, "/name=foo");
  CHECK(scenario.doc["name"] == "foo");
  apply_set_override(scenario, "/name=a=b");  // only the first '=' splits
  CHECK(scenario.doc["name"] == "a=b");
  apply_set_override(scenario, "/name=");
  CHECK(scenario.doc["name"] == "");
}

TEST_CASE("set override: missing intermediate objects are created and belong to --set", "[scenario]") {
  SourcedJson scenario = sample();
  apply_set_override(scenario, "/models/network/kind=simple");
  CHECK(scenario.doc["models"] == json::parse(R"({"network": {"kind": "simple"}})"));
  CHECK(scenario.origins.source_of("/models") == "--set");
  CHECK(scenario.origins.source_of("/models/network/kind") == "--set");
  CHECK(scenario.origins.source_of("/cluster/nodes") == "scenario.json");
}

TEST_CASE("set override: an existing array element can be replaced, and only it becomes --set's", "[scenario]") {
  SourcedJson scenario = sample();
  apply_set_override(scenario, "/cluster/nics/1/gbps=200");
  CHECK(scenario.doc["cluster"]["nics"][1]["gbps"] == 200);
  CHECK(scenario.doc["cluster"]["nics"][0]["gbps"] == 400);
  CHECK(scenario.origins.source_of("/cluster/nics/1/gbps") == "--set");
  CHECK(scenario.origins.source_of("/cluster/nics/0/gbps") == "scenario.json");
  apply_set_override(scenario, "/cluster/nics/0={\"gbps\": 800}");
  CHECK(scenario.origins.source_of("/cluster/nics/0/gbps") == "--set");
}

TEST_CASE("set override: replacing an object makes its whole subtree --set's", "[scenario]") {
  SourcedJson scenario = sample();
  apply_set_override(scenario, "/cluster/nics/1/gbps=200");
  apply_set_override(scenario, "/cluster={\"nodes\": 8}");
  CHECK(scenario.doc["cluster"] == json::parse(R"({"nodes": 8})"));
  CHECK(scenario.origins.source_of("/cluster/nics/1/gbps") == "--set");
  CHECK(scenario.origins.entries().count("/cluster/nics/1/gbps") == 0);
}

TEST_CASE("set override: ~1 and ~0 in the pointer stand for '/' and '~'", "[scenario]") {
  SourcedJson scenario = sample();
  apply_set_override(scenario, "/odd/a~1b=5");
  apply_set_override(scenario, "/odd/t~0=6");
  CHECK(scenario.doc["odd"]["a/b"] == 5);
  CHECK(scenario.doc["odd"]["t~"] == 6);
}

TEST_CASE("set override: an assignment without '=' says how to write one", "[scenario]") {
  const InputError error = set_error("/cluster/nodes");
  CHECK(error.source() == "--set");
  CHECK(error.where() == "/cluster/nodes");
  CHECK(error.message() == "expected /json/pointer=value, as in --set /cluster/nodes=4");
}

TEST_CASE("set override: the pointer must start with '/'", "[scenario]") {
  const InputError error = set_error("cluster/nodes=4");
  CHECK(error.source() == "--set");
  CHECK(error.where() == "cluster/nodes");
  CHECK(error.message() == "a JSON pointer starts with '/', as in --set /cluster/nodes=4");
}

TEST_CASE("set override: a bad '~' escape is an error", "[scenario]") {
  const InputError error = set_error("/odd/a~2=1");
  CHECK(error.where() == "/odd/a~2");
  CHECK(error.message() == "bad escape in 'a~2': write ~0 for '~' and ~1 for '/' in a key");
}

TEST_CASE("set override: an array index must exist", "[scenario]") {
  const InputError past = set_error("/cluster/nics/2/gbps=1");
  CHECK(past.source() == "--set");
  CHECK(past.where() == "/cluster/nics/2/gbps");
  CHECK(past.message() ==
        "index 2 is past the end of /cluster/nics, which has 2 elements; --set can only replace existing elements "
        "(set the whole array instead)");

  const InputError not_index = set_error("/cluster/nics/first/gbps=1");
  CHECK(not_index.where() == "/cluster/nics/first/gbps");
  CHECK(not_index.message() ==
        "'first' is not an array index; /cluster/nics is an array, so write a number from 0 to 1");

  CHECK(set_error("/cluster/nics/01=1").message().starts_with("'01' is not an array index"));
}

TEST_CASE("set override: walking into a scalar is an error", "[scenario]") {
  const InputError error = set_error("/cluster/nodes/count=3");
  CHECK(error.source() == "--set");
  CHECK(error.where() == "/cluster/nodes/count");
  CHECK(error.message() ==
        "/cluster/nodes holds 2, not an object or array, so it has no 'count'; set /cluster/nodes itself instead");
}

TEST_CASE("set override: a JSON value that repeats a key is an error, not a string", "[scenario]") {
  const InputError error = set_error("/cluster={\"nodes\": 1, \"nodes\": 2}");
  CHECK(error.where() == "/cluster");
  CHECK(error.message() ==
        "the value repeats a key at /nodes: duplicate key 'nodes'; a key may appear once per object");
}
