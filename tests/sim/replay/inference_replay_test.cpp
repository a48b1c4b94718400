// SPDX-License-Identifier: Apache-2.0
// Inference steps replayed on a small cluster: the dual micro-batch overlap comes out of the replay, with
// computation hidden a decode layer costs two dispatches and two combines back to back, as in [P]'s speed limit, and
// leaving covered links out of the sharing changes no op's time.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "models/compute/compute_model.hpp"
#include "models/network/flow_network.hpp"
#include "sim/replay/replay.hpp"
#include "tests/topology/test_clusters.hpp"
#include "workloads/generators/inference_step.hpp"

namespace dsim::replay {
namespace {

namespace gen = workloads::generators;

// The small test cluster's links (160 GB/s NVLink, 40 GB/s NICs) grown to 4 nodes of 8 GPUs with a NIC each on
// one 32-port switch, with H800-like HBM (3.35 TB/s). V3 with 64 routed experts puts 2 on each of the 32 GPUs, as
// DeepSeek's EP128 decoding does with 256 (a rank's expert weights then read as fast as there), at a sixteenth of the
// flows.
constexpr int ranks = 32;

workloads::ModelConfig model() {
  workloads::ModelConfig config = *workloads::find_model_config("deepseek-v3");
  config.routed_experts = 64;
  return config;
}

topology::ClusterSpec cluster_spec() {
  topology::ClusterSpec spec = testing::small_cluster();
  spec.nodes = 4;
  spec.node.gpus = 8;
  spec.node.pcie.gpus_per_switch = 2;
  spec.node.pcie.nics_per_switch = 2;
  spec.node.nic.count = 8;
  spec.fabric.radix = ranks;
  spec.node.gpu.hbm_bandwidth = units::GBps(3350);
  return spec;
}

gen::InferenceSpec decode(int micro_batches, int layers) {
  gen::InferenceSpec spec;
  spec.phase = gen::InferencePhase::decode;
  spec.ranks = ranks;
  spec.batch_per_rank = 128;
  spec.context_len = 4096;
  spec.micro_batches = micro_batches;
  spec.layers = layers;
  return spec;
}

struct Replayed {
  workloads::StepTrace trace;
  ReplayResult result;
  std::map<std::string, OpId> rank0;  // rank 0's ops by name
  Time comm_busy;                     // rank 0's time in collectives
  Time compute_busy;                  // rank 0's time in compute ops
};

Replayed run(const gen::InferenceSpec& spec,
             topology::Cluster::Routes routes = topology::Cluster::Routes::all) {
  Replayed r{gen::make_inference_step(model(), spec, ranks), {}, {}, {}, {}};
  REQUIRE_FALSE(r.trace.match_transfers().has_value());
  REQUIRE(workloads::find_deadlock(r.trace).empty());
  const topology::Cluster cluster(cluster_spec());
  models::network::FlowNetwork network(cluster, {}, 0.0, routes);
  const models::compute::ComputeModel compute(cluster.spec().node.gpu, 1.0);
  CallPlannerOptions options;
  options.router.experts = 64;
  CallPlanner planner(cluster, options);
  r.result = replay(cluster, r.trace, network, compute, planner);
  for (std::size_t i = 0; i < r.trace.ops().size(); ++i) {
    const workloads::Op& op = r.trace.ops()[i];
    if (op.rank != RankId(0)) continue;
    r.rank0.emplace(op.name, OpId(static_cast<OpId::Value>(i)));
    const Time span = r.result.ops[i].end - r.result.ops[i].start;
    (op.kind == workloads::OpKind::collective ? r.comm_busy : r.compute_busy) += span;
  }
  return r;
}

}  // namespace

TEST_CASE("inference replay: with computation hidden a decode layer takes two dispatches and two combines in a row",
          "[replay]") {
  // [P]'s speed limit: per layer and micro-batch a dispatch then a combine, the second micro-batch's after the
  // first's, nothing in between: 2 x (dispatch + combine). Both micro-batches route 64 tokens the same way (one
  // routing sample), so the step (4 layers, one of them MoE) is 2 x (dispatch + combine) of micro-batch 0, exactly.
  gen::InferenceSpec spec = decode(2, 4);
  spec.compute_hidden = true;
  const Replayed r = run(spec);
  const auto span = [&](const char* name) {
    const auto& rec = r.result.ops[r.rank0.at(name).index()];
    return rec.end - rec.start;
  };
  const Time dispatch = span("L3.mb0.dispatch");
  const Time combine = span("L3.mb0.combine");
  CHECK(span("L3.mb1.dispatch") == dispatch);
  CHECK(span("L3.mb1.combine") == combine);
  CHECK(r.result.ops[r.rank0.at("L3.mb1.dispatch").index()].start ==
        r.result.ops[r.rank0.at("L3.mb0.combine").index()].end);
  CHECK(r.result.makespan == (dispatch + combine) * 2);
}

TEST_CASE("inference replay: two micro-batches hide communication behind each other's computation", "[replay]") {
  // 8 layers (5 MoE) of decode, 128 sequences per rank at 4K context (DeepSeek's decode profile). One micro-batch
  // runs compute and transfers one after the other (only the shared expert overlaps its dispatch). With two, each
  // transfer runs under the other micro-batch's attention or experts: the step is shorter than with one, although
  // two micro-batches read every weight twice (more compute time), and shorter than their compute plus their
  // communication. Nothing here is a formula: the overlap is what the replay of the two streams gives.
  const Replayed one = run(decode(1, 8));
  const Replayed two = run(decode(2, 8));
  INFO("one micro-batch: step " << units::to_us(one.result.makespan) << " us, compute "
                                << units::to_us(one.compute_busy) << " us, comm " << units::to_us(one.comm_busy)
                                << " us");
  INFO("two micro-batches: step " << units::to_us(two.result.makespan) << " us, compute "
                                  << units::to_us(two.compute_busy) << " us, comm " << units::to_us(two.comm_busy)
                                  << " us");
  CHECK(two.compute_busy > one.compute_busy);
  CHECK(two.result.makespan < one.result.makespan);
  CHECK(two.result.makespan < two.compute_busy + two.comm_busy);
  // A dispatch runs while the other micro-batch computes: mb1's attention starts before mb0's dispatch ends.
  const auto& dispatch = two.result.ops[two.rank0.at("L5.mb0.dispatch").index()];
  const auto& attention = two.result.ops[two.rank0.at("L5.mb1.attn0.bf16").index()];
  CHECK(attention.start < dispatch.end);
  CHECK(attention.start >= dispatch.start);
}

TEST_CASE("inference replay: prefill overlaps the normal kernels of one micro-batch with the other's compute",
          "[replay]") {
  // 8 layers of prefill, 4 prompts of 4K per rank (the profile-data prefill: 16K tokens per GPU). Compute dominates,
  // so two micro-batches (each 2 prompts) hide most of the dispatches and combines: their step is shorter than one
  // micro-batch's, whose transfers wait for the compute and the compute for them.
  gen::InferenceSpec spec = decode(1, 8);
  spec.phase = gen::InferencePhase::prefill;
  spec.batch_per_rank = 16'384;
  const Replayed one = run(spec);
  spec.micro_batches = 2;
  const Replayed two = run(spec);
  INFO("one micro-batch: step " << units::to_us(one.result.makespan) << " us, compute "
                                << units::to_us(one.compute_busy) << " us, comm " << units::to_us(one.comm_busy)
                                << " us");
  INFO("two micro-batches: step " << units::to_us(two.result.makespan) << " us, compute "
                                  << units::to_us(two.compute_busy) << " us, comm " << units::to_us(two.comm_busy)
                                  << " us");
  CHECK(two.result.makespan < one.result.makespan);
  CHECK(two.result.makespan < two.compute_busy + two.comm_busy);
}

TEST_CASE("inference replay: leaving out the links covered among GPU-to-GPU routes times every op the same",
          "[replay]") {
  // Prefill with normal DeepEP kernels (RDMA through every GPU's PCIe legs and NIC), two MoE layers and two
  // micro-batches. dsim run builds its network for GPU-to-GPU routes, which also leaves each GPU's PCIe downlink out
  // of the sharing (Cluster::covering_link); it must time every op as a network built for all routes, which keeps
  // that link. The shares are equal in exact arithmetic; here the filling takes the same steps in floating point
  // too, so the times agree to the picosecond. (flow_network_test compares the rates with sharing over every link
  // of every route.)
  gen::InferenceSpec spec = decode(2, 5);  // V3's first three layers are dense: two MoE layers
  spec.phase = gen::InferencePhase::prefill;
  spec.batch_per_rank = 2048;  // prefill: tokens per rank, here two prompts of 1K
  spec.context_len = 1024;
  const Replayed all = run(spec, topology::Cluster::Routes::all);
  const Replayed gpu_to_gpu = run(spec, topology::Cluster::Routes::gpu_to_gpu);
  REQUIRE(all.result.ops.size() == gpu_to_gpu.result.ops.size());
  CHECK(all.result.flows > 1000);
  for (std::size_t i = 0; i < all.result.ops.size(); ++i) {
    INFO("op " << i);
    CHECK(all.result.ops[i].start == gpu_to_gpu.result.ops[i].start);
    CHECK(all.result.ops[i].end == gpu_to_gpu.result.ops[i].end);
  }
  CHECK(all.result.makespan == gpu_to_gpu.result.makespan);
  CHECK(all.result.link_bytes == gpu_to_gpu.result.link_bytes);
}

}  // namespace dsim::replay
