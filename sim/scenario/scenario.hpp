// SPDX-License-Identifier: Apache-2.0
// A loaded, fully validated scenario: plain spec structs for each layer, plus the resolved scenario (every default
// filled in) that `dsim show` prints and summary.json echoes. Nothing past this point reads the user's JSON.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/compute/kernel_table.hpp"
#include "models/network/network_model.hpp"
#include "sim/scenario/comm_section.hpp"
#include "sim/scenario/workload_section.hpp"
#include "topology/cluster_spec.hpp"
#include "topology/cost/cost_model.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::scenario {

enum class NetworkModelKind { flow, simple };
inline constexpr std::array<std::string_view, 2> network_model_names = {"flow", "simple"};

struct ModelsSpec {
  NetworkModelKind network = NetworkModelKind::flow;
  models::network::MessageOverheads message_overheads;
  double completion_tolerance = 0.0;
  bool reuse_isolated_groups = true;  // FlowNetwork's replay of isolated groups (the scenario key's default)
  double compute_efficiency = 1.0;
  std::shared_ptr<const models::compute::KernelTable> kernel_table;  // none: every kernel at the roofline
  Bandwidth copy_per_sm;  // NVLink store rate one SM drives (communication kernels)
  Time low_latency_message_cost;
};

struct Scenario {
  std::string name;
  std::uint64_t seed = 0;
  topology::ClusterSpec cluster;
  ModelsSpec models;
  topology::CostPrices prices;
  // How `dsim topo` prints the fabric's row of a cost table (Table 3 of [P] prints a label and the cost per
  // endpoint with 1 or 2 decimals); no label: no row.
  std::string table_label;
  int per_endpoint_decimals = 2;
  std::vector<int> detail_ranks;  // ops.csv / timeline.json ranks; empty: automatic (see /report/detail_ranks)
  std::int64_t detail_max_ops = 2000000;
  bool has_comm = false;
  CommSpec comm;
  bool has_workload = false;
  WorkloadSpec workload;           // kind trace: `trace` holds it; generated kinds are built by the run
  workloads::StepTrace trace{0};
  nlohmann::json resolved;
};

struct LoadOptions {
  std::vector<std::string> set_overrides;  // "--set /json/pointer=VALUE", applied in order before validation
  // Build the cluster once to check the fabric can hold it. `dsim topo` turns this off and reports a fabric that
  // cannot be built (a Slim Fly whose q is not a prime power) from closed forms instead.
  bool check_cluster_builds = true;
};

// Reads, merges includes, applies overrides, validates everything and builds the specs. Throws InputError naming
// the file and JSON path of the first problem found.
Scenario load_scenario(const std::filesystem::path& file, const LoadOptions& options);

}  // namespace dsim::scenario
