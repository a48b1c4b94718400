// SPDX-License-Identifier: Apache-2.0
// Defaults describe an H800 SXM HGX node ([P] = Zhao et al., ISCA 2025, arXiv 2505.09343; [R] = DeepSeek-V3
// technical report, arXiv 2412.19437). Latencies are first estimates, to be replaced by fits to measurements
// (issues 5 and 7); they are parameters so a user can set their own.
#include "sim/scenario/scenario_params.hpp"

namespace dsim::scenario {

ParamTable make_scenario_params() {
  ParamTable t;
  t.string("/name", "Name of the scenario, used in reports (default: the file name without .json).").optional();
  t.integer("/seed", "Seed of every random stream of the run; same scenario and seed give identical output.")
      .defaults(1)
      .at_least(0);

  t.object("/cluster", "The hardware: nodes of GPUs joined by a fabric.");
  t.integer("/cluster/nodes", "Number of nodes.").unit("nodes").defaults(2).at_least(1);
  t.integer("/cluster/gpus_per_node", "GPUs per node; each has its own scale-out NIC.")
      .unit("GPUs")
      .defaults(8)
      .in_range(1, 1024);

  t.object("/cluster/gpu", "The GPU model (defaults: H800 SXM, same dense peaks as H100 SXM [P]).");
  t.string("/cluster/gpu/model", "GPU name shown in reports.").defaults("H800 SXM");
  t.number("/cluster/gpu/fp8_TFLOPS", "Dense FP8 peak.").unit("TFLOP/s").defaults(1979.0).positive();
  t.number("/cluster/gpu/bf16_TFLOPS", "Dense BF16 peak.").unit("TFLOP/s").defaults(989.0).positive();
  t.number("/cluster/gpu/fp32_TFLOPS", "FP32 peak (non-tensor-core).").unit("TFLOP/s").defaults(67.0).positive();
  t.integer("/cluster/gpu/sm_count", "Streaming multiprocessors per GPU.").unit("SMs").defaults(132).at_least(1);

  t.object("/cluster/nvlink", "Scale-up domain: every GPU of a node reaches the others through NVSwitch.");
  t.number("/cluster/nvlink/bandwidth_GBps",
           "NVLink bandwidth per GPU per direction (H800: 400 GB/s total = 200 GB/s each way).")
      .unit("GB/s")
      .defaults(200.0)
      .positive();
  t.number("/cluster/nvlink/efficiency",
           "Achievable fraction of NVLink bandwidth (about 160 of 200 GB/s on H800 [P]).")
      .defaults(0.8)
      .positive()
      .at_most(1.0);
  t.number("/cluster/nvlink/latency_us", "Fixed cost of one NVLink transfer.").unit("us").defaults(1.0).at_least(0.0);

  t.object("/cluster/nic", "Scale-out NICs: one per GPU (8 x 400G ConnectX-7 InfiniBand on H800 nodes [P]).");
  t.number("/cluster/nic/bandwidth_gbps", "NIC port speed per direction.").unit("Gb/s").defaults(400.0).positive();
  t.number("/cluster/nic/efficiency", "Achievable fraction of NIC bandwidth (about 40 of 50 GB/s [P]).")
      .defaults(0.8)
      .positive()
      .at_most(1.0);
  t.number("/cluster/nic/latency_us", "Fixed cost of one RDMA transfer, NIC to NIC, excluding switches.")
      .unit("us")
      .defaults(2.0)
      .at_least(0.0);

  t.object("/cluster/fabric", "The scale-out network joining the NICs.");
  t.choice("/cluster/fabric/kind", {"single_switch"}, "Fabric: single_switch cables every NIC to one switch.")
      .defaults("single_switch");
  t.number("/cluster/fabric/switch_latency_us", "Latency of one switch traversal.")
      .unit("us")
      .defaults(0.2)
      .at_least(0.0);

  t.object("/models", "Which performance models time the run, and their parameters.");
  t.object("/models/network", "The network model.");
  t.choice("/models/network/kind", {"simple"},
           "simple: a flow gets its route's bottleneck bandwidth, no sharing between flows.")
      .defaults("simple");
  t.object("/models/compute", "The compute model for ops given as FLOPs.");
  t.number("/models/compute/efficiency", "Fraction of dense peak a kernel achieves (1 = peak).")
      .defaults(1.0)
      .positive()
      .at_most(1.0);

  t.object("/workload", "What runs on the cluster.").required();
  t.choice("/workload/kind", {"trace"}, "trace: an explicit per-rank list of ops in /workload/trace.")
      .defaults("trace");
  t.object("/workload/trace", "An explicit step trace. Ranks are GPU indices: node x gpus_per_node + local index.")
      .required();
  t.array("/workload/trace/ranks", ParamType::object, "The ranks that have ops; a rank not listed stays idle.")
      .required();
  t.integer("/workload/trace/ranks/*/rank", "The GPU this list of ops runs on.").required().at_least(0);
  t.array("/workload/trace/ranks/*/ops", ParamType::object,
          "Ops in issue order. Ops of one stream run one at a time in this order; a send and its matching recv "
          "(the k-th send from a to b pairs with the k-th recv on b from a) start together once both are ready.")
      .required();
  const std::string op = "/workload/trace/ranks/*/ops/*";
  t.string(op + "/name", "Name of the op, unique on its rank.").required();
  t.choice(op + "/kind", {"compute", "send", "recv"}, "What the op does.").required();
  t.string(op + "/stream", "Stream the op runs on (default: compute for compute ops, comm for send and recv).")
      .optional();
  t.array(op + "/deps", ParamType::string, "Names of ops on the same rank that must finish before this one starts.")
      .defaults(nlohmann::json::array());
  t.number(op + "/duration_us", "compute: fixed duration (give this or flops).").unit("us").optional().at_least(0.0);
  t.number(op + "/flops", "compute: floating-point operations, timed by the compute model (give this or "
                          "duration_us).")
      .unit("FLOP")
      .optional()
      .at_least(0.0);
  t.choice(op + "/dtype", {"fp8", "bf16", "fp32"}, "compute: numeric format of the FLOPs (default bf16).").optional();
  t.integer(op + "/peer", "send/recv: the other rank.").optional().at_least(0);
  t.integer(op + "/size_bytes", "send/recv: bytes transferred.").unit("bytes").optional().at_least(0);
  return t;
}

}  // namespace dsim::scenario
