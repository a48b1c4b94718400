// SPDX-License-Identifier: Apache-2.0
// The /comm section: one collective for `dsim comm` to run on the cluster (kind, group, size, algorithm), or a
// DeepEP-style MoE dispatch and combine (router, kernel mode, payloads, SMs), optionally with KV-cache offload
// traffic from host memory running beside it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/collectives/algorithms/collective_algorithms.hpp"
#include "models/collectives/moe/deepep_kernels.hpp"
#include "models/collectives/moe/router.hpp"
#include "sim/scenario/json_reader.hpp"
#include "sim/scenario/param_table.hpp"
#include "topology/cluster_spec.hpp"

namespace dsim::scenario {

struct CommSpec {
  std::string kind;  // a collective kind name, or "moe_dispatch_combine"
  bool moe = false;
  models::collectives::CollectiveRequest collective;  // group, size, algorithm (the group is used by moe too)
  models::collectives::moe::RouterSpec router;
  models::collectives::moe::DeepEpKernel kernel;
  int tokens_per_rank = 0;
  int redundant_experts = 0;
  // KV-cache offload beside the collective: each value is one run in which every GPU of the group streams reads
  // from its node's host memory at up to that rate for as long as the collective runs.
  std::vector<Bandwidth> host_read_rate;
  // Runs the same collective on each of these fabrics in turn (the cluster otherwise unchanged); empty: the
  // cluster's own fabric only.
  std::vector<topology::FabricKind> compare_fabrics;
};

void declare_comm_params(ParamTable& table);

// Reads /comm; `scenario_dir` resolves a relative router file. Checks the group against the cluster.
CommSpec read_comm(ObjectReader comm, const topology::ClusterSpec& cluster, const std::string& scenario_dir,
                   std::uint64_t seed);

}  // namespace dsim::scenario
