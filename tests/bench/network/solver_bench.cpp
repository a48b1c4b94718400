// SPDX-License-Identifier: Apache-2.0
// Re-share time of the max-min solver with 100,000 concurrent flows on a synthetic two-layer fat-tree-like link set:
// 2,048 endpoints with an up and a down link each (4,096 links) and 4,096 fabric links (2,048 leaf-to-spine, 2,048
// spine-to-leaf). A flow crosses 4 links: its source's up link, a random leaf-to-spine link, a random spine-to-leaf
// link and its destination's down link. After one full solve of all flows, each re-share is one flow ending and one
// starting, then solve(). Three scenarios:
//   uniform:    every link 50 GB/s; the flow that ends is drawn at random.
//   tiered:     endpoint i's links run at 50 / 2^(i mod 4) GB/s (50, 25, 12.5, 6.25), fabric links at 50 GB/s, so
//               rates spread over a factor of ~10; the flow that ends is drawn at random.
//   completion: tiered links, each flow has a size (log-uniform, 1 MB to 1 GB) and the flow that would finish first
//               at the current rates ends, as in the flow-level network model; its replacement gets a fresh size.
// Paths, victims and sizes are drawn from seeded streams, and the byte bookkeeping of `completion` is outside the
// timed region. Each re-share prints wall time (mean, worst) and CPU time (mean, this thread): on a shared machine
// the CPU time is the steadier figure. Usage: solver_bench [--flows N] [--reshares N] [--seed N] [--scenario NAME].
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

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
constexpr std::array<std::string_view, 3> scenario_names{"uniform", "tiered", "completion"};

struct Options {
  std::uint64_t flows = 100'000;
  std::uint64_t reshares = 10'000;
  std::uint64_t seed = 1;
  std::string scenario = "all";
};

bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--scenario") {
      options.scenario = argv[i + 1];
      if (options.scenario != "all" &&
          std::find(scenario_names.begin(), scenario_names.end(), options.scenario) == scenario_names.end()) {
        return false;
      }
      continue;
    }
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

double link_capacity_Bps(std::string_view scenario, std::uint32_t link) {
  if (scenario == "uniform" || link >= 2 * endpoints) return units::GBps(50).Bps();
  return units::GBps(50.0 / static_cast<double>(1U << (link % endpoints % 4))).Bps();
}

// Log-uniform between 1 MB and 1 GB.
double random_size_bytes(core::RngStream& rng) { return 1e6 * std::pow(1e3, rng.uniform01()); }

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// Bytes left per flow (indexed like `active`) and the rates last reported, for the completion scenario.
struct Transfers {
  std::vector<double> bytes_left;
  std::vector<double> rate;

  // The flow that finishes first at the current rates; every flow's bytes advance to that instant.
  std::uint64_t finish_first() {
    std::uint64_t first = 0;
    double dt = bytes_left[0] / rate[0];
    for (std::uint64_t i = 1; i < bytes_left.size(); ++i) {
      const double t = bytes_left[i] / rate[i];
      if (t < dt) {
        dt = t;
        first = i;
      }
    }
    for (std::uint64_t i = 0; i < bytes_left.size(); ++i) bytes_left[i] -= rate[i] * dt;
    return first;
  }
};

