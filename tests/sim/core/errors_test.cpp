// SPDX-License-Identifier: Apache-2.0
// Tests of the two error channels: InputError's one-line "source: where: message" and DSIM_CHECK's InternalError.
#include <stdexcept>
#include <string>
#include <type_traits>

#include <catch2/catch.hpp>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"

namespace dsim {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("errors: an InputError reads 'file: /path: message'", "[core]") {
  // The three parts are joined by ": " in the order source, where, message.
  const InputError error("scenario.json", "/cluster/nodes/0", "unknown key 'nic_gbs'; did you mean 'nic_gbps'?");
  CHECK(std::string(error.what()) ==
        "scenario.json: /cluster/nodes/0: unknown key 'nic_gbs'; did you mean 'nic_gbps'?");
  // The parts stay available on their own, unchanged.
  CHECK(error.source() == "scenario.json");
  CHECK(error.where() == "/cluster/nodes/0");
  CHECK(error.message() == "unknown key 'nic_gbs'; did you mean 'nic_gbps'?");
}

TEST_CASE("errors: empty parts of an InputError are left out with their separator", "[core]") {
  // No where: "source: message"; no source: "where: message"; neither: the message alone.
  CHECK(std::string(InputError("run.json", "", "file is empty").what()) == "run.json: file is empty");
  CHECK(std::string(InputError("", "/seed", "must be an integer").what()) == "/seed: must be an integer");
  CHECK(std::string(InputError("", "", "no scenario given").what()) == "no scenario given");
  // A line position works as the "where" part just as a JSON pointer does.
  CHECK(std::string(InputError("trace.csv", "line 3, column 7", "bad number").what()) ==
        "trace.csv: line 3, column 7: bad number");
}

TEST_CASE("errors: newlines in an InputError fold into spaces so the message stays on one line", "[core]") {
  // Each '\n' and each '\r' becomes one space, in every part: "a\r\nb" -> "a  b" (two spaces).
  const InputError error("in\nput.json", "/a", "first line\nsecond line\r\nthird");
  CHECK(std::string(error.what()) == "in put.json: /a: first line second line  third");
  // The stored message keeps its newlines; only the one-line what() folds them.
  CHECK(error.message() == "first line\nsecond line\r\nthird");
}

TEST_CASE("errors: the channels are distinct types, so a handler for bad input never swallows a bug", "[core]") {
  // InputError is a runtime_error (exit 2), InternalError a logic_error (exit 1); neither derives from the other.
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, InputError>);
  STATIC_REQUIRE(std::is_base_of_v<std::logic_error, InternalError>);
  STATIC_REQUIRE_FALSE(std::is_base_of_v<InputError, InternalError>);
  STATIC_REQUIRE_FALSE(std::is_base_of_v<std::runtime_error, InternalError>);
  CHECK_THROWS_AS(throw InputError("f", "/p", "m"), InputError);
}

TEST_CASE("errors: a failing DSIM_CHECK throws InternalError carrying the formatted text and the condition", "[core]") {
  // DSIM_CHECK(cond, fmt, args...) formats its message only on failure: "sum is {}" with 2 -> "sum is 2", then
  // appends "(<file>:<line>: check '<cond>' failed)".
  const int sum = 1 + 1;
  CHECK_THROWS_AS([&] { DSIM_CHECK(sum == 3, "sum is {}", sum); }(), InternalError);
  try {
    DSIM_CHECK(sum == 3, "sum is {} not {}", sum, 3);
    FAIL("DSIM_CHECK did not throw");
  } catch (const InternalError& error) {
    const std::string what = error.what();
    CHECK_THAT(what, Catch::Matchers::StartsWith("sum is 2 not 3 ("));
    CHECK_THAT(what, Contains("errors_test.cpp:"));
    CHECK_THAT(what, Contains("check 'sum == 3' failed)"));
  }
}

TEST_CASE("errors: a passing DSIM_CHECK neither throws nor evaluates its message arguments", "[core]") {
  // The message arguments sit inside the failure branch, so a passing check costs one comparison: a counter
  // passed as an argument stays at 0, while the condition itself is evaluated exactly once.
  int conditions = 0;
  int formatted = 0;
  CHECK_NOTHROW([&] { DSIM_CHECK(++conditions == 1, "never shown {}", ++formatted); }());
  CHECK(conditions == 1);
  CHECK(formatted == 0);
}

}  // namespace
}  // namespace dsim
