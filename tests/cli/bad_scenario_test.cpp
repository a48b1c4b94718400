// SPDX-License-Identifier: Apache-2.0
// Bad scenario files (tests/cli/bad_input/): each must make `dsim validate` and `dsim run` exit with code 2, print
// exactly one line on stderr naming the file and the JSON path (or line) at fault, and write no output at all.
#include <catch2/catch.hpp>

#include "tests/cli/run_dsim.hpp"

namespace dsim::testing {
namespace {

struct BadInput {
  const char* file;      // under tests/cli/bad_input/
  const char* source;    // the file the message must name (an include may be the one at fault)
  const char* where;     // JSON pointer or "line L, column C"; empty when the whole file is at fault
  const char* fragment;  // part of the message
};

const std::filesystem::path bad_input_dir = std::filesystem::path(DSIM_SOURCE_DIR) / "tests/cli/bad_input";

// Malformed files and includes.
const BadInput syntax_cases[] = {
    {"malformed_trailing_comma.json", "malformed_trailing_comma.json", "line 2, column 28", "syntax error"},
    {"empty_file.json", "empty_file.json", "line 1, column 1", "unexpected end of input"},
    {"top_level_array.json", "top_level_array.json", "", "expected a JSON object at the top level"},
    {"duplicate_key.json", "duplicate_key.json", "/cluster/nodes", "duplicate key 'nodes'"},
    {"missing_include.json", "missing_include.json", "/include", "cannot read included file 'no_such_base.json'"},
    {"include_cycle_a.json", "include_cycle_b.json", "/include",
     "include cycle: include_cycle_a.json -> include_cycle_b.json -> include_cycle_a.json"},
};

// Keys, types and ranges, each checked against the parameter table.
const BadInput value_cases[] = {
    {"unknown_top_key.json", "unknown_top_key.json", "/clustr", "unknown key 'clustr'; did you mean 'cluster'?"},
    {"unknown_nested_key.json", "unknown_nested_key.json", "/cluster/node/nic/bandwith_gbps",
     "did you mean 'bandwidth_gbps'?"},
    {"unknown_key_no_match.json", "unknown_key_no_match.json", "/cluster/zzz_qqq", "valid keys here: nodes,"},
    {"unknown_op_key.json", "unknown_op_key.json", "/workload/trace/ranks/0/ops/0/dtyp", "did you mean 'dtype'?"},
    {"nodes_wrong_type.json", "nodes_wrong_type.json", "/cluster/nodes", "expected an integer, got \"two\""},
    {"efficiency_wrong_type.json", "efficiency_wrong_type.json", "/cluster/node/nvlink/efficiency",
     "expected a number, got \"high\""},
    {"cluster_not_object.json", "cluster_not_object.json", "/cluster", "expected an object, got an array"},
    {"deps_not_array.json", "deps_not_array.json", "/workload/trace/ranks/0/ops/0/deps", "expected an array"},
    {"negative_nic_bandwidth.json", "negative_nic_bandwidth.json", "/cluster/node/nic/bandwidth_gbps",
     "expected a positive number, got -400"},
    {"negative_nvlink_bandwidth.json", "negative_nvlink_bandwidth.json", "/cluster/node/nvlink/bandwidth_GBps",
     "expected a number >= 0, got -1"},
    {"efficiency_above_one.json", "efficiency_above_one.json", "/cluster/node/nic/efficiency",
     "expected a number in (0, 1], got 1.5"},
    {"zero_nodes.json", "zero_nodes.json", "/cluster/nodes", "expected an integer in [1, 1000000], got 0"},
    {"fractional_nodes.json", "fractional_nodes.json", "/cluster/nodes", "expected an integer, got 2.5"},
    {"negative_latency.json", "negative_latency.json", "/cluster/fabric/switch_latency_us",
     "expected a number >= 0, got -1"},
    {"unknown_fabric.json", "unknown_fabric.json", "/cluster/fabric/kind",
     "unknown value 'torus'; valid choices: single_switch, fat_tree_2,"},
    {"unknown_node_template.json", "unknown_node_template.json", "/cluster/node/template",
     "unknown value 'h900'; did you mean 'h800'?"},
    {"odd_radix.json", "odd_radix.json", "/cluster/fabric", "radix must be an even number of switch ports"},
    {"fabric_too_small.json", "fabric_too_small.json", "/cluster/fabric",
     "80 endpoints exceed the 32 that a fat_tree_2 of radix 8 holds"},
    {"planes_on_fat_tree.json", "planes_on_fat_tree.json", "/cluster/fabric/planes",
     "planes apply to multi_plane_fat_tree and multi_rail_fat_tree only"},
    {"negative_price.json", "negative_price.json", "/cluster/prices/switch_usd", "expected a number >= 0, got -1"},
    {"pcie_pairing_mismatch.json", "pcie_pairing_mismatch.json", "/cluster/node/nic/count",
     "4 NICs at 2 per PCIe switch do not fill the 4 switches that 8 GPUs at 2 per switch need"},
    {"unknown_op_kind.json", "unknown_op_kind.json", "/workload/trace/ranks/0/ops/0/kind",
     "unknown value 'allreduce'; valid choices: compute, send, recv"},
    {"negative_size.json", "negative_size.json", "/workload/trace/ranks/0/ops/0/size_bytes",
     "expected an integer >= 0, got -8"},
    {"negative_rank.json", "negative_rank.json", "/workload/trace/ranks/0/rank", "expected an integer >= 0, got -1"},
    {"reuse_groups_wrong_type.json", "reuse_groups_wrong_type.json", "/models/network/reuse_isolated_groups",
     "expected true or false, got \"yes\""},
};

// Keys of the flow network model set on the simple one, which shares nothing.
const BadInput simple_network_cases[] = {
    {"reuse_groups_on_simple.json", "reuse_groups_on_simple.json", "/models/network/reuse_isolated_groups",
     "the simple network shares nothing, so reuse_isolated_groups does not apply to it; it applies to kind flow"},
    {"tolerance_on_simple.json", "tolerance_on_simple.json", "/models/network/completion_tolerance",
     "the simple network shares nothing, so completion_tolerance does not apply to it; it applies to kind flow"},
};

// Rules across keys, and the trace as a whole.
const BadInput trace_cases[] = {
    {"rank_out_of_range.json", "rank_out_of_range.json", "/workload/trace/ranks/0/rank",
     "rank 4 does not exist; the cluster has 4 GPUs (ranks 0 to 3)"},
    {"peer_unknown_rank.json", "peer_unknown_rank.json", "/workload/trace/ranks/0/ops/0/peer",
     "rank 99 does not exist"},
    {"rank_listed_twice.json", "rank_listed_twice.json", "/workload/trace/ranks/1/rank", "rank 0 is listed twice"},
    {"duplicate_op_name.json", "duplicate_op_name.json", "/workload/trace/ranks/0/ops/1/name",
     "op name 'a' is used twice on rank 0"},
    {"unknown_dependency.json", "unknown_dependency.json", "/workload/trace/ranks/0/ops/1/deps/0",
     "no op named 'fwdd' on rank 0; did you mean 'fwd'?"},
    {"compute_duration_and_flops.json", "compute_duration_and_flops.json", "/workload/trace/ranks/0/ops/0",
     "needs exactly one of duration_us and flops"},
    {"compute_without_cost.json", "compute_without_cost.json", "/workload/trace/ranks/0/ops/0",
     "needs exactly one of duration_us and flops"},
    {"send_without_peer.json", "send_without_peer.json", "/workload/trace/ranks/0/ops/0/peer", "needs a peer rank"},
    {"send_to_self.json", "send_to_self.json", "/workload/trace/ranks/0/ops/0/peer", "names its own rank as peer"},
    {"send_without_recv.json", "send_without_recv.json", "/workload/trace/ranks/0/ops/0",
     "send #1 from rank 0 to rank 1 has no matching recv on rank 1"},
    {"size_mismatch.json", "size_mismatch.json", "/workload/trace/ranks/1/ops/0/size_bytes",
     "recv of 16 bytes does not match the size of its send 's' on rank 0 (8 bytes)"},
    {"dependency_cycle.json", "dependency_cycle.json", "/workload/trace/ranks/0/ops/",
     "can never start"},
    {"recv_before_send_deadlock.json", "recv_before_send_deadlock.json", "/workload/trace/ranks/",
     "can never start"},
};

// Runs one bad input through both commands and checks exit code, the one stderr line and that nothing was written.
void check_rejected(const BadInput& bad) {
  for (const char* command : {"validate", "run"}) {
    INFO("dsim " << command << " " << bad.file);
    const TempDir scratch;
    const auto out_dir = scratch.path() / "out";
    std::vector<std::string> args = {command, bad.file};  // relative, run from bad_input_dir, as a user would
    if (std::string(command) == "run") args.insert(args.end(), {"--out", out_dir.string()});
    const DsimOutput result = run_dsim(args, bad_input_dir);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    const auto lines = lines_of(result.err);
    REQUIRE(lines.size() == 1);
    const std::string& line = lines.front();
    INFO("stderr: " << line);
    // The file is named as the user gave it or, for an include, joined to the including file's folder.
    CHECK(line.rfind("dsim: error: ", 0) == 0);
    CHECK(line.find(std::string(bad.source) + ": ") != std::string::npos);
    if (*bad.where != '\0') CHECK(line.find(std::string(": ") + bad.where) != std::string::npos);
    CHECK(line.find(bad.fragment) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out_dir));
  }
}

}  // namespace

