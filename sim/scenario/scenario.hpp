// SPDX-License-Identifier: Apache-2.0
// A loaded, fully validated scenario: plain spec structs for each layer, plus the resolved scenario (every default
// filled in) that `dsim show` prints and summary.json echoes. Nothing past this point reads the user's JSON.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "topology/cluster_spec.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::scenario {

enum class NetworkModelKind { simple };

struct ModelsSpec {
  NetworkModelKind network = NetworkModelKind::simple;
  double compute_efficiency = 1.0;
};

struct Scenario {
  std::string name;
  std::uint64_t seed = 0;
  topology::ClusterSpec cluster;
  ModelsSpec models;
  workloads::StepTrace trace{0};
  nlohmann::json resolved;
};

struct LoadOptions {
  std::vector<std::string> set_overrides;  // "--set /json/pointer=VALUE", applied in order before validation
};

// Reads, merges includes, applies overrides, validates everything and builds the specs. Throws InputError naming
// the file and JSON path of the first problem found.
Scenario load_scenario(const std::filesystem::path& file, const LoadOptions& options);

}  // namespace dsim::scenario
