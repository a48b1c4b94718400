// SPDX-License-Identifier: Apache-2.0
// A DeepEP normal-mode dispatch among 2,048 GPUs on the multi-plane fat-tree, as V3 training runs it: 256 H800
// nodes, EP64 groups of 8 nodes (32 groups dispatching at once), 4,096 tokens per rank, top-8 of 256 experts on at
// most 4 nodes, FP8. Two layouts: groups of consecutive nodes (a group's 8 NICs per plane share one leaf, so no
// flow crosses a spine) and groups strided across the cluster (node g, g+32, ... : every flow crosses the spines,
// so all groups share links). Prints the wall time of routing the tokens and of simulating the dispatch, the
// number of transfers, and the simulated dispatch time. Routing and simulation run on one core.
// The flow network runs with the scenario default completion tolerance (0.001) unless --tolerance says otherwise.
// --repeat N runs the dispatch N times, one after another, on the same network (adjacent layout only) and prints the
// wall time per transfer of runs 2 to N: the steady-state cost of a flow, as a long replay sees it, without the
// setup and the first run's allocations. Under valgrind --tool=cachegrind its instruction and cache-miss counts compare two builds exactly.
// --reuse replays isolated groups (/models/network/reuse_isolated_groups, on in scenarios): each group's dispatch
// runs alone once and later runs replay it; with --repeat, compare the per-transfer cost with and without it.
// Usage: dispatch_bench [--tokens N] [--seed N] [--tolerance R] [--repeat N] [--reuse]
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "models/collectives/moe/deepep_kernels.hpp"
#include "models/collectives/moe/expert_placement.hpp"
#include "models/collectives/moe/moe_traffic.hpp"
#include "models/collectives/moe/router.hpp"
#include "models/collectives/plan_runner.hpp"
#include "models/network/flow_network.hpp"
#include "tests/bench/bench_machine.hpp"
#include "topology/cluster.hpp"
#include "topology/node/node_templates.hpp"

