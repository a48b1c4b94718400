// SPDX-License-Identifier: Apache-2.0
// Validation of the network and DeepEP models against published measurements, each by simulation of a shipped
// scenario (scenarios/comm/), all DeepEP rows on one set of hardware parameters (scenarios/comm/deepep-h800.json and
// the defaults of /models/collectives). Tolerance: 15% on every row, the goal of issue 5. Each test prints the
// table of expected and simulated values, so a changed prediction shows in the log. Three parameters were fitted
// to these tables (docs/network-model.md): the SMs' NVLink copy rate to the EP8 normal dispatch row (marked "fit"),
// the low-latency per-message cost to the low-latency rows' common ~35 us excess over their bytes, and the 92%
// RDMA efficiency to the low-latency latency slope; every other row is a prediction.
//   [E] DeepEP README, V1 performance tables (H800, CX7 400 Gb/s), as quoted in REFERENCE.md.
//   [P] Zhao et al., "Insights into DeepSeek-V3", ISCA 2025, section on the theoretical upper bound of TPOT.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "sim/run/comm_run.hpp"
#include "sim/scenario/scenario.hpp"

namespace dsim::run {
namespace {

constexpr double tolerance = 0.15;

CommResult run_shipped(const std::string& file) {
  const auto path = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/comm" / file;
  const scenario::Scenario scenario = scenario::load_scenario(path, {});
  return run_comm(scenario);
}

struct Row {
  std::string label;
  double expected;
  double simulated;
  std::string unit;
};

// Prints the table and checks each row.
void check_rows(const std::string& title, const std::vector<Row>& rows) {
  std::string table = fmt::format("\n{}\n{:<44} {:>10} {:>10} {:>8}\n", title, "row", "published", "simulated",
                                  "error");
  for (const Row& r : rows) {
    table += fmt::format("{:<44} {:>10.2f} {:>10.2f} {:>+7.1f}%  {}\n", r.label, r.expected, r.simulated,
                         100 * (r.simulated / r.expected - 1), r.unit);
  }
  std::cout << table;
  for (const Row& r : rows) {
    INFO(r.label << ": published " << r.expected << " " << r.unit << ", simulated " << r.simulated);
    CHECK(std::abs(r.simulated / r.expected - 1) <= tolerance);
  }
}

}  // namespace

TEST_CASE("validation: DeepEP normal kernels reach the published bandwidths within 15 percent", "[validation]") {
  // [E] normal kernels, 4,096 tokens, hidden 7,168, top-8: dispatch / combine bottleneck bandwidth in GB/s.
  struct Published {
    const char* file;
    int ep;
    double dispatch;
    double combine;
  };
  const Published published[] = {
      {"deepep-normal-ep8.json", 8, 153, 158},
      {"deepep-normal-ep16.json", 16, 43, 43},
      {"deepep-normal-ep32.json", 32, 58, 57},
      {"deepep-normal-ep64.json", 64, 51, 50},
  };
  std::vector<Row> rows;
  for (const auto& p : published) {
    const CommResult result = run_shipped(p.file);
    REQUIRE(result.kernels.size() == 2);
    const std::string column = result.kernels[0].deepep_column;
    rows.push_back({fmt::format("EP{} dispatch ({}){}", p.ep, column, p.ep == 8 ? ", fit" : ""), p.dispatch,
                    result.kernels[0].deepep_GBps, "GB/s"});
    rows.push_back({fmt::format("EP{} combine ({})", p.ep, column), p.combine, result.kernels[1].deepep_GBps, "GB/s"});
  }
  check_rows("DeepEP normal kernels [E]", rows);
}

TEST_CASE("validation: DeepEP low-latency kernels reach the published latencies and bandwidths within 15 percent",
          "[validation]") {
  // [E] low-latency kernels, 128 tokens, hidden 7,168, top-8: dispatch and combine latency in us.
  // and their bandwidth (tokens x top-8 x message bytes / latency) in GB/s.
  struct Published {
    int ep;
    double dispatch_us;
    double dispatch_GBps;
    double combine_us;
    double combine_GBps;
  };
  const Published published[] = {{8, 77, 98, 114, 127},   {16, 118, 63, 195, 74},  {32, 155, 48, 273, 53},
                                 {64, 173, 43, 314, 46},  {128, 192, 39, 369, 39}, {256, 194, 39, 360, 40}};
  std::vector<Row> rows;
  for (const auto& p : published) {
    const CommResult result = run_shipped(fmt::format("deepep-low-latency-ep{}.json", p.ep));
    REQUIRE(result.kernels.size() == 2);
    // DeepEP's test times the kernel on each rank; the mean over ranks stands for the published figure.
    rows.push_back({fmt::format("EP{} dispatch latency", p.ep), p.dispatch_us,
                    units::to_us(result.kernels[0].mean_rank_time), "us"});
    rows.push_back({fmt::format("EP{} combine latency", p.ep), p.combine_us,
                    units::to_us(result.kernels[1].mean_rank_time), "us"});
    rows.push_back({fmt::format("EP{} dispatch bandwidth", p.ep), p.dispatch_GBps, result.kernels[0].deepep_GBps,
                    "GB/s"});
    rows.push_back({fmt::format("EP{} combine bandwidth", p.ep), p.combine_GBps, result.kernels[1].deepep_GBps,
                    "GB/s"});
  }
  check_rows("DeepEP low-latency kernels [E]", rows);
}

TEST_CASE("validation: the paper's per-layer EP communication bound comes out of the decode step within 15 percent",
          "[validation]") {
  // [P]: (1 + 2) B x 32 tokens x 9 experts x 7K / 50 GB/s = 120.96 us per layer on H800 (400G IB); 6.72 us on
  // GB200 NVL72 (900 GB/s). Simulated: dispatch + combine of the decode step under the paper's bandwidth-only
  // assumptions (the scenario comments derive 121.8 us and 6.86 us from the real 7,408 B and 14,336 B messages).
  const CommResult h800 = run_shipped("speed-limit-h800.json");
  const CommResult gb200 = run_shipped("speed-limit-gb200.json");
  const auto layer_us = [](const CommResult& r) { return units::to_us(r.kernels[0].time + r.kernels[1].time); };
  check_rows("Inference speed limit of [P], EP communication per layer",
             {{"H800, 400G IB", 120.96, layer_us(h800), "us"}, {"GB200 NVL72", 6.72, layer_us(gb200), "us"}});
  // What the bound leaves out, on the measured parameters: printed for the closing note, not checked against [P].
  const CommResult measured = run_shipped("speed-limit-h800-measured.json");
  std::cout << fmt::format("H800 decode step on DeepEP's measured parameters: {:.2f} us per layer\n",
                           layer_us(measured));
}

}  // namespace dsim::run
