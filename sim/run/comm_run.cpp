// SPDX-License-Identifier: Apache-2.0
#include "sim/run/comm_run.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "models/collectives/moe/expert_placement.hpp"
#include "models/collectives/moe/moe_traffic.hpp"
#include "models/collectives/plan_runner.hpp"
#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"
#include "sim/run/network_factory.hpp"

namespace dsim::run {
namespace {

namespace mc = models::collectives;
namespace moe = models::collectives::moe;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Host reads that last far longer than any collective; they are left running when the collective ends.
constexpr double endless_seconds = 1000.0;

// Runs `plan` on a fresh network beside every GPU's host reads at `host_read` each; fills the timing fields.
CommKernelResult time_plan(const scenario::Scenario& scenario, const topology::Cluster& cluster,
                           const mc::CommPlan& plan, const std::vector<GpuId>& group, Bandwidth host_read) {
  const auto network = make_network(scenario.models, cluster,
                                    host_read.Bps() > 0 ? topology::Cluster::Routes::all
                                                        : topology::Cluster::Routes::gpu_to_gpu);
  mc::PlanRunner runner(*network);
  mc::CommPlan background;
  const Bytes endless(static_cast<std::uint64_t>(host_read.Bps() * endless_seconds));
  if (host_read.Bps() > 0) {
    const std::uint32_t phase = background.phase("host read");
    for (const GpuId gpu : group) {
      background.host_read(gpu, endless, {}, phase, background.limit(host_read));
    }
  }
  const mc::PlanHandle main = runner.start(plan);
  runner.start(background);
  std::vector<mc::PlanHandle> done;
  while (std::find(done.begin(), done.end(), main) == done.end()) {
    const Time next = runner.next_event();
    DSIM_CHECK(!next.is_infinite(), "a communication plan stalled");
    runner.advance_to(next, done);
  }
  CommKernelResult result;
  result.host_read_rate = host_read;
  result.time = runner.finished_at(main);
  result.transfers = static_cast<std::uint64_t>(
      std::count_if(plan.steps().begin(), plan.steps().end(),
                    [](const mc::Step& s) { return s.kind == mc::StepKind::transfer; }));
  // Link bytes of the collective alone: the host reads cross only host-memory and PCIe links, and are taken off.
  const auto& bytes = network->link_bytes();
  for (std::size_t l = 0; l < bytes.size(); ++l) {
    result.bytes_by_link_kind[static_cast<std::size_t>(cluster.links()[l].kind)] += bytes[l];
  }
  // The network counts a flow's bytes when it starts, so the endless reads' full sizes are taken off again.
  for (const mc::Step& step : background.steps()) {
    for (const LinkId l : cluster.host_to_gpu(step.dst)) {
      result.bytes_by_link_kind[static_cast<std::size_t>(cluster.link(l).kind)] -= step.size.count();
    }
  }
  const auto& spans = runner.spans(main);
  std::map<std::uint32_t, Time> gpu_end;
  for (mc::StepId s = 0; s < plan.steps().size(); ++s) {
    const mc::Step& step = plan.step(s);
    for (const GpuId gpu : {step.src, step.dst}) {
      Time& end = gpu_end[gpu.value()];
      end = std::max(end, spans[s].end);
    }
  }
  Time total = Time::zero();
  for (const GpuId gpu : group) {
    const auto it = gpu_end.find(gpu.value());
    result.rank_end.push_back(it == gpu_end.end() ? Time::zero() : it->second);
    total += result.rank_end.back();
  }
  result.mean_rank_time = Time::from_ps(total.ps() / static_cast<std::int64_t>(group.size()));
  // Each phase's span: its first step's start to its last step's end.
  std::map<std::uint32_t, PhaseSpan> phases;
  for (mc::StepId s = 0; s < plan.steps().size(); ++s) {
    const std::uint32_t p = plan.step(s).phase;
    auto [it, fresh] = phases.emplace(p, PhaseSpan{plan.phases()[p], spans[s].start, spans[s].end});
    if (!fresh) {
      it->second.start = std::min(it->second.start, spans[s].start);
      it->second.end = std::max(it->second.end, spans[s].end);
    }
  }
  for (auto& [index, span] : phases) result.phases.push_back(std::move(span));
  return result;
}

double per_second(double bytes, Time time) { return time > Time::zero() ? bytes / units::to_seconds(time) : 0.0; }

void run_collective(const scenario::Scenario& scenario, const topology::Cluster& cluster, CommResult& out) {
  const auto& request = scenario.comm.collective;
  const mc::CommPlan plan = mc::plan_collective(request);
  const auto start = Clock::now();
  for (const Bandwidth host_read : scenario.comm.host_read_rate) {
    CommKernelResult r = time_plan(scenario, cluster, plan, request.group, host_read);
    r.name = scenario.comm.kind;
    r.size = request.size;
    r.algbw_GBps = units::to_GBps(Bandwidth::from_Bps(per_second(static_cast<double>(request.size.count()), r.time)));
    r.busbw_GBps = r.algbw_GBps * mc::bus_bandwidth_factor(request.kind, static_cast<int>(request.group.size()));
    out.kernels.push_back(std::move(r));
  }
  out.simulate_wall_seconds += seconds_since(start);
}

void run_moe(const scenario::Scenario& scenario, const topology::Cluster& cluster, CommResult& out) {
  const auto& spec = scenario.comm;
  const auto& group = spec.collective.group;
  const auto route_start = Clock::now();
  const moe::Router router(spec.router);
  std::vector<double> load;
  if (spec.redundant_experts > 0) load = router.expected_load();
  const moe::ExpertPlacement placement(spec.router.experts, group, cluster.spec().node.gpus, spec.redundant_experts,
                                       load);
  const moe::MoeTraffic traffic = moe::aggregate_traffic(router, placement, spec.tokens_per_rank);
  out.routing_wall_seconds += seconds_since(route_start);

  out.moe = true;
  const double ranks = static_cast<double>(group.size());
  std::uint64_t node_tokens = 0;
  std::uint64_t received_max = 0;
  std::uint64_t received_total = 0;
  for (std::size_t r = 0; r < group.size(); ++r) {
    node_tokens += traffic.node_tokens[r];
    out.routing.max_nodes_per_token = std::max(out.routing.max_nodes_per_token, traffic.nodes_per_token_max[r]);
    received_max = std::max(received_max, traffic.received_tokens[r]);
    received_total += traffic.received_tokens[r];
  }
  const double tokens = ranks * spec.tokens_per_rank;
  out.routing.nodes_per_token = tokens > 0 ? static_cast<double>(node_tokens) / tokens : 0.0;
  out.routing.received_imbalance =
      received_total > 0 ? static_cast<double>(received_max) / (static_cast<double>(received_total) / ranks) : 0.0;
  out.routing.occupied_sms = spec.kernel.occupied_sms();

  const bool one_node = traffic.single_node() && spec.kernel.mode == moe::DeepEpMode::normal;
  const std::string column = spec.kernel.mode == moe::DeepEpMode::low_latency ? "RDMA+NVL" : one_node ? "NVL" : "RDMA";
  const auto sim_start = Clock::now();
  for (const Bandwidth host_read : spec.host_read_rate) {
    for (const bool dispatch : {true, false}) {
      const mc::CommPlan plan = dispatch ? moe::plan_dispatch(traffic, spec.kernel) : moe::plan_combine(traffic, spec.kernel);
      CommKernelResult r = time_plan(scenario, cluster, plan, group, host_read);
      r.name = dispatch ? "dispatch" : "combine";
      double bandwidth = 0;
      for (std::size_t rank = 0; rank < group.size(); ++rank) {
        bandwidth += per_second(moe::logical_bytes(traffic, spec.kernel, dispatch, rank), r.rank_end[rank]);
      }
      r.size = Bytes(static_cast<std::uint64_t>(moe::logical_bytes(traffic, spec.kernel, dispatch, 0)));
      r.deepep_GBps = units::to_GBps(Bandwidth::from_Bps(bandwidth / ranks));
      r.deepep_column = column;
      out.kernels.push_back(std::move(r));
    }
  }
  out.simulate_wall_seconds += seconds_since(sim_start);
}

}  // namespace

CommResult run_comm(const scenario::Scenario& scenario) {
  DSIM_CHECK(scenario.has_comm, "run_comm on a scenario without /comm");
  std::vector<topology::FabricKind> fabrics = scenario.comm.compare_fabrics;
  if (fabrics.empty()) fabrics.push_back(scenario.cluster.fabric.kind);
  CommResult out;
  for (const topology::FabricKind fabric : fabrics) {
    topology::ClusterSpec spec = scenario.cluster;
    const auto planar = [](topology::FabricKind k) {
      return k == topology::FabricKind::multi_plane_fat_tree || k == topology::FabricKind::multi_rail_fat_tree;
    };
    if (!planar(fabric)) spec.fabric.planes = 1;
    if (planar(fabric) && !planar(spec.fabric.kind)) spec.fabric.planes = spec.node.nic.count;
    spec.fabric.kind = fabric;
    std::optional<topology::Cluster> built;
    try {
      built.emplace(spec);
    } catch (const InputError& e) {
      throw InputError("", "compare_fabrics",
                       fmt::format("fabric {} cannot hold the cluster: {}", to_string(fabric), e.message()));
    }
    const topology::Cluster& cluster = *built;
    const std::size_t first = out.kernels.size();
    if (scenario.comm.moe) {
      run_moe(scenario, cluster, out);
    } else {
      run_collective(scenario, cluster, out);
    }
    for (std::size_t k = first; k < out.kernels.size(); ++k) out.kernels[k].fabric = std::string(to_string(fabric));
  }
  return out;
}

}  // namespace dsim::run