namespace dsim::bench {
namespace {

namespace moe = models::collectives::moe;
namespace mc = models::collectives;
using Clock = std::chrono::steady_clock;

constexpr int nodes = 256;
constexpr int ep_nodes = 8;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

topology::ClusterSpec cluster_spec(std::uint64_t seed) {
  topology::ClusterSpec spec;
  spec.nodes = nodes;
  spec.node = *topology::make_node_template("h800");
  spec.fabric.kind = topology::FabricKind::multi_plane_fat_tree;
  spec.fabric.radix = 64;
  spec.fabric.planes = 8;
  spec.fabric_links = {units::gbps(400), 1.0, units::us(0.5)};
  spec.seed = seed;
  return spec;
}

void run_layout(const topology::Cluster& cluster, bool strided, int tokens, std::uint64_t seed, double tolerance,
                int repeat, bool reuse) {
  moe::RouterSpec router_spec;
  router_spec.groups = ep_nodes;
  router_spec.topk_groups = 4;
  router_spec.seed = seed;
  const moe::Router router(router_spec);
  moe::DeepEpKernel kernel;
  kernel.sms = 20;
  kernel.copy_per_sm = units::GBps(11.2);

  const int groups = nodes / ep_nodes;
  const auto route_start = Clock::now();
  std::vector<moe::MoeTraffic> traffic;
  for (int g = 0; g < groups; ++g) {
    std::vector<GpuId> members;
    for (int n = 0; n < ep_nodes; ++n) {
      const int node = strided ? g + n * groups : g * ep_nodes + n;
      for (int local = 0; local < 8; ++local) members.emplace_back(static_cast<GpuId::Value>(node * 8 + local));
    }
    const moe::ExpertPlacement placement(router_spec.experts, members, 8);
    traffic.push_back(moe::aggregate_traffic(router, placement, tokens));
  }
  const double route_wall = since(route_start);

  const auto sim_start = Clock::now();
  std::vector<mc::CommPlan> plans;
  std::size_t transfers = 0;
  for (const auto& t : traffic) {
    plans.push_back(moe::plan_dispatch(t, kernel));
    transfers += plans.back().steps().size();
  }
  // As a replay builds it: nothing reads host memory, so more links drop out of the sharing.
  models::network::FlowNetwork network(cluster, {}, tolerance, topology::Cluster::Routes::gpu_to_gpu, reuse);
  mc::PlanRunner runner(network);
  Time begin = Time::zero();
  Time end = Time::zero();
  auto steady_start = Clock::now();
  for (int r = 0; r < repeat; ++r) {
    if (r == 1) steady_start = Clock::now();
    begin = end;
    std::vector<mc::PlanHandle> handles;
    for (const auto& plan : plans) handles.push_back(runner.start(plan));
    std::vector<mc::PlanHandle> done;
    while (done.size() < plans.size()) {
      const Time next = runner.next_event();
      if (next.is_infinite()) break;
      runner.advance_to(next, done);
      end = next;
    }
    for (const mc::PlanHandle handle : handles) runner.release(handle);
  }
  const double steady_wall = since(steady_start);
  const double sim_wall = since(sim_start);
  fmt::print("{:<34} {:>9} {:>14.3f} {:>12.3f} {:>12.3f}\n",
             strided ? "EP64 x 32, groups strided" : "EP64 x 32, groups on adjacent nodes", transfers,
             units::to_us(end - begin), route_wall, sim_wall);
  if (repeat > 1) {
    fmt::print("{} runs: {:.1f} ns of wall time per transfer in runs 2 to {}\n", repeat,
               steady_wall * 1e9 / (static_cast<double>(repeat - 1) * static_cast<double>(transfers)), repeat);
  }
  if (reuse) {
    const models::network::GroupReplayStats replay = network.group_replay();
    fmt::print("groups: {} of {} replayed ({} cached, {} brought back)\n", replay.replayed_groups, replay.groups,
               replay.cached_groups, replay.restored_groups);
  }
}

}  // namespace
}  // namespace dsim::bench

int main(int argc, char** argv) {
  using namespace dsim;
  int tokens = 4096;
  std::uint64_t seed = 1;
  double tolerance = 0.001;
  int repeat = 1;
  bool reuse = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view flag = argv[i];
      if (flag == "--reuse") {
        reuse = true;
        continue;
      }
      if (i + 1 >= argc) throw std::invalid_argument(std::string(flag));
      if (flag == "--tokens") {
        tokens = std::stoi(argv[++i]);
      } else if (flag == "--seed") {
        seed = std::stoull(argv[++i]);
      } else if (flag == "--tolerance") {
        tolerance = std::stod(argv[++i]);
      } else if (flag == "--repeat") {
        repeat = std::stoi(argv[++i]);
        if (repeat < 1) throw std::invalid_argument(std::string(flag));
      } else {
        throw std::invalid_argument(std::string(flag));
      }
    }
  } catch (const std::exception&) {
    std::fputs("usage: dispatch_bench [--tokens N] [--seed N] [--tolerance R] [--repeat N] [--reuse]\n", stderr);
    return 2;
  }
  fmt::print("dispatch_bench: DeepEP normal dispatch on 2,048 H800 GPUs (MPFT), {} tokens per rank, seed {}, "
             "completion tolerance {}, isolated groups {}\n",
             tokens, seed, tolerance, reuse ? "replayed" : "shared");
  fmt::print("machine: {}\n", bench::machine_description());
  const topology::Cluster cluster(bench::cluster_spec(seed));
  fmt::print("{:<34} {:>9} {:>14} {:>12} {:>12}\n", "layout", "transfers", "dispatch_us", "route_wall_s",
             "sim_wall_s");
  bench::run_layout(cluster, false, tokens, seed, tolerance, repeat, reuse);
  if (repeat == 1) bench::run_layout(cluster, true, tokens, seed, tolerance, repeat, reuse);
  return 0;
}
