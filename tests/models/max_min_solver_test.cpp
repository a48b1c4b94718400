// SPDX-License-Identifier: Apache-2.0
// The max-min solver: hand-derived shares on five-line systems, the incremental component, the optimality
// conditions, and a randomized comparison with the full-recompute oracle.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/units.hpp"

#include "models/network/max_min_solver.hpp"
#include "tests/models/max_min_oracle.hpp"

namespace dsim::models::network {
namespace {

using Path = std::vector<std::uint32_t>;

// Rates are compared with 1e-12 relative tolerance where the hand derivation is exact in decimal.
Approx rate_of(double bytes_per_s) { return Approx(bytes_per_s).epsilon(1e-12); }

// solve() reports the changed flows in no particular order: compare them sorted.
// The changed flows, sorted; each change's rate must be what rate() reports.
std::vector<FlowId> ids(const MaxMinSolver& solver, std::span<const MaxMinSolver::Change> changes) {
  std::vector<FlowId> sorted;
  for (const MaxMinSolver::Change& change : changes) {
    CHECK(change.rate == solver.rate(change.flow));
    sorted.push_back(change.flow);
  }
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

// On each link the rates sum to at most its capacity, and each flow crosses a saturated link on which no flow is
// faster than it: the two conditions that characterise the max-min allocation. Tolerance 1e-9 relative.
void check_max_min_conditions(const MaxMinSolver& solver, const std::vector<double>& capacity,
                              const std::map<std::uint32_t, Path>& paths) {
  std::vector<double> load(capacity.size(), 0.0);
  std::vector<double> fastest(capacity.size(), 0.0);
  for (const auto& [id, path] : paths) {
    for (const std::uint32_t link : path) {
      load[link] += solver.rate(FlowId(id));
      fastest[link] = std::max(fastest[link], solver.rate(FlowId(id)));
    }
  }
  for (std::size_t link = 0; link < capacity.size(); ++link) {
    CHECK(load[link] <= capacity[link] * (1.0 + 1e-9));
  }
  for (const auto& [id, path] : paths) {
    const double rate = solver.rate(FlowId(id));
    const bool bottlenecked = std::any_of(path.begin(), path.end(), [&](std::uint32_t link) {
      return load[link] >= capacity[link] * (1.0 - 1e-9) && rate >= fastest[link] * (1.0 - 1e-9);
    });
    CHECK(bottlenecked);
  }
}

}  // namespace

TEST_CASE("max-min: one link shared by two flows and then by three gives each an equal share", "[models]") {
  // 60 GB/s over 2 flows: 30 GB/s each. A third flow joins: 60 / 3 = 20 GB/s each, and all three are reported.
  MaxMinSolver solver;
  const double capacity = units::GBps(60).Bps();
  const std::uint32_t link = solver.add_link(capacity);
  const Path path{link};
  const FlowId a = solver.add_flow(path);
  const FlowId b = solver.add_flow(path);
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{a, b});
  CHECK(solver.rate(a) == rate_of(30e9));
  CHECK(solver.rate(b) == rate_of(30e9));
  const FlowId c = solver.add_flow(path);
  CHECK(solver.rate(c) == 0.0);
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{a, b, c});
  for (const FlowId flow : {a, b, c}) CHECK(solver.rate(flow) == rate_of(20e9));
  CHECK(solver.active_flows() == 3);
}

TEST_CASE("max-min: in the parking lot the long flow and every short flow get half a link", "[models]") {
  // 4 links of 10 GB/s; the long flow crosses all 4, short flow i crosses link i only. Every link carries 2 flows,
  // so every share is 5 GB/s; link 0 (lowest index) fixes the long flow at 5, leaving 5 GB/s for each short flow.
  MaxMinSolver solver;
  const double capacity = units::GBps(10).Bps();
  Path long_path;
  for (int i = 0; i < 4; ++i) long_path.push_back(solver.add_link(capacity));
  const FlowId long_flow = solver.add_flow(long_path);
  std::vector<FlowId> shorts;
  for (const std::uint32_t link : long_path) shorts.push_back(solver.add_flow(Path{link}));
  solver.solve();
  CHECK(solver.rate(long_flow) == rate_of(5e9));
  for (const FlowId flow : shorts) CHECK(solver.rate(flow) == rate_of(5e9));
}

