// SPDX-License-Identifier: Apache-2.0
// Training steps replayed on a cluster: scenarios/examples/train-small-moe.json (small-moe on 4 H800 nodes, PP4 x
// DP8, EP8, 16 micro-batches) runs to the end, deterministically; DualPipe beats 1F1B on the same layout; ZeRO-1
// can be left out; and the per-rank breakdown accounts for the whole step.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "sim/report/step_breakdown.hpp"
#include "sim/run/simulation.hpp"
#include "sim/scenario/scenario.hpp"

namespace dsim::run {
namespace {

scenario::Scenario load(std::vector<std::string> overrides = {}) {
  const auto path = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/examples/train-small-moe.json";
  return scenario::load_scenario(path, {std::move(overrides), true});
}

Time step_of(const std::string& schedule, bool data_parallel_sync = true) {
  const scenario::Scenario s = load({"/workload/training/schedule=" + schedule,
                                     std::string("/workload/training/data_parallel_sync=") +
                                         (data_parallel_sync ? "true" : "false")});
  return Simulation(s).run().result.makespan;
}

}  // namespace

TEST_CASE("training run: the small MoE step replays to the end, every op after its dependencies", "[sim]") {
  // The replay itself refuses to return with an op unfinished; here each record is checked against the trace's
  // rules: ready <= start <= end <= makespan, an op starts no earlier than its dependencies end, and the makespan is
  // the last end. Compute ops do work (FLOPs or bytes), so all but the empty markers take time.
  const scenario::Scenario s = load();
  const RunOutput out = Simulation(s).run();
  const auto& ops = out.trace.ops();
  REQUIRE(out.result.ops.size() == ops.size());
  REQUIRE(ops.size() > 10'000);
  Time last;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const replay::OpRecord& r = out.result.ops[i];
    INFO(ops[i].name << " on rank " << ops[i].rank.value());
    CHECK(r.ready <= r.start);
    CHECK(r.start <= r.end);
    for (const OpId dep : ops[i].deps) CHECK(out.result.ops[dep.index()].end <= r.start);
    if (ops[i].kind == workloads::OpKind::compute && ops[i].name.find("nothing") == std::string::npos) {
      CHECK(r.end > r.start);
    }
    last = std::max(last, r.end);
  }
  CHECK(last == out.result.makespan);
  CHECK(out.result.makespan > Time::zero());
  REQUIRE(out.figures.training.has_value());
  CHECK(out.figures.training->tokens_per_step == 65'536);
}

TEST_CASE("training run: the same scenario run twice gives identical op times", "[sim]") {
  // A run is a function of (scenario, seed): two runs of one Simulation and a run of a second one agree to the
  // picosecond on every op.
  const scenario::Scenario s = load();
  const Simulation first(s);
  const RunOutput a = first.run();
  const RunOutput b = first.run();
  const RunOutput c = Simulation(s).run();
  REQUIRE(a.result.ops.size() == b.result.ops.size());
  REQUIRE(a.result.ops.size() == c.result.ops.size());
  for (std::size_t i = 0; i < a.result.ops.size(); ++i) {
    CHECK(a.result.ops[i].start == b.result.ops[i].start);
    CHECK(a.result.ops[i].end == b.result.ops[i].end);
    CHECK(a.result.ops[i].end == c.result.ops[i].end);
  }
  CHECK(a.result.makespan == c.result.makespan);
}

TEST_CASE("training run: DualPipe's step is shorter than 1F1B's on the same layout", "[sim]") {
  // Same model, layout and 16 micro-batches. 1F1B idles (PP-1)(F+B) per rank and exposes every dispatch and
  // combine; DualPipe's bubble is (PP/2-1)(F&B+B-3W) and it runs one micro-batch's all-to-all under another's
  // compute ([R] 3.2.1). The pipelines alone (no ZeRO-1 tail), observed: 1F1B 1,252.7 us, DualPipe 867.2 us, 30.8%
  // shorter; checked at 20% or better. With the tail DualPipe pays for its two parameter copies: pipeline ranks r
  // and P-1-r hold the same stages, so its ZeRO-1 group doubles (here from one node's NVLink to two nodes over
  // InfiniBand): 1,194.6 us against 1,286.8 us, still shorter.
  const Time dualpipe = step_of("dualpipe", false);
  const Time one_f_one_b = step_of("one_f_one_b", false);
  INFO("DualPipe " << dualpipe.ps() << " ps, 1F1B " << one_f_one_b.ps() << " ps");
  CHECK(static_cast<double>(dualpipe.ps()) <= 0.8 * static_cast<double>(one_f_one_b.ps()));
  CHECK(step_of("dualpipe") < step_of("one_f_one_b"));
}

TEST_CASE("training run: without data-parallel sync the step has no reduce-scatter, all-gather or optimizer step",
          "[sim]") {
  // data_parallel_sync false drops ZeRO-1's tail (gradient reduce-scatter, shard update, parameter all-gather): no
  // call of those kinds, no optimizer-phase op, and the step gets no longer.
  const scenario::Scenario with = load();
  const scenario::Scenario without = load({"/workload/training/data_parallel_sync=false"});
  const RunOutput synced = Simulation(with).run();
  const RunOutput bare = Simulation(without).run();
  for (const auto& call : bare.trace.calls()) {
    CHECK(call.kind != workloads::CollectiveOp::reduce_scatter);
    CHECK(call.kind != workloads::CollectiveOp::all_gather);
  }
  for (const auto& op : bare.trace.ops()) CHECK(op.phase != workloads::Phase::optimizer);
  CHECK(bare.trace.ops().size() < synced.trace.ops().size());
  CHECK(bare.result.makespan <= synced.result.makespan);
}

TEST_CASE("training run: on every rank compute, exposed communication and bubble add up to the step", "[sim]") {
  // The breakdown's three parts cover the step on each rank: compute + exposed + bubble = step, none negative.
  // Each part is checked against an independent count: compute ops run on one stream per rank, so their union is
  // the sum of their durations (and the per-phase times add up to it); exposed communication and bubble come from a
  // sweep over every op's start and end, counting the time with communication but no compute, and with neither.
  const scenario::Scenario s = load();
  const Simulation sim(s);
  const RunOutput out = sim.run();
  const report::RunView view{s, sim.cluster(), out, {}};
  const report::StepBreakdown b = report::step_breakdown(view);
  REQUIRE(b.active_ranks == 32);
  std::vector<Time> busy(32);
  // Per rank: (time, +1/-1 on compute, +1/-1 on communication) at each op's start and end.
  std::vector<std::vector<std::tuple<Time, int, int>>> edges(32);
  for (std::size_t i = 0; i < out.trace.ops().size(); ++i) {
    const auto& op = out.trace.ops()[i];
    const auto& r = out.result.ops[i];
    const bool compute = op.kind == workloads::OpKind::compute;
    if (compute) busy[op.rank.index()] += r.end - r.start;
    edges[op.rank.index()].emplace_back(r.start, compute ? 1 : 0, compute ? 0 : 1);
    edges[op.rank.index()].emplace_back(r.end, compute ? -1 : 0, compute ? 0 : -1);
  }
  std::vector<Time> exposed(32);
  std::vector<Time> idle(32);
  for (std::size_t r = 0; r < 32; ++r) {
    std::sort(edges[r].begin(), edges[r].end());
    int computing = 0;
    int communicating = 0;
    Time at;
    for (const auto& [t, dc, dm] : edges[r]) {
      if (computing == 0 && communicating > 0) exposed[r] += t - at;
      if (computing == 0 && communicating == 0) idle[r] += t - at;
      computing += dc;
      communicating += dm;
      at = t;
    }
    idle[r] += b.step - at;
  }
  for (std::size_t r = 0; r < 32; ++r) {
    INFO("rank " << r);
    const report::RankBreakdown& rank = b.ranks[r];
    CHECK(rank.compute + rank.exposed_comm + rank.bubble == b.step);
    CHECK(rank.compute > Time::zero());
    CHECK(rank.exposed_comm >= Time::zero());
    CHECK(rank.bubble >= Time::zero());
    CHECK(rank.compute == busy[r]);
    CHECK(rank.exposed_comm == exposed[r]);
    CHECK(rank.bubble == idle[r]);
    Time phases;
    for (const Time t : rank.compute_by_phase) phases += t;
    CHECK(phases == rank.compute);
  }
}

TEST_CASE("training run: replaying isolated groups gives the same op times as sharing every flow", "[sim]") {
  // The small MoE step with completion tolerance 0, once with /models/network/reuse_isolated_groups on (DeepEP
  // dispatches and combines that find their links idle run from the flow network's cache) and once off. Max-min
  // sharing splits into independent parts, so every op's ready, start and end time must agree to the picosecond,
  // and so must the bytes on every link; the run with reuse on must have replayed groups (else this compares
  // nothing), some of them from the cache, and the run with it off none.
  const auto run = [](bool reuse) {
    const scenario::Scenario s = load({"/models/network/completion_tolerance=0",
                                       std::string("/models/network/reuse_isolated_groups=") +
                                           (reuse ? "true" : "false")});
    return Simulation(s).run();
  };
  const RunOutput on = run(true);
  const RunOutput off = run(false);
  REQUIRE(on.result.ops.size() == off.result.ops.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < on.result.ops.size(); ++i) {
    const replay::OpRecord& a = on.result.ops[i];
    const replay::OpRecord& b = off.result.ops[i];
    if (a.ready != b.ready || a.start != b.start || a.end != b.end) {
      if (differing++ < 5) {  // the first few, with their times
        INFO("op " << i << ": " << on.trace.ops()[i].name << " on rank " << on.trace.ops()[i].rank.value()
                   << ", replayed " << a.start.ps() << " .. " << a.end.ps() << " ps, shared " << b.start.ps()
                   << " .. " << b.end.ps() << " ps");
        CHECK(a.end == b.end);
      }
    }
  }
  CHECK(differing == 0);
  CHECK(on.result.makespan == off.result.makespan);
  CHECK(on.result.link_bytes == off.result.link_bytes);
  const models::network::GroupReplayStats& groups = on.result.group_replay;
  INFO("groups " << groups.groups << ", replayed " << groups.replayed_groups << ", restored "
                 << groups.restored_groups << ", cached " << groups.cached_groups);
  CHECK(groups.replayed_groups > 0);
  CHECK(groups.cached_groups < groups.replayed_groups);
  CHECK(off.result.group_replay.groups == 0);
  CHECK(off.result.group_replay.replayed_groups == 0);
}

}  // namespace dsim::run

namespace dsim::run {

TEST_CASE("training run: a completion tolerance of 0.05 moves a V3 step by under two percent", "[validation]") {
  // scenarios/v3/train-2048-mpft.json runs its tens of millions of flows with completion_tolerance 0.05 (a flow
  // ending within 5% of its own duration of a batch of ends ends with them, at its own time). Checked here on the
  // same scenario cut to 64 nodes (512 GPUs = PP4 x DP128, EP64, 8 layers, 8 micro-batches per pipeline) against
  // the default 0.001. The cut-down step is dominated by ZeRO-1's 256-rank rings, whose chains of dependent
  // transfers collect the most from early ends. Observed with the roofline 1.2236 s against 1.2169 s (0.55%, bound
  // 1%); with the scenario's measured H100 kernel table 1.4645 s against 1.4674 s (0.20%, bound 2%): slower compute
  // leaves more of the rings exposed, where the early ends accumulate. (Sharing every flow, before isolated groups
  // were replayed: 1.2068 against 1.2033 s and 1.4529 against 1.4719 s.)
  const auto path = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/v3/train-2048-mpft.json";
  const std::vector<std::string> cut = {"/cluster/nodes=64", "/workload/training/pp=4",
                                        "/workload/training/global_batch_sequences=1024", "/workload/model/layers=8"};
  auto step = [&](const std::string& tolerance, bool roofline) {
    std::vector<std::string> overrides = cut;
    overrides.push_back("/models/network/completion_tolerance=" + tolerance);
    if (roofline) overrides.push_back("/models/compute/kernel_table=");  // an empty path: no table
    const scenario::Scenario s = scenario::load_scenario(path, {overrides, true});
    return units::to_seconds(Simulation(s).run().result.makespan);
  };
  CHECK(step("0.05", true) == Approx(step("0.001", true)).epsilon(0.01));
  CHECK(step("0.05", false) == Approx(step("0.001", false)).epsilon(0.02));
}

TEST_CASE("training run: at the V3 step's tolerance, replaying isolated groups moves the cut step by under two percent",
          "[validation]") {
  // The cut-down V3 step of the test above, with the scenario's completion tolerance 0.05 and kernel table, with and
  // without replaying isolated groups. At tolerance 0 the two agree to the picosecond (the small MoE test above);
  // with a tolerance the early ends are chosen among a replayed group's own flows rather than among all of the
  // network's, which also changes which ring transfers end early with others. Observed 1.4645 s replayed against
  // 1.4529 s shared (0.80%); exact sharing (tolerance 0) gives 1.4574 s, between the two. The full 2,048-GPU step
  // moves by 0.04% (17.8184 against 17.8115 s), where the groups are most of the traffic.
  const auto path = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/v3/train-2048-mpft.json";
  auto step = [&](bool reuse) {
    const std::vector<std::string> overrides = {
        "/cluster/nodes=64", "/workload/training/pp=4", "/workload/training/global_batch_sequences=1024",
        "/workload/model/layers=8", std::string("/models/network/reuse_isolated_groups=") + (reuse ? "true" : "false")};
    const scenario::Scenario s = scenario::load_scenario(path, {overrides, true});
    const RunOutput out = Simulation(s).run();
    if (reuse) CHECK(out.result.group_replay.replayed_groups > out.result.group_replay.groups / 2);
    return units::to_seconds(out.result.makespan);
  };
  CHECK(step(true) == Approx(step(false)).epsilon(0.02));
}

}  // namespace dsim::run
