// SPDX-License-Identifier: Apache-2.0
// dsim kernels and dsim calibrate end to end: the kernel list of a small MoE training step, a table made from it
// through the CSV import, the step run under that table (every compute op then says "table"), the comparison
// command, and the errors a bad table or a missing one gives.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/cli/run_dsim.hpp"

namespace dsim::testing {
namespace {

const std::string small_moe = std::string(DSIM_SOURCE_DIR) + "/scenarios/examples/train-small-moe.json";

// A CSV measuring every kernel of the list at `us` microseconds.
std::string csv_of(const nlohmann::json& list, double us) {
  std::string csv = "kind,dtype,groups,m,n,k,batch,heads,kv_heads,q_len,kv_len,qk_dim,v_dim,causal,bytes,time_us\n";
  for (const auto& k : list["kernels"]) {
    const auto field = [&](const char* key) { return k.contains(key) ? k[key].dump() : std::string(); };
    std::string kind = k["kind"].get<std::string>();
    std::string dtype = k.contains("dtype") ? k["dtype"].get<std::string>() : "";
    csv += kind + "," + dtype + "," + field("groups") + "," + field("m") + "," + field("n") + "," + field("k") + "," +
           field("batch") + "," + field("heads") + "," + field("kv_heads") + "," + field("q_len") + "," +
           field("kv_len") + "," + field("qk_dim") + "," + field("v_dim") + "," + field("causal") + "," +
           field("bytes") + "," + std::to_string(us) + "\n";
  }
  return csv;
}

void write(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("dsim kernels: a training step lists each distinct kernel once, with its runs per GPU", "[cli]") {
  const auto result = run_dsim({"kernels", small_moe, "--json"});
  REQUIRE(result.exit_code == 0);
  const auto list = nlohmann::json::parse(result.out);
  CHECK(list["format"] == "dsim-kernel-list");
  REQUIRE(list["kernels"].size() > 10);
  std::set<std::string> kinds;
  std::set<std::string> keys;
  for (const auto& k : list["kernels"]) {
    kinds.insert(k["kind"].get<std::string>());
    CHECK(k["count"].get<int>() > 0);
    auto key = k;
    key.erase("count");
    CHECK(keys.insert(key.dump()).second);
  }
  CHECK(kinds == std::set<std::string>{"gemm", "attention_forward", "attention_backward", "memory"});
  const auto text = run_dsim({"kernels", small_moe});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("distinct kernels") != std::string::npos);
  CHECK(text.out.find("roofline") != std::string::npos);
}

TEST_CASE("dsim calibrate: a table of every kernel times every compute op of the step from the table", "[cli]") {
  const TempDir dir;
  const auto list = nlohmann::json::parse(run_dsim({"kernels", small_moe, "--json"}).out);
  write(dir.path() / "m.csv", csv_of(list, 5.0));
  const auto table = (dir.path() / "t.json").string();
  const auto imported = run_dsim({"calibrate", "import", (dir.path() / "m.csv").string(), "--device", "test GPU",
                                  "--sms", "132", "--out", table});
  REQUIRE(imported.exit_code == 0);
  CHECK(imported.out.find(std::to_string(list["kernels"].size()) + " kernels") != std::string::npos);

  const auto run = run_dsim({"run", small_moe, "--quiet", "--out", (dir.path() / "out").string(), "--set",
                             "/models/compute/kernel_table=" + table});
  REQUIRE(run.exit_code == 0);
  const auto summary = nlohmann::json::parse(read_file(dir.path() / "out/summary.json"));
  const auto& sources = summary["compute_timing_sources"];
  CHECK(sources["table"].get<int>() > 0);
  CHECK(sources["roofline"].get<int>() == 0);
  CHECK(sources["interpolated"].get<int>() == 0);

  const auto compare = run_dsim({"calibrate", "compare", table, small_moe});
  REQUIRE(compare.exit_code == 0);
  CHECK(compare.out.find("step time") != std::string::npos);
  CHECK(compare.out.find("vs roofline") != std::string::npos);
  CHECK(compare.out.find("test GPU, 132 SMs") != std::string::npos);
}

TEST_CASE("dsim calibrate: a missing or broken table is one error naming where", "[cli]") {
  const TempDir dir;
  const auto missing = run_dsim({"validate", small_moe, "--set", "/models/compute/kernel_table=no-such-table.json"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("/models/compute/kernel_table: no kernel table at") != std::string::npos);
  write(dir.path() / "bad.json", R"({"format": "dsim-kernel-table", "version": 1, "device": {"name": "x", "sms": 132},
    "entries": [{"kind": "gemm", "dtype": "fp8", "groups": 1, "m": 0, "n": 1, "k": 1, "time_us": 1}]})");
  const auto bad = run_dsim({"validate", small_moe, "--set",
                             "/models/compute/kernel_table=" + (dir.path() / "bad.json").string()});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bad.json: /entries/0/m: must be a positive integer, not 0") != std::string::npos);
  const auto usage = run_dsim({"calibrate", "import", "x.csv", "--device", "d"});
  CHECK(usage.exit_code == 2);
  CHECK(usage.err.find("needs CSV, --device NAME, --sms N") != std::string::npos);
  const auto unknown = run_dsim({"calibrate", "measure"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("unknown action 'measure'") != std::string::npos);
}

}  // namespace dsim::testing

namespace dsim::testing {
namespace {

std::set<std::string> kernel_keys(const nlohmann::json& list) {
  std::set<std::string> keys;
  for (auto k : list["kernels"]) {
    k.erase("count");
    keys.insert(k.dump());
  }
  return keys;
}

// The V3 scenarios with fewer micro-batches: the same kernels (their shapes depend on a micro-batch, the layout and
// the model, not on how many micro-batches there are), generated in a fraction of the time.
const std::vector<std::vector<std::string>> v3_scenarios = {
    {"scenarios/v3/train-2048-mpft.json", "--set", "/workload/training/global_batch_sequences=4096"},
    {"scenarios/v3/decode.json"},
    {"scenarios/v3/prefill.json"},
};

}  // namespace

TEST_CASE("dsim kernels: the shipped V3 kernel list holds every kernel of the V3 training, decode and prefill steps",
          "[cli]") {
  // calibration/lists/v3.json is what dsim-calibrate --builtin v3 measures; tools/make-v3-kernel-list rebuilds it.
  const auto shipped =
      kernel_keys(nlohmann::json::parse(read_file(std::string(DSIM_SOURCE_DIR) + "/calibration/lists/v3.json")));
  for (auto args : v3_scenarios) {
    args.insert(args.begin(), "kernels");
    args.push_back("--json");
    const auto result = run_dsim(args, DSIM_SOURCE_DIR);
    REQUIRE(result.exit_code == 0);
    for (const auto& key : kernel_keys(nlohmann::json::parse(result.out))) {
      INFO(args[1] << " needs " << key);
      CHECK(shipped.contains(key));
    }
  }
}

}  // namespace dsim::testing

namespace dsim::testing {

TEST_CASE("dsim kernels: the shipped H100 table measures every kernel of the V3 scenarios exactly", "[cli]") {
  // The V3 scenarios name calibration/tables/h100-sxm.json; each of their kernels must be a measured entry, not an
  // interpolation or a roofline (the acceptance point of the calibration issue). One exception, by choice: MLA's
  // absorbed decode attention, whose SDPA stand-in runs ~6x slower than FlashMLA, is left out of the table and
  // borrows the nearest attention entry's utilisation (docs/calibration.md).
  for (auto args : v3_scenarios) {
    args.insert(args.begin(), "kernels");
    const auto result = run_dsim(args, DSIM_SOURCE_DIR);
    REQUIRE(result.exit_code == 0);
    const auto rows = lines_of(result.out);
    REQUIRE(rows.size() > 3);
    for (std::size_t i = 1; i + 1 < rows.size(); ++i) {
      INFO(args[1] << ": " << rows[i]);
      const bool mla_decode = rows[i].starts_with("attention_forward bf16 b64 h128/1 q2 kv4096 d576/512");
      CHECK(rows[i].ends_with(mla_decode ? "  interpolated (nearest_shape)" : "  table"));
    }
  }
}

TEST_CASE("dsim calibrate: both shipped tables read back, stamped with their GPU", "[cli]") {
  for (const auto& [file, device] : {std::pair{"h100-sxm.json", "NVIDIA H100 80GB HBM3"}, {"h200.json", "NVIDIA H200"}}) {
    const auto table = nlohmann::json::parse(read_file(std::string(DSIM_SOURCE_DIR) + "/calibration/tables/" + file));
    CHECK(table["device"]["name"] == device);
    CHECK(table["device"]["sms"] == 132);
    CHECK(table["entries"].size() == 89);  // lists/v3.json's 90 kernels but MLA's absorbed decode attention
    const auto result = run_dsim({"calibrate", "compare", std::string("calibration/tables/") + file,
                                  "scenarios/v3/decode.json", "--no-step"},
                                 DSIM_SOURCE_DIR);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find(device) != std::string::npos);
  }
}

}  // namespace dsim::testing

namespace dsim::testing {

TEST_CASE("dsim calibrate: no measured V3 kernel beats its roofline on the H800's peaks", "[cli]") {
  // The H800 has the H100 SXM's FP8/BF16 peaks and HBM; a table time under the roofline would be a measuring error
  // (a kernel timed on cached or zero data, a wrong FLOP count). The column tbl/roof must be at least 1.
  for (auto args : v3_scenarios) {
    const std::string scenario = args.front();
    args.insert(args.begin(), {"calibrate", "compare", "calibration/tables/h100-sxm.json"});
    args.push_back("--no-step");
    const auto result = run_dsim(args, DSIM_SOURCE_DIR);
    REQUIRE(result.exit_code == 0);
    int rows = 0;
    for (const auto& line : lines_of(result.out)) {
      if (!line.ends_with("  table")) continue;
      const auto fields = line.substr(0, line.size() - 7);
      const double ratio = std::stod(fields.substr(fields.find_last_of(' ') + 1));
      INFO(scenario << ": " << line);
      CHECK(ratio >= 1.0);
      ++rows;
    }
    CHECK(rows > 10);
  }
}

}  // namespace dsim::testing