TEST_CASE("max-min: flows behind different bottlenecks get the shares of their own bottleneck", "[models]") {
  // Link A = 10 GB/s carries f1, f2; link B = 30 GB/s carries f2, f3, f4. Shares: A 10/2 = 5, B 30/3 = 10, so A is
  // the bottleneck: f1 = f2 = 5 GB/s. B has 30 - 5 = 25 GB/s left for f3, f4: 12.5 GB/s each. B is full (5 + 25).
  MaxMinSolver solver;
  const std::uint32_t a = solver.add_link(units::GBps(10).Bps());
  const std::uint32_t b = solver.add_link(units::GBps(30).Bps());
  const FlowId f1 = solver.add_flow(Path{a});
  const FlowId f2 = solver.add_flow(Path{a, b});
  const FlowId f3 = solver.add_flow(Path{b});
  const FlowId f4 = solver.add_flow(Path{b});
  solver.solve();
  CHECK(solver.rate(f1) == rate_of(5e9));
  CHECK(solver.rate(f2) == rate_of(5e9));
  CHECK(solver.rate(f3) == rate_of(12.5e9));
  CHECK(solver.rate(f4) == rate_of(12.5e9));
}

TEST_CASE("max-min: a flow leaving frees its bandwidth for the flows that shared its links", "[models]") {
  // The two-bottleneck system above, then f1 leaves. A now carries only f2: share 10; B: 30/3 = 10. The tie goes to
  // A (lower index): f2 = 10 GB/s; B has 20 GB/s left for f3, f4: 10 GB/s each. All three rates changed.
  MaxMinSolver solver;
  const std::uint32_t a = solver.add_link(units::GBps(10).Bps());
  const std::uint32_t b = solver.add_link(units::GBps(30).Bps());
  const FlowId f1 = solver.add_flow(Path{a});
  const FlowId f2 = solver.add_flow(Path{a, b});
  const FlowId f3 = solver.add_flow(Path{b});
  const FlowId f4 = solver.add_flow(Path{b});
  solver.solve();
  solver.remove_flow(f1);
  CHECK(solver.active_flows() == 3);
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{f2, f3, f4});
  CHECK(solver.rate(f2) == rate_of(10e9));
  CHECK(solver.rate(f3) == rate_of(10e9));
  CHECK(solver.rate(f4) == rate_of(10e9));
  CHECK_THROWS_WITH(solver.rate(f1), Catch::Contains("flow 0 is not active"));
}

TEST_CASE("max-min: a change in one component neither recomputes nor reports the flows of another", "[models]") {
  // Link 0 (12 GB/s) carries a, b: 6 GB/s each. Link 1 (12 GB/s) carries c, d: 6 each. e joins link 1: c, d, e get
  // 4 each; only link 1's 3 flows are recomputed and reported. e leaves: c, d are back to 6, and only they are
  // reported. A lone flow on a new link 2 is the only flow recomputed and reported. No change: nothing reported.
  MaxMinSolver solver;
  const std::uint32_t l0 = solver.add_link(units::GBps(12).Bps());
  const std::uint32_t l1 = solver.add_link(units::GBps(12).Bps());
  const std::uint32_t l2 = solver.add_link(units::GBps(12).Bps());
  const FlowId a = solver.add_flow(Path{l0});
  const FlowId b = solver.add_flow(Path{l0});
  const FlowId c = solver.add_flow(Path{l1});
  const FlowId d = solver.add_flow(Path{l1});
  CHECK(solver.solve().size() == 4);
  CHECK(solver.last_component_flows() == 4);

  const FlowId e = solver.add_flow(Path{l1});
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{c, d, e});
  CHECK(solver.last_component_flows() == 3);
  CHECK(solver.last_component_links() == 1);
  CHECK(solver.rate(a) == rate_of(6e9));
  CHECK(solver.rate(c) == rate_of(4e9));
  CHECK(solver.rate(e) == rate_of(4e9));

  solver.remove_flow(e);
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{c, d});
  CHECK(solver.last_component_flows() == 2);
  CHECK(solver.rate(d) == rate_of(6e9));

  const FlowId lone = solver.add_flow(Path{l2});
  CHECK(lone == e);  // ids are reused, most recently freed first
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{lone});
  CHECK(solver.last_component_flows() == 1);
  CHECK(solver.rate(lone) == rate_of(12e9));
  CHECK(solver.rate(b) == rate_of(6e9));

  CHECK(solver.solve().empty());
  CHECK(solver.last_component_flows() == 0);
}

