// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <utility>

#include "models/network/due_heap.hpp"
#include "sim/core/rng.hpp"

namespace dsim::models::network {
namespace {

TEST_CASE("due heap: a later end takes effect before the flow is read, ties pop by flow id", "[models]") {
  // Flows 0, 1, 2 end at 5, 7, 7 ps; flow 0 then moves to 9 ps: the order is 1 (7, id 1), 2 (7, id 2), 0 (9).
  DueHeap heap;
  heap.set(FlowId(0), Time::from_ps(5));
  heap.set(FlowId(2), Time::from_ps(7));
  heap.set(FlowId(1), Time::from_ps(7));
  heap.set(FlowId(0), Time::from_ps(9));
  std::vector<std::pair<std::int64_t, std::uint32_t>> popped;
  while (!heap.empty()) {
    popped.emplace_back(heap.top_time().ps(), heap.top_flow().value());
    heap.pop();
  }
  CHECK(popped == std::vector<std::pair<std::int64_t, std::uint32_t>>{{7, 1}, {7, 2}, {9, 0}});
  CHECK(heap.top_time().is_infinite());
}

TEST_CASE("due heap: random sets, bulk assigns and pops match a sorted set", "[models]") {
  // The reference keeps each flow's current end in a std::set of (time, id); the heap must pop the same sequence.
  constexpr std::uint64_t seed = 7;
  INFO("seed " << seed);
  core::RngStream rng(seed, "due heap test");
  DueHeap heap;
  std::set<std::pair<std::int64_t, std::uint32_t>> reference;
  std::map<std::uint32_t, std::int64_t> end;
  for (int round = 0; round < 2000; ++round) {
    const bool bulk = rng.uniform_below(10) == 0;
    const int changes = bulk ? 40 : 1 + static_cast<int>(rng.uniform_below(4));
    for (int c = 0; c < changes; ++c) {
      const auto flow = static_cast<std::uint32_t>(rng.uniform_below(64));
      const bool none = rng.uniform_below(8) == 0;
      const std::int64_t at = 1000 * round + static_cast<std::int64_t>(rng.uniform_below(3000));
      if (const auto it = end.find(flow); it != end.end()) {
        reference.erase({it->second, flow});
        end.erase(it);
      }
      if (!none) {
        end[flow] = at;
        reference.insert({at, flow});
      }
      const Time t = none ? Time::infinite() : Time::from_ps(at);
      if (bulk) {
        heap.assign(FlowId(flow), t);
      } else {
        heap.set(FlowId(flow), t);
      }
    }
    if (bulk) heap.rebuild();
    for (int p = static_cast<int>(rng.uniform_below(3)); p > 0 && !reference.empty(); --p) {
      REQUIRE(!heap.empty());
      const auto [at, flow] = *reference.begin();
      REQUIRE(heap.top_time().ps() == at);
      REQUIRE(heap.top_flow().value() == flow);
      heap.pop();
      reference.erase(reference.begin());
      end.erase(flow);
    }
    REQUIRE(heap.empty() == reference.empty());
  }
}

}  // namespace
}  // namespace dsim::models::network
