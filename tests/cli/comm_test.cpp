// SPDX-License-Identifier: Apache-2.0
// `dsim comm`: runs a scenario's /comm section and prints nccl-tests' or DeepEP's figures; bad /comm sections
// (tests/cli/bad_comm/) exit 2 under both `dsim validate` and `dsim comm` with one line naming the JSON path.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/cli/run_dsim.hpp"

namespace dsim::testing {
namespace {

const std::filesystem::path bad_comm_dir = std::filesystem::path(DSIM_SOURCE_DIR) / "tests/cli/bad_comm";

struct BadComm {
  const char* file;
  const char* where;
  const char* fragment;
};

const BadComm bad_cases[] = {
    {"unknown_kind.json", "/comm/kind", "unknown value 'allreduce'; did you mean 'all_reduce'?"},
    {"group_too_large.json", "/comm/group/gpus", "the group's last GPU would be 16"},
    {"moe_on_all_reduce.json", "/comm/moe", "configures moe_dispatch_combine; kind all_reduce does not use it"},
    {"size_not_divisible.json", "/comm/size_bytes", "1000 is not a multiple of 16"},
    {"hierarchical_partial_nodes.json", "/comm/group", "a hierarchical all_reduce needs whole nodes"},
    {"hidden_not_128.json", "/comm/moe/hidden", "hidden must be a multiple of 128"},
    {"algorithm_on_all_to_all.json", "/comm/algorithm", "kind all_to_all does not use it"},
    {"negative_host_rate.json", "/comm/background/host_read_GBps_per_gpu", "must be >= 0"},
    {"router_top_k_too_large.json", "/comm/moe/router/top_k", "9"},
    {"normal_partial_nodes.json", "/comm/group", "the group must be whole nodes"},
    {"zipf_exponent_on_uniform.json", "/comm/moe/router/zipf_exponent", "only router kind 'zipf'"},
};

}  // namespace

TEST_CASE("comm: a ring all-reduce prints its time, algorithm and bus bandwidth", "[cli]") {
  // 16 GPUs on 2 H800 nodes, ring over GPU ids: 14 of the 16 ring hops are NVLink and 2 cross the NICs (40 GB/s
  // effective), so the ring runs at the NIC's pace: 2 x 15 steps of 1e6 B / 40 GB/s = 25 us each, 750 us in all
  // plus latencies and message overheads (30 steps x (2.4 + 1) us = 102 us): busbw = 2 x 15/16 x 16e6 B / time.
  const DsimOutput result = run_dsim({"comm", "valid_comm.json", "--json"}, bad_comm_dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto out = nlohmann::json::parse(result.out);
  REQUIRE(out["kernels"].size() == 1);
  const auto& k = out["kernels"][0];
  CHECK(k["name"] == "all_reduce");
  CHECK(k["time_us"].get<double>() == Approx(852.0).epsilon(0.01));
  CHECK(k["busbw_GBps"].get<double>() == Approx(k["algbw_GBps"].get<double>() * 30.0 / 16.0));
  CHECK(k["bytes_by_link_kind"]["nvlink"].get<std::uint64_t>() > 0);
  const DsimOutput text = run_dsim({"comm", "valid_comm.json"}, bad_comm_dir);
  CHECK(text.out.find("busbw_GBps") != std::string::npos);
  CHECK(text.out.find("phases") != std::string::npos);
}

TEST_CASE("comm: the same scenario and seed print byte-identical JSON", "[cli]") {
  const auto file = (std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/comm/deepep-normal-ep16.json").string();
  const DsimOutput first = run_dsim({"comm", file, "--json", "--seed", "3"});
  const DsimOutput second = run_dsim({"comm", file, "--json", "--seed", "3"});
  REQUIRE(first.exit_code == 0);
  CHECK(first.out == second.out);
}

TEST_CASE("comm: a scenario without a comm section is refused with exit 2", "[cli]") {
  const auto file = (std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/default.json").string();
  const DsimOutput result = run_dsim({"comm", file});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("/comm: the scenario has no /comm section") != std::string::npos);
}

TEST_CASE("comm: bad comm sections exit 2 naming the JSON path, under validate and comm", "[cli]") {
  for (const auto& bad : bad_cases) {
    for (const char* command : {"validate", "comm"}) {
      INFO("dsim " << command << " " << bad.file);
      const DsimOutput result = run_dsim({command, bad.file}, bad_comm_dir);
      CHECK(result.exit_code == 2);
      CHECK(result.out.empty());
      const auto lines = lines_of(result.err);
      REQUIRE(lines.size() == 1);
      INFO("stderr: " << lines.front());
      CHECK(lines.front().find(std::string(bad.file) + ": " + bad.where) != std::string::npos);
      CHECK(lines.front().find(bad.fragment) != std::string::npos);
    }
  }
}

TEST_CASE("comm: every file under tests/cli/bad_comm is in the table", "[cli]") {
  std::vector<std::string> listed = {"valid_comm.json"};
  for (const auto& bad : bad_cases) listed.emplace_back(bad.file);
  for (const auto& entry : std::filesystem::directory_iterator(bad_comm_dir)) {
    INFO(entry.path().filename().string());
    CHECK(std::find(listed.begin(), listed.end(), entry.path().filename().string()) != listed.end());
  }
}

}  // namespace dsim::testing
