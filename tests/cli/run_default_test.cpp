// SPDX-License-Identifier: Apache-2.0
// `dsim run` end to end on the default scenario: the makespan derived by hand, the output files, and byte-identical
// output for the same seed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/cli/run_dsim.hpp"

namespace dsim::testing {
namespace {

const std::string default_scenario = std::string(DSIM_SOURCE_DIR) + "/scenarios/default.json";
const char* const output_files[] = {"summary.json", "ops.csv", "links.csv", "timeline.json"};

}  // namespace

TEST_CASE("run: the default scenario's makespan matches the hand derivation", "[cli]") {
  // Stage 0 (rank 0) runs 4 forward chunks of 250 us back to back and sends each chunk's 8e6-byte activations to
  // rank 8 on the other node. One transfer crosses GPU -> PCIe switch -> NIC -> switch -> NIC -> PCIe switch -> GPU:
  // latency 0.1 (PCIe) + 2 (NIC) + 0.2 (switch) + 0.1 (PCIe) = 2.4 us, plus the RDMA per-message overhead of 1 us
  // (the default); bottleneck min(PCIe 64 GB/s x 0.8, NIC 50 GB/s x 0.8) = 40 GB/s, so 8e6 B take 200 us: 203.4 us
  // in all. Transfer k starts when chunk k ends, at 250 (k+1) us (the previous transfer ended 46.6 us earlier), and
  // ends at 250 (k+1) + 203.4 us. Stage 1 (rank 8) runs chunk k (2.4725e11 FLOP / 989 TFLOP/s = 250 us) once transfer k
  // has arrived and chunk k-1 is done: transfer k always arrives exactly when chunk k-1 ends, so the last chunk
  // starts at 1000 + 203.4 = 1203.4 us and ends at 1453.4 us. The NVLink hand-off (16e6 B / 160 GB/s + 1 us latency
  // + 0.5 us NVLink message overhead = 101.5 us from 1000 us, then 4.945e10 FLOP = 50 us) ends at 1151.5 us, off the
  // critical path.
  const TempDir scratch;
  const DsimOutput result = run_dsim({"run", default_scenario, "--out", scratch.path().string()});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("makespan   1453.400 us") != std::string::npos);
  // What the run cost is printed, not written: the wall time and the process's peak memory.
  CHECK(result.out.find(" s), peak memory ") != std::string::npos);
  const auto summary = nlohmann::json::parse(read_file(scratch.path() / "summary.json"));
  CHECK(summary["makespan_ps"] == 1'453'400'000);
  CHECK(summary["ops"] == 19);
  CHECK(summary["bytes_sent"] == 48'000'000);
  CHECK(summary["transfers_by_path"]["network"]["bytes"] == 32'000'000);
  CHECK(summary["transfers_by_path"]["nvlink"]["bytes"] == 16'000'000);
  CHECK(summary["resolved_scenario"]["cluster"]["node"]["nic"]["bandwidth_gbps"] == 400.0);
}

TEST_CASE("run: writes summary, ops, links and timeline files that parse", "[cli]") {
  const TempDir scratch;
  REQUIRE(run_dsim({"run", default_scenario, "--out", scratch.path().string(), "--quiet"}).exit_code == 0);
  for (const char* name : output_files) CHECK(std::filesystem::exists(scratch.path() / name));
  const auto ops = lines_of(read_file(scratch.path() / "ops.csv"));
  REQUIRE(ops.size() == 20);  // header + 19 ops
  CHECK(ops[0] == "op,rank,name,kind,stream,peer,size_bytes,ready_s,start_s,end_s,duration_s,source");
  CHECK(ops[19] == "18,8,fwd3,compute,compute,,,0.0012034,0.0012034,0.0014534,0.00025,roofline");
  const auto timeline = nlohmann::json::parse(read_file(scratch.path() / "timeline.json"));
  const auto& events = timeline["traceEvents"];
  const auto complete = std::count_if(events.begin(), events.end(), [](const auto& e) { return e["ph"] == "X"; });
  CHECK(complete == 19);
  // No temporary files are left behind by the atomic writes.
  CHECK(std::distance(std::filesystem::directory_iterator(scratch.path()), {}) == 4);
}

TEST_CASE("run: the same scenario and seed give byte-identical output files", "[cli]") {
  const TempDir first;
  const TempDir second;
  REQUIRE(run_dsim({"run", default_scenario, "--out", first.path().string(), "--seed", "7"}).exit_code == 0);
  REQUIRE(run_dsim({"run", default_scenario, "--out", second.path().string(), "--seed", "7"}).exit_code == 0);
  for (const char* name : output_files) {
    INFO(name);
    CHECK(read_file(first.path() / name) == read_file(second.path() / name));
  }
}

TEST_CASE("run: --set changes the run and is echoed in the resolved scenario", "[cli]") {
  // 800 Gb/s NICs on 800 Gb/s switch ports would move 80 GB/s, but the PCIe Gen5 x16 path from GPU to NIC carries
  // 64 GB/s x 0.8 = 51.2 GB/s: 8e6 B take 156.25 us, a transfer 156.25 + 2.4 + 1 = 159.65 us. The pipeline stays
  // compute-bound: 4 x 250 + 159.65 + 250 = 1409.65 us.
  const TempDir scratch;
  const DsimOutput result =
      run_dsim({"run", default_scenario, "--out", scratch.path().string(), "--set",
                "/cluster/node/nic/bandwidth_gbps=800", "--set", "/cluster/fabric/link_gbps=800"});
  REQUIRE(result.exit_code == 0);
  const auto summary = nlohmann::json::parse(read_file(scratch.path() / "summary.json"));
  CHECK(summary["makespan_ps"] == 1'409'650'000);
  CHECK(summary["resolved_scenario"]["cluster"]["node"]["nic"]["bandwidth_gbps"] == 800);
}

TEST_CASE("show: prints the resolved scenario with defaults filled in", "[cli]") {
  const DsimOutput result = run_dsim({"show", default_scenario, "--set", "/seed=9"});
  REQUIRE(result.exit_code == 0);
  const auto resolved = nlohmann::json::parse(result.out);
  CHECK(resolved["seed"] == 9);
  CHECK(resolved["cluster"]["node"]["nvlink"]["efficiency"] == 0.8);
  CHECK(resolved["cluster"]["node"]["gpu"]["sm_count"] == 132);
  CHECK(resolved["models"]["network"]["kind"] == "flow");
}

}  // namespace dsim::testing

namespace dsim::testing {

TEST_CASE("run: the default output folder is dsim-out/<name> and a name cannot climb out of it", "[cli]") {
  const TempDir scratch;
  const DsimOutput result =
      run_dsim({"run", default_scenario, "--quiet", "--set", "/name=../../escape"}, scratch.path());
  REQUIRE(result.exit_code == 0);
  CHECK(std::filesystem::exists(scratch.path() / "dsim-out" / ".._.._escape" / "summary.json"));
  CHECK_FALSE(std::filesystem::exists(scratch.path().parent_path() / "escape"));
}

}  // namespace dsim::testing
