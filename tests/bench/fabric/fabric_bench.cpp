// SPDX-License-Identifier: Apache-2.0
// Build time, peak memory and next-hop throughput of the large fabrics: the 16,384-endpoint MPFT (2,048 nodes x 8
// NICs), the 65,536-endpoint FT3 and the full Dragonfly of Table 3 (261,632 endpoints), all of 64-port switches.
//
// Each fabric is built in a child process (fork), so its peak resident memory (VmHWM of /proc/self/status) is its
// own. Throughput: next_hops on random (switch, destination leaf) pairs, and whole routes: from a random endpoint's
// leaf to another's, one next_hops call per hop with a pseudo-random ECMP choice. Pairs are drawn in advance from a
// seeded stream, so the RNG is not timed. Usage: fabric_bench [mpft|ft3|dragonfly]... (default: all three).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sim/core/rng.hpp"
#include "topology/fabrics/fabric.hpp"

namespace dsim::bench {
namespace {

using topology::Fabric;
using topology::FabricKind;
using topology::FabricSpec;

struct BenchCase {
  std::string_view name;
  FabricSpec spec;
  std::uint32_t endpoints;
  std::uint32_t per_node;
};

std::vector<BenchCase> cases() {
  FabricSpec mpft;
  mpft.kind = FabricKind::multi_plane_fat_tree;
  mpft.planes = 8;
  FabricSpec ft3;
  ft3.kind = FabricKind::fat_tree_3;
  FabricSpec dragonfly;
  dragonfly.kind = FabricKind::dragonfly;
  dragonfly.dragonfly_groups = 511;  // Table 3's row
  return {{"mpft", mpft, 16384, 8}, {"ft3", ft3, 65536, 8}, {"dragonfly", dragonfly, 261632, 8}};
}

// Peak resident set size of this process in MiB (VmHWM), or -1 if /proc is unavailable.
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // the value is in kB
  }
  return -1.0;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run(const BenchCase& c) {
  const auto start = std::chrono::steady_clock::now();
  const Fabric fabric = topology::build_fabric(c.spec, c.endpoints, c.per_node, "/bench");
  const double build_s = seconds_since(start);
  const topology::FabricCounts counts = fabric.counts();
  fmt::print("{:<9}  {:>7} endpoints  {:>6} switches  {:>7} switch links  build {:.3f} s  peak RSS {:.1f} MiB\n",
             c.name, counts.endpoints, counts.switches, counts.switch_links, build_s, peak_rss_mib());

  core::RngStream rng(1, "fabric_bench.pairs");
  constexpr std::size_t pairs = 1 << 20;
  std::vector<std::uint32_t> from(pairs);
  std::vector<std::uint32_t> to(pairs);
  for (std::size_t i = 0; i < pairs; ++i) {
    from[i] = static_cast<std::uint32_t>(rng.uniform_below(fabric.switch_count()));
    to[i] = fabric.switch_of_endpoint(static_cast<std::uint32_t>(rng.uniform_below(fabric.endpoint_count())));
  }
  std::uint64_t checksum = 0;  // keeps the calls from being optimised away
  auto t = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < pairs; ++i) checksum += fabric.next_hops(from[i], to[i]).size();
  const double calls_s = seconds_since(t);

  // Routes between random endpoints; on the MPFT the destination is moved to the source's plane (NIC index), as
  // traffic between planes is forwarded inside a node before it enters the fabric.
  constexpr std::size_t routes = 1 << 18;
  const std::uint32_t planes = static_cast<std::uint32_t>(c.spec.planes);
  std::vector<std::uint32_t> src(routes);
  std::vector<std::uint32_t> dst(routes);
  for (std::size_t i = 0; i < routes; ++i) {
    src[i] = static_cast<std::uint32_t>(rng.uniform_below(fabric.endpoint_count()));
    const auto e = static_cast<std::uint32_t>(rng.uniform_below(fabric.endpoint_count()));
    dst[i] = e - e % planes + src[i] % planes;
  }
  std::uint64_t hops = 0;
  t = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < routes; ++i) {
    std::uint32_t at = fabric.switch_of_endpoint(src[i]);
    const std::uint32_t leaf = fabric.switch_of_endpoint(dst[i]);
    std::uint64_t choice = src[i] * 2654435761u + dst[i];
    while (at != leaf) {
      const auto next = fabric.next_hops(at, leaf);
      at = next[choice % next.size()];
      choice = choice * 6364136223846793005u + 1442695040888963407u;
      ++hops;
    }
  }
  const double routes_s = seconds_since(t);
  fmt::print("{:<9}  next_hops: {:.2f} M calls/s ({:.0f} ns each)  routes: {:.2f} M/s ({:.2f} hops each)  [{}]\n",
             c.name, static_cast<double>(pairs) / calls_s / 1e6, calls_s / static_cast<double>(pairs) * 1e9,
             static_cast<double>(routes) / routes_s / 1e6, static_cast<double>(hops) / static_cast<double>(routes),
             checksum);
}

}  // namespace
}  // namespace dsim::bench

int main(int argc, char** argv) {
  std::vector<std::string_view> wanted(argv + 1, argv + argc);
  int status = 0;
  for (const dsim::bench::BenchCase& c : dsim::bench::cases()) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), c.name) == wanted.end()) continue;
    std::fflush(stdout);
    const pid_t child = fork();
    if (child == 0) {
      try {
        dsim::bench::run(c);
      } catch (const std::exception& error) {
        fmt::print(stderr, "{}: {}\n", c.name, error.what());
        std::fflush(stdout);
        _exit(1);
      }
      std::fflush(stdout);
      _exit(0);
    }
    int child_status = 0;
    waitpid(child, &child_status, 0);
    if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0) status = 1;
  }
  return status;
}
