// SPDX-License-Identifier: Apache-2.0
// `dsim comm`: one collective, or a MoE dispatch and combine, timed alone on the scenario's cluster, with the
// figures nccl-tests and DeepEP's tests print, so simulated and measured numbers line up column for column.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "topology/cluster.hpp"

namespace dsim::run {

struct PhaseSpan {
  std::string name;
  Time start;
  Time end;
};

struct CommKernelResult {
  std::string fabric;        // the fabric kind it ran on
  std::string name;          // the collective kind, or "dispatch" / "combine"
  Bandwidth host_read_rate;  // the background offload traffic of this run, per GPU (its cap)
  Time time;                 // start to the collective's last step (the background is not waited for)
  // When each rank of the group was done: its last transfer in or out or local step ended. A kernel on one GPU
  // ends when its own part is done, so DeepEP's tests, which time each rank's kernel, see these.
  std::vector<Time> rank_end;
  Time mean_rank_time;
  Bytes size;                // collectives: nccl-tests' size; moe: DeepEP's logical bytes on rank 0
  double algbw_GBps = 0;     // collectives: size / time
  double busbw_GBps = 0;     // collectives: algbw x nccl-tests' bus factor
  double deepep_GBps = 0;    // moe: DeepEP's bandwidth, mean over ranks of the rank's logical bytes / its time
  std::string deepep_column; // "RDMA", "NVL" (one node) or "RDMA+NVL" (low latency)
  std::uint64_t transfers = 0;
  std::array<std::uint64_t, topology::link_kind_names.size()> bytes_by_link_kind{};
  std::vector<PhaseSpan> phases;
};

struct MoeRoutingStats {
  double nodes_per_token = 0;       // mean distinct target nodes per token
  std::uint64_t max_nodes_per_token = 0;
  double received_imbalance = 0;    // most tokens received by one GPU / mean
  int occupied_sms = 0;
};

struct CommResult {
  std::vector<CommKernelResult> kernels;  // per host-read value: the collective, or dispatch then combine
  bool moe = false;
  MoeRoutingStats routing;
  double routing_wall_seconds = 0;  // routing tokens (moe): wall time, terminal only
  double simulate_wall_seconds = 0;
};

// Builds the cluster (once per fabric compared) and runs. Throws InputError when the request cannot be planned (a
// hierarchical all-reduce over partial nodes) or a compared fabric cannot hold the cluster.
CommResult run_comm(const scenario::Scenario& scenario);

}  // namespace dsim::run
