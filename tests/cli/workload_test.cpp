// SPDX-License-Identifier: Apache-2.0
// Bad /workload sections for generated workloads (tests/cli/bad_workload/): each must make `dsim validate` and
// `dsim run` exit 2 with one stderr line naming the file and the JSON path at fault, and write nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/cli/run_dsim.hpp"

namespace dsim::testing {
namespace {

const std::filesystem::path bad_workload_dir = std::filesystem::path(DSIM_SOURCE_DIR) / "tests/cli/bad_workload";

struct BadWorkload {
  const char* file;      // under tests/cli/bad_workload/; each breaks one value of a valid_*.json it includes
  const char* where;     // the JSON pointer the message must name, in that file
  const char* fragment;  // part of the message
};

const BadWorkload bad_cases[] = {
    {"unknown_training_key.json", "/workload/training/microbatch_sequences",
     "unknown key 'microbatch_sequences'; did you mean 'micro_batch_sequences'?"},
    {"pp_not_dividing_gpus.json", "/workload/training/pp", "32 GPUs do not split into 3 pipeline ranks"},
    {"ep_not_dividing_dp.json", "/workload/training/ep",
     "ep 3 does not divide the 8 data-parallel GPUs of a pipeline rank"},
    {"dualpipe_few_microbatches.json", "/workload/training/schedule",
     "dualpipe needs an even number of micro-batches, at least twice the ranks"},
    // Llama-3.1-405B on one pipeline rank: 405B BF16 parameters alone are 811.7 GB.
    {"does_not_fit_hbm.json", "/workload/training/pp", "pipeline rank 0 does not fit: it needs 2552.2 GB per GPU"},
    {"comm_sms_all.json", "/workload/training/comm_sms", "leave none of the GPU's 132 for compute"},
    {"trace_with_training.json", "/workload/training", "kind trace does not read /workload/training"},
    {"training_with_trace.json", "/workload/trace", "a generated workload has no hand-written trace"},
    {"acceptance_without_mtp.json", "/workload/inference/mtp_acceptance",
     "an acceptance rate needs MTP drafts; set mtp_depth"},
    {"unknown_model.json", "/workload/model/name", "unknown value 'small_moe'; did you mean 'small-moe'?"},
    {"layers_all_dense.json", "/workload/model/layers", "keep at least one MoE layer (layers > 1)"},
    {"name_and_config_file.json", "/workload/model/config_file", "give the model by name or by config_file, not both"},
    {"router_experts_uneven.json", "/workload/router", "the router's 12 experts do not split evenly over the 8 GPUs"},
};

// A layout field whose check names its spec field rather than its JSON key (see the test using it).
const BadWorkload key_cases[] = {
    {"batch_not_divisible.json", "/workload/training/global_batch_sequences",
     "100 sequences do not split into whole micro-batches"},
};

void check_rejected(const BadWorkload& bad) {
  for (const char* command : {"validate", "run"}) {
    INFO("dsim " << command << " " << bad.file);
    const TempDir scratch;
    const auto out_dir = scratch.path() / "out";
    std::vector<std::string> args = {command, bad.file};
    if (std::string(command) == "run") args.insert(args.end(), {"--out", out_dir.string()});
    const DsimOutput result = run_dsim(args, bad_workload_dir);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    const auto lines = lines_of(result.err);
    REQUIRE(lines.size() == 1);
    INFO("stderr: " << lines.front());
    CHECK(lines.front().rfind("dsim: error: ", 0) == 0);
    CHECK(lines.front().find(std::string(bad.file) + ": " + bad.where + ": ") != std::string::npos);
    CHECK(lines.front().find(bad.fragment) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out_dir));
  }
}

}  // namespace

TEST_CASE("bad workload: the training and inference bases the bad files break are valid", "[cli]") {
  for (const char* file : {"valid_training.json", "valid_inference.json"}) {
    INFO(file);
    const DsimOutput result = run_dsim({"validate", file}, bad_workload_dir);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
  }
}

TEST_CASE("bad workload: bad training, inference and model sections exit 2 naming the JSON path", "[cli]") {
  for (const auto& bad : bad_cases) check_rejected(bad);
}

// The layout reports its own field ("global_batch"); the loader respells it as the scenario's key, so the message
// names the key and the file that set it.
TEST_CASE("bad workload: a batch that does not split into micro-batches names global_batch_sequences", "[cli]") {
  for (const auto& bad : key_cases) check_rejected(bad);
}

TEST_CASE("bad workload: every file under tests/cli/bad_workload is in a table", "[cli]") {
  std::vector<std::string> listed = {"valid_training.json", "valid_inference.json", "missing_config_file.json"};
  for (const auto& bad : bad_cases) listed.emplace_back(bad.file);
  for (const auto& bad : key_cases) listed.emplace_back(bad.file);
  for (const auto& entry : std::filesystem::directory_iterator(bad_workload_dir)) {
    INFO(entry.path().filename().string());
    CHECK(std::find(listed.begin(), listed.end(), entry.path().filename().string()) != listed.end());
  }
}


TEST_CASE("bad workload: a model config file that cannot be read is named in the one error line", "[cli]") {
  const DsimOutput result = run_dsim({"validate", "missing_config_file.json"}, bad_workload_dir);
  CHECK(result.exit_code == 2);
  const auto lines = lines_of(result.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines.front() == "dsim: error: missing-config.json: cannot read the model config file");
}

}  // namespace dsim::testing