TEST_CASE("max-min: rates respect every capacity and every flow has a saturated link where it is fastest", "[models]") {
  // No closed form: 40 links of capacities 1..40 GB/s and 400 flows over 1 to 4 random links (seed 7), checked
  // against the two max-min conditions, then again after every third flow leaves.
  core::RngStream rng(7, "max-min conditions");
  MaxMinSolver solver;
  std::vector<double> capacity;
  for (int i = 0; i < 40; ++i) {
    capacity.push_back(units::GBps(static_cast<double>(1 + rng.uniform_below(40))).Bps());
    solver.add_link(capacity.back());
  }
  std::map<std::uint32_t, Path> paths;
  for (int i = 0; i < 400; ++i) {
    Path path;
    const auto length = 1 + rng.uniform_below(4);
    while (path.size() < length) {
      const auto link = static_cast<std::uint32_t>(rng.uniform_below(capacity.size()));
      if (std::find(path.begin(), path.end(), link) == path.end()) path.push_back(link);
    }
    paths[solver.add_flow(path).value()] = path;
  }
  solver.solve();
  check_max_min_conditions(solver, capacity, paths);
  for (std::uint32_t id = 0; id < 400; id += 3) {
    solver.remove_flow(FlowId(id));
    paths.erase(id);
  }
  solver.solve();
  check_max_min_conditions(solver, capacity, paths);
}

namespace {

// Two solvers with the same 6 links of random capacities (1-2 GB/s), and 30 paths over them: every other path one
// link, the others two distinct links.
std::vector<Path> twin_solvers(std::uint64_t seed, MaxMinSolver& a, MaxMinSolver& b) {
  core::RngStream rng(seed, "max-min twins");
  for (int i = 0; i < 6; ++i) {
    const double capacity = 1e9 * (1.0 + rng.uniform01());
    a.add_link(capacity);
    b.add_link(capacity);
  }
  std::vector<Path> paths;
  for (int i = 0; i < 30; ++i) {
    const auto first = static_cast<std::uint32_t>(rng.uniform_below(6));
    const auto second = static_cast<std::uint32_t>((first + 1 + rng.uniform_below(5)) % 6);
    paths.push_back(i % 2 == 0 ? Path{first} : Path{first, second});
  }
  return paths;
}

}  // namespace

TEST_CASE("max-min: the same set of flows added in any order gets the same rates bitwise", "[models]") {
  // Determinism: the filling depends on the set of flows and the link indices only. 6 links, 30 flows (seed 11),
  // added forwards to one solver and backwards to another; each solves once; rates agree to the bit.
  MaxMinSolver forward;
  MaxMinSolver backward;
  const std::vector<Path> paths = twin_solvers(11, forward, backward);
  for (const Path& path : paths) forward.add_flow(path);
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) backward.add_flow(*it);
  forward.solve();
  backward.solve();
  for (std::uint32_t i = 0; i < 30; ++i) {
    CHECK(forward.rate(FlowId(i)) == backward.rate(FlowId(29 - i)));
  }
}

