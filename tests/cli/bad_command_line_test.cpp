// SPDX-License-Identifier: Apache-2.0
// Bad command lines and bad --set/--seed values: exit code 2, one stderr line saying what is wrong, no output.
#include <catch2/catch.hpp>

#include "tests/cli/run_dsim.hpp"

namespace dsim::testing {
namespace {

const std::string base = std::string(DSIM_SOURCE_DIR) + "/tests/cli/bad_input/valid_base.json";

void check_usage_error(const std::vector<std::string>& args, const std::string& fragment) {
  const TempDir scratch;
  std::vector<std::string> full = args;
  const bool runs = !args.empty() && args.front() == "run";
  if (runs) full.insert(full.end(), {"--out", (scratch.path() / "out").string()});
  const DsimOutput result = run_dsim(full, scratch.path());
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(lines_of(result.err).size() == 1);
  CHECK(result.err.find(fragment) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(scratch.path() / "out"));
}

}  // namespace

TEST_CASE("command line: no command, an unknown command or a missing scenario exit 2", "[cli]") {
  check_usage_error({}, "missing a command");
  check_usage_error({"simulate", base}, "unknown command 'simulate'; commands: run, validate, show, comm, topo, kernels, calibrate, help");
  check_usage_error({"run"}, "dsim run: missing the SCENARIO file");
  check_usage_error({"help", "everything"}, "no help on 'everything'");
}

TEST_CASE("command line: an unknown option is rejected, not ignored", "[cli]") {
  check_usage_error({"run", base, "--sed", "3"}, "unrecognised option '--sed'");
  check_usage_error({"validate", base, "--out", "x"}, "unrecognised option '--out'");
}

TEST_CASE("command line: a --set that names a bad value is reported at its JSON path", "[cli]") {
  check_usage_error({"run", base, "--set", "/cluster/nodes=-1"},
                    "--set: /cluster/nodes: expected an integer in [1, 1000000], got -1");
  check_usage_error({"validate", base, "--set", "/cluster/node/nic/bandwidth_gbps=fast"},
                    "--set: /cluster/node/nic/bandwidth_gbps: expected a number, got \"fast\"");
  check_usage_error({"validate", base, "--set", "/cluster/nodez=2"}, "did you mean 'nodes'?");
}

TEST_CASE("command line: a malformed --set is rejected with how to write it", "[cli]") {
  check_usage_error({"validate", base, "--set", "cluster/nodes=2"}, "--set");
  check_usage_error({"validate", base, "--set", "/cluster/nodes"}, "--set");
}

TEST_CASE("command line: --seed takes a non-negative integer", "[cli]") {
  check_usage_error({"run", base, "--seed", "abc"}, "--seed: expected an integer from 0 to 2^53-1, got 'abc'");
  check_usage_error({"run", base, "--seed", "-4"}, "--seed");
}

TEST_CASE("command line: --help and --version print and exit 0", "[cli]") {
  const DsimOutput help = run_dsim({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("usage: dsim <command>") != std::string::npos);
  const DsimOutput version = run_dsim({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("dsim ", 0) == 0);
}

TEST_CASE("command line: help scenario lists every parameter with unit and default", "[cli]") {
  const DsimOutput help = run_dsim({"help", "scenario"});
  CHECK(help.exit_code == 0);
  for (const char* key : {"/cluster/nodes", "/cluster/node/nic/bandwidth_gbps", "/cluster/node/nvlink/bandwidth_GBps",
                          "/workload/trace/ranks/*/ops/*/size_bytes", "Gb/s", "GB/s", "bytes"}) {
    INFO(key);
    CHECK(help.out.find(key) != std::string::npos);
  }
}

}  // namespace dsim::testing
