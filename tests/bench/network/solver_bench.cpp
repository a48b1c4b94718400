// SPDX-License-Identifier: Apache-2.0
// Re-share time of the max-min solver with 100,000 concurrent flows on a synthetic two-layer fat-tree-like link set:
// 2,048 endpoints with an up and a down link each (4,096 links) and 4,096 fabric links (2,048 leaf-to-spine, 2,048
// spine-to-leaf), all 50 GB/s. A flow crosses 4 links: its source's up link, a random leaf-to-spine link, a random
// spine-to-leaf link and its destination's down link. After one full solve of all flows, each re-share is one flow
// ending and one starting, then solve(). Paths and victims are drawn in advance from a seeded stream, so the RNG is
// not timed. Usage: solver_bench [--flows N] [--reshares N] [--seed N].
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <sched.h>

#include <fmt/format.h>

#include "tests/bench/bench_machine.hpp"
#include "models/network/max_min_solver.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/units.hpp"

namespace dsim::bench {
namespace {

using models::network::MaxMinSolver;
using Clock = std::chrono::steady_clock;
using Path = std::array<std::uint32_t, 4>;

constexpr std::uint32_t endpoints = 2048;
constexpr std::uint32_t fabric_half = 2048;

struct Options {
  std::uint64_t flows = 100'000;
  std::uint64_t reshares = 10'000;
  std::uint64_t seed = 1;
};


bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    std::uint64_t value = 0;
    try {
      std::size_t used = 0;
      value = std::stoull(argv[i + 1], &used);
      if (used != std::string_view(argv[i + 1]).size() || value == 0) return false;
    } catch (const std::exception&) {
      return false;
    }
    if (flag == "--flows") {
      options.flows = value;
    } else if (flag == "--reshares") {
      options.reshares = value;
    } else if (flag == "--seed") {
      options.seed = value;
    } else {
      return false;
    }
  }
  return argc % 2 == 1;
}

// Links 0..2047: endpoint up; 2048..4095: endpoint down; 4096..6143: leaf-to-spine; 6144..8191: spine-to-leaf.
Path random_path(core::RngStream& rng) {
  const auto src = static_cast<std::uint32_t>(rng.uniform_below(endpoints));
  auto dst = static_cast<std::uint32_t>(rng.uniform_below(endpoints - 1));
  if (dst >= src) ++dst;
  return {src, endpoints + dst, 2 * endpoints + static_cast<std::uint32_t>(rng.uniform_below(fabric_half)),
          2 * endpoints + fabric_half + static_cast<std::uint32_t>(rng.uniform_below(fabric_half))};
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int run(const Options& options) {
  fmt::print("solver_bench: machine: {}\n", machine_description());
  fmt::print("links: {} endpoint up/down + {} fabric, 50 GB/s each; flows: {}, 4 links each; re-shares: {}; "
             "seed {}\n",
             2 * endpoints, 2 * fabric_half, options.flows, options.reshares, options.seed);

  core::RngStream rng(options.seed, "solver_bench");
  std::vector<Path> initial(options.flows);
  for (Path& path : initial) path = random_path(rng);
  std::vector<Path> arriving(options.reshares);
  std::vector<std::uint64_t> victims(options.reshares);
  for (std::uint64_t i = 0; i < options.reshares; ++i) {
    arriving[i] = random_path(rng);
    victims[i] = rng.uniform_below(options.flows);
  }

  MaxMinSolver solver;
  for (std::uint32_t l = 0; l < 2 * endpoints + 2 * fabric_half; ++l) solver.add_link(units::GBps(50).Bps());
  std::vector<FlowId> active;
  active.reserve(options.flows);
  const auto add_start = Clock::now();
  for (const Path& path : initial) active.push_back(solver.add_flow(path));
  const double add_s = seconds_since(add_start);
  const auto full_start = Clock::now();
  const std::size_t full_changed = solver.solve().size();
  const double full_s = seconds_since(full_start);
  fmt::print("add {} flows: {:.3f} ms; full solve: {:.3f} ms, {} flows, {} links, {} rates set, {:.3g} flows/s\n",
             options.flows, add_s * 1e3, full_s * 1e3, solver.last_component_flows(),
             solver.last_component_links(), full_changed,
             static_cast<double>(solver.last_component_flows()) / full_s);

  std::uint64_t touched = 0;
  std::uint64_t changed = 0;
  double worst_s = 0.0;
  const auto loop_start = Clock::now();
  for (std::uint64_t i = 0; i < options.reshares; ++i) {
    const auto start = Clock::now();
    solver.remove_flow(active[victims[i]]);
    active[victims[i]] = solver.add_flow(arriving[i]);
    changed += solver.solve().size();
    worst_s = std::max(worst_s, seconds_since(start));
    touched += solver.last_component_flows();
  }
  const double loop_s = seconds_since(loop_start);
  const double n = static_cast<double>(options.reshares);
  fmt::print("re-share (1 flow ends, 1 starts, solve): {:.3f} ms mean, {:.3f} ms worst; {:.0f} flows touched and "
             "{:.1f} rates changed per re-share; {:.3g} flows/s touched; {:.3f} s for {} re-shares\n",
             loop_s / n * 1e3, worst_s * 1e3, static_cast<double>(touched) / n, static_cast<double>(changed) / n,
             static_cast<double>(touched) / loop_s, loop_s, options.reshares);
  return 0;
}

}  // namespace
}  // namespace dsim::bench

int main(int argc, char** argv) {
  dsim::bench::Options options;
  if (!dsim::bench::parse_options(argc, argv, options)) {
    std::fputs("usage: solver_bench [--flows N] [--reshares N] [--seed N]\n", stderr);
    return 2;
  }
  return dsim::bench::run(options);
}
