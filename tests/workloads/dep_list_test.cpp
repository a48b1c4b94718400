// SPDX-License-Identifier: Apache-2.0
// An op's dependency list keeps one dep in place and moves to the heap at the second; it must behave as the
// std::vector it replaced wherever the generators and importers use it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <utility>
#include <vector>

#include "workloads/trace/dep_list.hpp"

namespace dsim::workloads {
namespace {

std::vector<OpId> ids(std::initializer_list<std::uint32_t> values) {
  std::vector<OpId> out;
  for (const std::uint32_t v : values) out.push_back(OpId(v));
  return out;
}

}  // namespace

TEST_CASE("dep list: pushes keep every dep in order, in place and across each growth of the heap", "[workloads]") {
  DepList deps;
  CHECK(deps.empty());
  std::vector<OpId> expected;
  for (std::uint32_t i = 0; i < 40; ++i) {
    deps.push_back(OpId(i * 7));
    expected.push_back(OpId(i * 7));
    REQUIRE(deps == expected);
    REQUIRE(deps.size() == expected.size());
  }
  CHECK(deps[39] == OpId(273));
}

TEST_CASE("dep list: copies are independent and moves leave the source empty", "[workloads]") {
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{5}}) {
    DepList a;
    for (std::size_t i = 0; i < n; ++i) a.push_back(OpId(static_cast<std::uint32_t>(i + 1)));
    DepList copy(a);
    copy.push_back(OpId(99));
    CHECK(a.size() == n);
    CHECK(copy.size() == n + 1);
    DepList assigned;
    assigned = a;
    CHECK(assigned == a);
    DepList moved(std::move(a));
    CHECK(moved.size() == n);
    CHECK(a.empty());  // NOLINT: a moved-from list is empty by contract
    DepList move_assigned;
    move_assigned.push_back(OpId(7));
    move_assigned = std::move(moved);
    CHECK(move_assigned.size() == n);
  }
}

TEST_CASE("dep list: built from a vector or a list, sorted, deduplicated and cleared as the generators do",
          "[workloads]") {
  DepList deps = ids({5, 3, 5, 1, 3});
  std::sort(deps.begin(), deps.end());
  deps.resize_down(static_cast<std::size_t>(std::unique(deps.begin(), deps.end()) - deps.begin()));
  CHECK(deps == ids({1, 3, 5}));
  deps = {OpId(8)};
  CHECK(deps == ids({8}));
  deps.clear();
  CHECK(deps.empty());
  deps.push_back(OpId(4));
  deps.push_back(OpId(6));
  deps.push_back(OpId(2));
  CHECK(deps == ids({4, 6, 2}));
}

}  // namespace dsim::workloads
