// SPDX-License-Identifier: Apache-2.0
// The table of every scenario parameter; the /cluster section is declared beside its reader (cluster_section.cpp).
#include "sim/scenario/scenario_params.hpp"

#include "sim/core/dtype.hpp"
#include "sim/scenario/cluster_section.hpp"
#include "sim/scenario/comm_section.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/workload_section.hpp"

namespace dsim::scenario {

ParamTable make_scenario_params() {
  ParamTable t;
  t.string("/name", "Name of the scenario, used in reports (default: the file name without .json).").optional();
  t.integer("/seed", "Seed of every random stream of the run; same scenario and seed give identical output.")
      .defaults(1)
      .at_least(0);

  declare_cluster_params(t);
  t.object("/report", "How reports print.");
  t.string("/report/table_label", "`dsim topo`: print the fabric's cost-table row under this label (e.g. FT2).")
      .optional();
  t.integer("/report/cost_per_endpoint_decimals", "`dsim topo`: decimals of the row's cost per endpoint, in $k.")
      .defaults(2)
      .in_range(0, 3);
  t.array("/report/detail_ranks", ParamType::integer,
          "`dsim run`: ranks whose ops go into ops.csv and timeline.json (summary.json always covers all). Empty: "
          "every rank when the trace has at most detail_max_ops ops, otherwise 16 ranks evenly spaced (rank "
          "i x ranks / 16: for a PP16 layout, the first GPU of each pipeline stage).")
      .defaults(nlohmann::json::array());
  t.integer("/report/detail_max_ops", "`dsim run`: the most ops ops.csv and timeline.json hold before ranks are "
                                      "sampled (a timeline much larger than this no longer opens in Perfetto).")
      .defaults(2000000)
      .at_least(1);

  t.object("/models", "Which performance models time the run, and their parameters.");
  t.object("/models/network", "The network model.");
  t.choice("/models/network/kind", enum_names(network_model_names),
           "flow: flows share links max-min fairly, re-shared as flows start and end; simple: a flow gets its "
           "route's bottleneck bandwidth, no sharing (an uncongested lower bound).")
      .defaults("flow");
  t.object("/models/network/message_overhead_us",
           "Fixed cost of one message (one transfer) by transport, paid once per flow on top of the route's link "
           "latencies; first estimates in the range of NCCL's per-protocol base latencies.");
  t.number("/models/network/message_overhead_us/nvlink", "A copy inside the scale-up domain.")
      .unit("us")
      .defaults(0.5)
      .non_negative();
  t.number("/models/network/message_overhead_us/rdma", "An RDMA write through a NIC (also when PXN moves it over "
                                                       "NVLink first).")
      .unit("us")
      .defaults(1.0)
      .non_negative();
  t.number("/models/network/message_overhead_us/pcie", "A DMA over PCIe only (host memory to GPU, GPUs without "
                                                        "NVLink).")
      .unit("us")
      .defaults(2.0)
      .non_negative();
  t.number("/models/network/completion_tolerance",
           "flow: flows whose bytes end within this fraction of the first one's duration end with it and the rest "
           "are re-shared once (0: exact). Moves other flows' ends by about this fraction; makes runs with many "
           "near-simultaneous ends much faster.")
      .defaults(0.001)
      .in_range(0.0, 0.1);
  t.boolean("/models/network/reuse_isolated_groups",
            "flow: a plan whose transfers all start together (a DeepEP dispatch or combine) and find their links idle "
            "runs from a cached run of the same transfers alone, until another flow touches a link one of them still "
            "uses; max-min sharing splits into independent parts, so with completion_tolerance 0 the times are "
            "those of sharing every flow, bit for bit (with a tolerance, early ends are chosen within each group; "
            "see docs/network-model.md). false: share every flow.")
      .defaults(true);
  t.object("/models/collectives", "Parameters of the communication kernels.");
  t.number("/models/collectives/copy_GBps_per_sm",
           "NVLink store bandwidth one SM drives; a kernel on S SMs pushes NVLink copies from S/2 of them (0: no "
           "SM limit). Default fitted to DeepEP's intranode test (153 GB/s on 24 SMs, see docs/network-model.md).")
      .unit("GB/s")
      .defaults(11.2)
      .non_negative();
  t.number("/models/collectives/low_latency_message_cost_us",
           "DeepEP low-latency kernels: time a GPU spends on each message it receives (unpacking, flags), one after "
           "another. Default fitted to DeepEP's low-latency table (see docs/network-model.md).")
      .unit("us")
      .defaults(0.034)
      .non_negative();
  t.object("/models/compute", "The compute model: measured kernel times, with a roofline for kernels not measured.");
  t.number("/models/compute/efficiency", "Roofline: fraction of dense peak and of HBM bandwidth a kernel achieves "
                                         "(1 = peak).")
      .defaults(1.0)
      .positive()
      .at_most(1.0);
  t.string("/models/compute/kernel_table",
           "A kernel table measured on a GPU (calibration/tables/*.json, docs/calibration.md), relative to the "
           "scenario file. Kernels it has, or can interpolate, take their measured times; others the roofline. "
           "Empty: every kernel at the roofline.")
      .defaults("");

  declare_comm_params(t);

  declare_workload_params(t);
  t.object("/workload/trace", "kind trace: an explicit step trace. Ranks are GPU indices: node x gpus_per_node + "
                              "local index.")
      .optional();
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
  t.choice(op + "/dtype", enum_names(dtype_names), "compute: numeric format of the FLOPs (default bf16).").optional();
  t.integer(op + "/peer", "send/recv: the other rank.").optional().at_least(0);
  t.integer(op + "/size_bytes", "send/recv: bytes transferred.").unit("bytes").optional().at_least(0);
  return t;
}

}  // namespace dsim::scenario