void run_scenario(const Options& options, std::string_view scenario) {
  core::RngStream rng(options.seed, "solver_bench");
  core::RngStream sizes(options.seed, "solver_bench sizes");
  std::vector<Path> initial(options.flows);
  for (Path& path : initial) path = random_path(rng);
  std::vector<Path> arriving(options.reshares);
  std::vector<std::uint64_t> victims(options.reshares);
  for (std::uint64_t i = 0; i < options.reshares; ++i) {
    arriving[i] = random_path(rng);
    victims[i] = rng.uniform_below(options.flows);
  }
  const bool completion = scenario == "completion";

  MaxMinSolver solver;
  for (std::uint32_t l = 0; l < 2 * endpoints + 2 * fabric_half; ++l) {
    solver.add_link(link_capacity_Bps(scenario, l));
  }
  std::vector<FlowId> active;
  active.reserve(options.flows);
  const auto add_start = Clock::now();
  for (const Path& path : initial) active.push_back(solver.add_flow(path));
  const double add_s = seconds_since(add_start);
  const auto full_start = Clock::now();
  const std::size_t full_changed = solver.solve().size();
  const double full_s = seconds_since(full_start);
  fmt::print("[{}] add {} flows: {:.3f} ms; full solve: {:.3f} ms, {} flows, {} links, {} rates set, {:.3g} "
             "flows/s\n",
             scenario, options.flows, add_s * 1e3, full_s * 1e3, solver.last_component_flows(),
             solver.last_component_links(), full_changed,
             static_cast<double>(solver.last_component_flows()) / full_s);

  Transfers transfers;
  std::vector<std::uint64_t> slot_of;  // by solver flow id: the index in `active`
  if (completion) {
    for (std::uint64_t f = 0; f < active.size(); ++f) {
      transfers.bytes_left.push_back(random_size_bytes(sizes));
      transfers.rate.push_back(solver.rate(active[f]));
      if (slot_of.size() <= active[f].index()) slot_of.resize(active[f].index() + 1);
      slot_of[active[f].index()] = f;
    }
  }

  std::uint64_t touched = 0;
  std::uint64_t changed = 0;
  double worst_s = 0.0;
  double loop_s = 0.0;
  double cpu_s = 0.0;
  for (std::uint64_t i = 0; i < options.reshares; ++i) {
    const std::uint64_t victim = completion ? transfers.finish_first() : victims[i];
    const auto start = Clock::now();
    const double cpu_start = thread_cpu_seconds();
    solver.remove_flow(active[victim]);
    active[victim] = solver.add_flow(arriving[i]);
    const auto rates_changed = solver.solve();
    cpu_s += thread_cpu_seconds() - cpu_start;
    const double reshare_s = seconds_since(start);
    loop_s += reshare_s;
    worst_s = std::max(worst_s, reshare_s);
    changed += rates_changed.size();
    touched += solver.last_component_flows();
    if (completion) {
      if (slot_of.size() <= active[victim].index()) slot_of.resize(active[victim].index() + 1);
      slot_of[active[victim].index()] = victim;
      transfers.bytes_left[victim] = random_size_bytes(sizes);
      for (const auto& change : rates_changed) transfers.rate[slot_of[change.flow.index()]] = change.rate;
    }
  }
  const double n = static_cast<double>(options.reshares);
  fmt::print("[{}] re-share (1 flow ends, 1 starts, solve): {:.3f} ms mean, {:.3f} ms worst, {:.3f} ms CPU mean; "
             "{:.0f} flows re-filled and {:.1f} rates changed per re-share; {:.3g} flows/s re-filled; {:.3f} s for "
             "{} re-shares\n",
             scenario, loop_s / n * 1e3, worst_s * 1e3, cpu_s / n * 1e3, static_cast<double>(touched) / n,
             static_cast<double>(changed) / n, static_cast<double>(touched) / loop_s, loop_s, options.reshares);
}

int run(const Options& options) {
  fmt::print("solver_bench: machine: {}\n", machine_description());
  fmt::print("links: {} endpoint up/down + {} fabric; flows: {}, 4 links each; re-shares: {}; seed {}\n",
             2 * endpoints, 2 * fabric_half, options.flows, options.reshares, options.seed);
  for (const std::string_view scenario : scenario_names) {
    if (options.scenario == "all" || options.scenario == scenario) run_scenario(options, scenario);
  }
  return 0;
}

}  // namespace
}  // namespace dsim::bench

int main(int argc, char** argv) {
  dsim::bench::Options options;
  if (!dsim::bench::parse_options(argc, argv, options)) {
    std::fputs("usage: solver_bench [--flows N] [--reshares N] [--seed N] [--scenario all|uniform|tiered|completion]\n",
               stderr);
    return 2;
  }
  return dsim::bench::run(options);
}