TEST_CASE("max-min: flows under ids the caller picks get the same rates bitwise as under the solver's ids",
          "[models]") {
  // 6 links, 30 flows (seed 12) added to one solver under its own ids and to another under ids 7, 10, 13, ... (the
  // arrays grow to the largest); then every third flow leaves both and the rest re-share, and the first comes back
  // under its old id. Rates agree to the bit.
  MaxMinSolver own;
  MaxMinSolver picked;
  const std::vector<Path> paths = twin_solvers(12, own, picked);
  const auto picked_id = [](std::uint32_t i) { return FlowId(7 + 3 * i); };
  std::vector<FlowId> own_ids;
  for (std::uint32_t i = 0; i < 30; ++i) {
    own_ids.push_back(own.add_flow(paths[i]));
    picked.add_flow(picked_id(i), paths[i]);
  }
  own.solve();
  CHECK(picked.solve().size() == 30);
  for (std::uint32_t i = 0; i < 30; ++i) CHECK(own.rate(own_ids[i]) == picked.rate(picked_id(i)));
  for (std::uint32_t i = 0; i < 30; i += 3) {
    own.remove_flow(own_ids[i]);
    picked.remove_flow(picked_id(i));
  }
  own.solve();
  picked.solve();
  for (std::uint32_t i = 1; i < 30; ++i) {
    if (i % 3 != 0) CHECK(own.rate(own_ids[i]) == picked.rate(picked_id(i)));
  }
  // A removed id comes back, as the network model reuses the id of a flow that has completed.
  own_ids[0] = own.add_flow(paths[0]);
  picked.add_flow(picked_id(0), paths[0]);
  own.solve();
  picked.solve();
  for (std::uint32_t i = 0; i < 30; ++i) {
    if (i == 0 || i % 3 != 0) CHECK(own.rate(own_ids[i]) == picked.rate(picked_id(i)));
  }
  CHECK_THROWS_WITH(picked.add_flow(picked_id(1), Path{0}), Catch::Contains("flow 10 is already active"));
  CHECK_THROWS_WITH(picked.add_flow(Path{0}), Catch::Contains("add_flow without an id after add_flow with one"));
  CHECK_THROWS_WITH(own.add_flow(FlowId(100), Path{0}),
                    Catch::Contains("add_flow with an id after add_flow without one"));
}

TEST_CASE("max-min: the incremental solver agrees with the full-recompute oracle on random changes", "[models]") {
  // Differential test, seed 20261125 (printed on failure): 30 random networks of 1 to 8 links (capacities 1 to
  // 100 GB/s), 40 random add/remove steps each (a path of 1 to 4 distinct links), solving after most steps so that
  // some solves batch several changes. After each solve: every rate equals the oracle's within 1e-9 relative, a
  // flow not reported kept its rate bitwise, and a reported flow's rate did change.
  const std::uint64_t seed = 20261125;
  INFO("seed " << seed);
  core::RngStream rng(seed, "max-min differential");
  int solves = 0;
  for (int network = 0; network < 30; ++network) {
    MaxMinSolver solver;
    testing::MaxMinOracle oracle;
    const auto links = static_cast<std::uint32_t>(1 + rng.uniform_below(8));
    for (std::uint32_t l = 0; l < links; ++l) {
      const double capacity = 1e9 * (1.0 + 99.0 * rng.uniform01());
      solver.add_link(capacity);
      oracle.add_link(capacity);
    }
    std::vector<FlowId> active;
    std::map<std::uint32_t, double> before;
    for (int step = 0; step < 40; ++step) {
      if (active.empty() || rng.uniform01() < 0.6) {
        Path path;
        const auto length = std::min<std::uint64_t>(1 + rng.uniform_below(4), links);
        while (path.size() < length) {
          const auto link = static_cast<std::uint32_t>(rng.uniform_below(links));
          if (std::find(path.begin(), path.end(), link) == path.end()) path.push_back(link);
        }
        const FlowId flow = solver.add_flow(path);
        oracle.add_flow(flow.value(), path);
        active.push_back(flow);
      } else {
        const auto victim = rng.uniform_below(active.size());
        solver.remove_flow(active[victim]);
        oracle.remove_flow(active[victim].value());
        active.erase(active.begin() + static_cast<std::ptrdiff_t>(victim));
      }
      if (rng.uniform01() < 0.3) continue;  // batch this change with the next ones

      before.clear();
      for (const FlowId flow : active) before[flow.value()] = solver.rate(flow);
      const std::vector<FlowId> changed = ids(solver, solver.solve());
      ++solves;
      const std::map<std::uint32_t, double> expected = oracle.solve();
      REQUIRE(expected.size() == active.size());
      REQUIRE(solver.active_flows() == active.size());
      for (const FlowId flow : active) {
        INFO("network " << network << ", step " << step << ", flow " << flow.value());
        const double rate = solver.rate(flow);
        CHECK(std::abs(rate - expected.at(flow.value())) <= 1e-9 * expected.at(flow.value()));
        const bool reported = std::binary_search(changed.begin(), changed.end(), flow);
        if (reported) {
          CHECK(rate != before.at(flow.value()));
        } else {
          CHECK(rate == before.at(flow.value()));
        }
      }
    }
  }
  CHECK(solves > 600);
}