TEST_CASE("bad input: the base the bad inputs break is itself valid", "[cli]") {
  const DsimOutput result = run_dsim({"validate", (bad_input_dir / "valid_base.json").string()});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
}

TEST_CASE("bad input: malformed files and includes exit 2 naming the file and the line or key", "[cli]") {
  for (const auto& bad : syntax_cases) check_rejected(bad);
}

TEST_CASE("bad input: unknown keys, wrong types and out-of-range values exit 2 naming the JSON path", "[cli]") {
  for (const auto& bad : value_cases) check_rejected(bad);
}

TEST_CASE("bad input: a flow network key on the simple network exits 2 naming the key", "[cli]") {
  for (const auto& bad : simple_network_cases) check_rejected(bad);
}

TEST_CASE("bad input: inconsistent traces exit 2 naming the op at fault", "[cli]") {
  for (const auto& bad : trace_cases) check_rejected(bad);
}

TEST_CASE("bad input: every file under tests/cli/bad_input is in one of the tables", "[cli]") {
  // A bad input added without an expectation would otherwise go untested.
  std::vector<std::string> listed = {"valid_base.json", "include_cycle_b.json", "missing_workload.json"};
  for (const auto& bad : syntax_cases) listed.emplace_back(bad.file);
  for (const auto& bad : value_cases) listed.emplace_back(bad.file);
  for (const auto& bad : simple_network_cases) listed.emplace_back(bad.file);
  for (const auto& bad : trace_cases) listed.emplace_back(bad.file);
  for (const auto& entry : std::filesystem::directory_iterator(bad_input_dir)) {
    const std::string name = entry.path().filename().string();
    INFO(name);
    CHECK(std::find(listed.begin(), listed.end(), name) != listed.end());
  }
  CHECK(listed.size() >= 27);
}

TEST_CASE("bad input: a scenario without a workload validates but does not run", "[cli]") {
  // A cluster alone is a valid scenario (dsim topo describes it); dsim run needs something to run.
  CHECK(run_dsim({"validate", "missing_workload.json"}, bad_input_dir).exit_code == 0);
  const TempDir scratch;
  const DsimOutput result =
      run_dsim({"run", "missing_workload.json", "--out", (scratch.path() / "out").string()}, bad_input_dir);
  CHECK(result.exit_code == 2);
  REQUIRE(lines_of(result.err).size() == 1);
  CHECK(result.err.find("missing_workload.json: /workload: the scenario has no workload to run") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(scratch.path() / "out"));
}

TEST_CASE("bad input: a file that does not exist exits 2 naming it", "[cli]") {
  const TempDir scratch;
  const DsimOutput result = run_dsim({"validate", "no_such_scenario.json"}, scratch.path());
  CHECK(result.exit_code == 2);
  REQUIRE(lines_of(result.err).size() == 1);
  CHECK(result.err.find("no_such_scenario.json: cannot read") != std::string::npos);
}

}  // namespace dsim::testing
