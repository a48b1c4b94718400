// SPDX-License-Identifier: Apache-2.0
// Validation of the simulated decode step against the inference speed limit of [P], by running the shipped
// scenarios/v3/tpot-bound-*.json through run::Simulation: the inference step generator builds V3's decode step with
// computation hidden and dual micro-batch overlap, and the replay runs DeepEP low-latency calls on the flow network.
// Tolerance: 10% against the paper's TPOT; 1% against the hand derivation from the real message bytes.
//   [P] Zhao et al., "Insights into DeepSeek-V3", ISCA 2025, section on the theoretical upper bound of TPOT:
//       (1 + 2) B x 32 x 9 x 7K / 50 GB/s = 120.96 us per communication, 2 x 120.96 us per layer, 61 layers,
//       TPOT 14.76 ms on H800 with 400G InfiniBand; 6.72 us per communication and about 0.82 ms on GB200 NVL72.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/run/simulation.hpp"
#include "sim/scenario/scenario.hpp"

namespace dsim::run {
namespace {

constexpr double paper_tolerance = 0.10;
constexpr double derivation_tolerance = 0.01;

// DeepEP's low-latency messages for V3's hidden 7,168 (REFERENCE.md, DeepEP tables): FP8 dispatch carries the
// vector, a 4-byte scale per 128 channels and a 16-byte header; BF16 combine the vector at 2 bytes.
constexpr double dispatch_bytes = 7168 + 7168 / 128 * 4 + 16;  // 7,408 B
constexpr double combine_bytes = 7168 * 2;                     // 14,336 B
// V3's first 3 of 61 layers are dense: they carry no EP traffic, so with computation hidden they take no time.
constexpr int moe_layers = 61 - 3;

struct Step {
  double step_us = 0.0;
  double tpot_us = 0.0;
};

// Runs a shipped scenario of scenarios/v3, with `overrides` ("--set" style) applied.
Step run_shipped(const std::string& file, const std::vector<std::string>& overrides = {}) {
  const auto path = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/v3" / file;
  scenario::LoadOptions options;
  options.set_overrides = overrides;
  const scenario::Scenario scenario = scenario::load_scenario(path, options);
  const Simulation simulation(scenario);
  const RunOutput out = simulation.run();
  REQUIRE(out.figures.inference);
  Step s;
  s.step_us = units::to_us(out.result.makespan);
  s.tpot_us = s.step_us / out.figures.inference->emitted_per_sequence;
  return s;
}

void print_row(const std::string& label, double expected, double simulated, const std::string& unit) {
  std::cout << fmt::format("{:<52} {:>10.2f} {:>10.2f} {:>+7.1f}%  {}\n", label, expected, simulated,
                           100 * (simulated / expected - 1), unit);
}

bool within(double simulated, double expected, double tolerance) {
  return std::abs(simulated / expected - 1) <= tolerance;
}

}  // namespace

TEST_CASE("validation: the GB200 NVL72 decode step reaches the TPOT bound of Zhao et al. within 10 percent",
          "[validation]") {
  // tpot-bound-nvl72.json, all 61 layers (under a second of wall time). Each GPU sends 32 tokens x 9 experts =
  // 288 messages per micro-batch, 4 to each of the 72 GPUs, 4 of them to itself: 284 x (7,408 + 14,336) B over
  // 900 GB/s = 6.864 us per dispatch + combine (paper: 6.72 us from 3 B x 7K). Two micro-batches on one comm
  // stream, 58 MoE layers: 2 x 6.864 us x 58 = 796.2 us. Paper: about 0.82 ms (61 layers x 2 x 6.72 us = 819.8 us);
  // the step is 2.9% shorter because V3's 3 dense layers have no EP communication.
  const double per_call_us = 284 * (dispatch_bytes + combine_bytes) / 900e9 * 1e6;
  const double derived_us = 2 * per_call_us * moe_layers;
  const double paper_us = 820.0;
  const Step s = run_shipped("tpot-bound-nvl72.json");
  std::cout << "\n[P] TPOT bound on GB200 NVL72\n";
  print_row("TPOT, hand derivation from message bytes", derived_us, s.tpot_us, "us");
  print_row("TPOT, paper (about 0.82 ms)", paper_us, s.tpot_us, "us");
  CHECK(within(s.tpot_us, derived_us, derivation_tolerance));
  CHECK(within(s.tpot_us, paper_us, paper_tolerance));
}

TEST_CASE("validation: the H800 InfiniBand decode step reaches the TPOT bound of Zhao et al. within 10 percent",
          "[validation]") {
  // tpot-bound-h800-ib.json runs all 61 layers in about 45 s (19M flows on 288 GPUs), too slow for a test, so this
  // test cuts the step to its 3 dense layers plus 1, then 2, MoE layers (/workload/model/layers 4 and 5): the
  // difference is one MoE layer, and the dense layers must add nothing. Each GPU sends 288 messages per
  // micro-batch, one to each GPU: 280 leave the node through its 50 GB/s NIC (7 go over NVLink, 1 to itself), so
  // a dispatch + combine takes 280 x (7,408 + 14,336) B / 50 GB/s = 121.77 us (paper: 120.96 us) and a layer
  // 2 x 121.77 = 243.5 us (paper: 241.92 us). V3's TPOT is 58 MoE layers x 243.5 us = 14.12 ms (the full scenario
  // gives 14.125 ms); paper: 61 x 241.92 us = 14.76 ms, 4.3% more because it counts the 3 dense layers as MoE.
  const double per_call_us = 280 * (dispatch_bytes + combine_bytes) / 50e9 * 1e6;
  const double derived_layer_us = 2 * per_call_us;
  const Step one = run_shipped("tpot-bound-h800-ib.json", {"/workload/model/layers=4"});
  const Step two = run_shipped("tpot-bound-h800-ib.json", {"/workload/model/layers=5"});
  const double layer_us = two.tpot_us - one.tpot_us;
  const double tpot_us = layer_us * moe_layers;
  std::cout << "\n[P] TPOT bound on H800 with 400G InfiniBand\n";
  print_row("MoE layer, hand derivation from message bytes", derived_layer_us, layer_us, "us");
  print_row("MoE layer, paper (2 x 120.96 us)", 241.92, layer_us, "us");
  print_row("step of 3 dense + 1 MoE layers against one MoE layer", layer_us, one.tpot_us, "us");
  print_row("TPOT, 58 MoE layers, against the paper's 14.76 ms", 14760.0, tpot_us, "us");
  CHECK(within(layer_us, derived_layer_us, derivation_tolerance));
  CHECK(within(one.tpot_us, layer_us, derivation_tolerance));
  CHECK(within(layer_us, 241.92, paper_tolerance));
  CHECK(within(tpot_us, 14760.0, paper_tolerance));
}

}  // namespace dsim::run