// The two-bottleneck system of the tests above, solved: link A (index 0) = 10 GB/s carries f1, f2; link B (index 1)
// = 30 GB/s carries f2, f3, f4. Levels: (5 GB/s, A) fixes f1 and f2; (12.5 GB/s, B) fixes f3 and f4.
struct TwoBottlenecks {
  MaxMinSolver solver;
  std::uint32_t a = solver.add_link(units::GBps(10).Bps());
  std::uint32_t b = solver.add_link(units::GBps(30).Bps());
  FlowId f1 = solver.add_flow(Path{a});
  FlowId f2 = solver.add_flow(Path{a, b});
  FlowId f3 = solver.add_flow(Path{b});
  FlowId f4 = solver.add_flow(Path{b});
  TwoBottlenecks() { solver.solve(); }
};

TEST_CASE("max-min: removing the flow fixed at the highest level re-fills that level only", "[models]") {
  // f4 left the top level (12.5 GB/s, B): the steps below it stand, so only B is re-filled from there, with f3
  // alone: B has 30 - 5 = 25 GB/s left after f2, all for f3. f1 and f2 are neither recomputed nor reported.
  TwoBottlenecks system;
  MaxMinSolver& solver = system.solver;
  const double f1_before = solver.rate(system.f1);
  const double f2_before = solver.rate(system.f2);
  solver.remove_flow(system.f4);
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{system.f3});
  CHECK(solver.last_component_flows() == 1);
  CHECK(solver.last_component_links() == 1);
  CHECK(solver.rate(system.f3) == rate_of(25e9));
  CHECK(solver.rate(system.f1) == f1_before);
  CHECK(solver.rate(system.f2) == f2_before);
}

TEST_CASE("max-min: removing the flow fixed at the lowest level re-fills every flow of the component", "[models]") {
  // f1 left the lowest level (5 GB/s, A), so everything is re-filled: A carries f2 alone (share 10), B carries
  // f2, f3, f4 (30 / 3 = 10); the tie goes to A (lower index): f2 = 10, then B's 20 GB/s left give f3 = f4 = 10.
  TwoBottlenecks system;
  MaxMinSolver& solver = system.solver;
  solver.remove_flow(system.f1);
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{system.f2, system.f3, system.f4});
  CHECK(solver.last_component_flows() == 3);
  CHECK(solver.last_component_links() == 2);
  for (const FlowId flow : {system.f2, system.f3, system.f4}) CHECK(solver.rate(flow) == rate_of(10e9));
}

TEST_CASE("max-min: a flow joining above the lowest level re-fills only the flows from its new share up", "[models]") {
  // f5 joins B. Before the first step B's share would be 30 / 4 = 7.5 > 5, so step (5, A) stands: it leaves B 25
  // GB/s for f3, f4, f5, a share of 8.33 below the old 12.5, so the re-fill starts there, with B's three flows: each
  // gets 25 / 3 GB/s. f1 and f2 stay at 5 GB/s, untouched.
  TwoBottlenecks system;
  MaxMinSolver& solver = system.solver;
  const double f2_before = solver.rate(system.f2);
  const FlowId f5 = solver.add_flow(Path{system.b});
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{system.f3, system.f4, f5});
  CHECK(solver.last_component_flows() == 3);
  CHECK(solver.last_component_links() == 1);
  for (const FlowId flow : {system.f3, system.f4, f5}) CHECK(solver.rate(flow) == rate_of(25e9 / 3.0));
  CHECK(solver.rate(system.f1) == rate_of(5e9));
  CHECK(solver.rate(system.f2) == f2_before);
}

TEST_CASE("max-min: a flow joining below the lowest level re-fills every flow of the component", "[models]") {
  // f6 joins A: A's share 10 / 3 = 3.33 undercuts the first step (5, A). A fixes f1, f2, f6 at 3.33 GB/s; B has
  // 30 - 3.33 = 26.67 GB/s left for f3, f4: 13.33 each. All five flows are recomputed.
  TwoBottlenecks system;
  MaxMinSolver& solver = system.solver;
  const FlowId f6 = solver.add_flow(Path{system.a});
  solver.solve();
  CHECK(solver.last_component_flows() == 5);
  for (const FlowId flow : {system.f1, system.f2, f6}) CHECK(solver.rate(flow) == rate_of(10e9 / 3.0));
  for (const FlowId flow : {system.f3, system.f4}) CHECK(solver.rate(flow) == rate_of(40e9 / 3.0));
}

TEST_CASE("max-min: a flow leaving and one joining the same link in one solve re-fill from the lower level", "[models]") {
  // f4 (level 12.5 GB/s, B) leaves and f5 joins B in one batch. For f5, B's share before step (5, A) is 30 / 3 =
  // 10 > 5 (f4 no longer counts); after it, 25 / 2 = 12.5, which reaches the level f4 left: the re-fill starts at
  // (12.5, B) for both changes. B gives f3 and f5 12.5 GB/s each: f3 did not change and only f5 is reported.
  TwoBottlenecks system;
  MaxMinSolver& solver = system.solver;
  solver.remove_flow(system.f4);
  const FlowId f5 = solver.add_flow(Path{system.b});
  CHECK(ids(solver, solver.solve()) == std::vector<FlowId>{f5});
  CHECK(solver.last_component_flows() == 2);
  CHECK(solver.rate(f5) == rate_of(12.5e9));
  CHECK(solver.rate(system.f3) == rate_of(12.5e9));
  CHECK(solver.rate(system.f2) == rate_of(5e9));
}

TEST_CASE("max-min: a flow added and removed between two solves changes nothing", "[models]") {
  // The flow never took a share: nothing is re-filled but the links it crossed, and no rate is reported.
  TwoBottlenecks system;
  MaxMinSolver& solver = system.solver;
  const FlowId passing = solver.add_flow(Path{system.a, system.b});
  solver.remove_flow(passing);
  CHECK(solver.solve().empty());
  CHECK(solver.last_component_flows() == 0);
  CHECK(solver.rate(system.f1) == rate_of(5e9));
  CHECK(solver.rate(system.f3) == rate_of(12.5e9));
}

TEST_CASE("max-min: partial re-fills agree with the oracle and with a fresh solve over many random batches",
          "[models]") {
  // Differential test, seed 20261126 (printed on failure): 60 random networks of 2 to 12 links whose capacities are
  // drawn from {10, 20, 40} GB/s (so that shares tie exactly and the tie-break by link index matters), 80 batches
  // each of 1 to 6 random adds and removes (a path of 1 to 4 distinct links; a removal may take a flow added in the
  // same batch), one solve per batch. After each solve: every rate equals the oracle's within 1e-9 relative and a
  // fresh solver's (the same flows, solved once) within the solver's own tolerance, a flow not reported kept its
  // rate bitwise, and a reported flow's rate did change. About a fifth of the solves re-fill only part of their
  // network (the rest batch a change at its lowest level).
  const std::uint64_t seed = 20261126;
  INFO("seed " << seed);
  core::RngStream rng(seed, "max-min batches");
  int solves = 0;
  int partial = 0;
  for (int network = 0; network < 60; ++network) {
    MaxMinSolver solver;
    testing::MaxMinOracle oracle;
    std::vector<double> capacity;
    const auto links = static_cast<std::uint32_t>(2 + rng.uniform_below(11));
    for (std::uint32_t l = 0; l < links; ++l) {
      capacity.push_back(units::GBps(10.0 * static_cast<double>(1U << rng.uniform_below(3))).Bps());
      solver.add_link(capacity.back());
      oracle.add_link(capacity.back());
    }
    std::map<std::uint32_t, Path> paths;  // by the solver's flow id
    std::map<std::uint32_t, double> before;
    for (int batch = 0; batch < 80; ++batch) {
      const auto changes = 1 + rng.uniform_below(6);
      for (std::uint64_t change = 0; change < changes; ++change) {
        if (paths.empty() || rng.uniform01() < 0.55) {
          Path path;
          const auto length = std::min<std::uint64_t>(1 + rng.uniform_below(4), links);
          while (path.size() < length) {
            const auto link = static_cast<std::uint32_t>(rng.uniform_below(links));
            if (std::find(path.begin(), path.end(), link) == path.end()) path.push_back(link);
          }
          const FlowId flow = solver.add_flow(path);
          oracle.add_flow(flow.value(), path);
          paths[flow.value()] = path;
        } else {
          auto victim = paths.begin();
          std::advance(victim, static_cast<std::ptrdiff_t>(rng.uniform_below(paths.size())));
          solver.remove_flow(FlowId(victim->first));
          oracle.remove_flow(victim->first);
          paths.erase(victim);
        }
      }
      before.clear();
      for (const auto& [id, path] : paths) before[id] = solver.rate(FlowId(id));
      const std::vector<FlowId> changed = ids(solver, solver.solve());
      ++solves;
      if (solver.last_component_flows() < paths.size()) ++partial;

      const std::map<std::uint32_t, double> expected = oracle.solve();
      MaxMinSolver fresh;
      for (const double c : capacity) fresh.add_link(c);
      std::map<std::uint32_t, FlowId> fresh_id;
      for (const auto& [id, path] : paths) fresh_id[id] = fresh.add_flow(path);
      fresh.solve();
      REQUIRE(solver.active_flows() == paths.size());
      for (const auto& [id, path] : paths) {
        INFO("network " << network << ", batch " << batch << ", flow " << id);
        const double rate = solver.rate(FlowId(id));
        const double fresh_rate = fresh.rate(fresh_id.at(id));
        CHECK(std::abs(rate - expected.at(id)) <= 1e-9 * expected.at(id));
        CHECK(std::abs(rate - fresh_rate) <= MaxMinSolver::rate_tolerance * std::max(rate, fresh_rate));
        if (std::binary_search(changed.begin(), changed.end(), FlowId(id))) {
          CHECK(rate != before.at(id));
        } else {
          CHECK(rate == before.at(id));
        }
      }
    }
  }
  CHECK(solves == 60 * 80);
  CHECK(partial > solves / 8);
}

TEST_CASE("max-min: bad links, empty paths and unknown flows are internal errors with a message", "[models]") {
  // The caller (the network model) builds paths from routes, so each of these is a bug in dsim, not bad input.
  MaxMinSolver solver;
  CHECK_THROWS_WITH(solver.add_link(0.0), Catch::Contains("link capacity must be positive and finite, got 0"));
  CHECK_THROWS_WITH(solver.add_link(-1.0), Catch::Contains("link capacity must be positive and finite"));
  const std::uint32_t link = solver.add_link(1e9);
  CHECK_THROWS_AS(solver.add_flow(Path{}), InternalError);
  CHECK_THROWS_WITH(solver.add_flow(Path{}), Catch::Contains("a flow must cross at least one link"));
  CHECK_THROWS_WITH(solver.add_flow(Path{link, 5}), Catch::Contains("link 5 does not exist (1 links)"));
  CHECK_THROWS_WITH(solver.add_flow(Path{link, link}), Catch::Contains("link 0 appears twice in a flow's path"));
  CHECK_THROWS_WITH(solver.remove_flow(FlowId(3)), Catch::Contains("flow 3 is not active"));
  const FlowId flow = solver.add_flow(Path{link});
  solver.remove_flow(flow);
  CHECK_THROWS_WITH(solver.remove_flow(flow), Catch::Contains("flow 0 is not active"));
  CHECK(solver.active_flows() == 0);
}

}  // namespace dsim::models::network
