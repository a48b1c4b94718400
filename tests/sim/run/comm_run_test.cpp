// SPDX-License-Identifier: Apache-2.0
// `dsim comm` runs: collectives report nccl-tests' figures, KV-cache reads from host memory slow an EP dispatch
// down by sharing the PCIe switch, and fabrics can be compared in one run.
#include <catch2/catch.hpp>

#include "sim/run/comm_run.hpp"
#include "sim/scenario/json_source.hpp"
#include "sim/scenario/scenario.hpp"

namespace dsim::run {
namespace {

CommResult run_file(const std::string& file) {
  const auto path = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/comm" / file;
  return run_comm(scenario::load_scenario(path, {}));
}

}  // namespace

TEST_CASE("comm run: an EP dispatch slows down as KV-cache offload reads grow", "[sim]") {
  // scenarios/comm/pcie-contention.json: the dispatch's RDMA arrivals and the host-memory reads cross the same
  // PCIe switch-to-GPU link, so each larger offload makes the dispatch no faster and, once the reads overlap the
  // whole dispatch, strictly slower.
  const CommResult result = run_file("pcie-contention.json");
  std::vector<Time> dispatch;
  for (const auto& k : result.kernels) {
    if (k.name == "dispatch") dispatch.push_back(k.time);
  }
  REQUIRE(dispatch.size() >= 3);
  for (std::size_t i = 1; i < dispatch.size(); ++i) CHECK(dispatch[i] >= dispatch[i - 1]);
  CHECK(dispatch.back() > dispatch.front());
}

TEST_CASE("comm run: the all-to-all fabric comparison runs on both fabrics", "[sim]") {
  const CommResult result = run_file("alltoall-mpft-vs-mrft.json");
  REQUIRE(result.kernels.size() == 2);
  CHECK(result.kernels[0].fabric == "multi_plane_fat_tree");
  CHECK(result.kernels[1].fabric == "multi_rail_fat_tree");
  for (const auto& k : result.kernels) CHECK(k.time > Time::zero());
  // MPFT forwards cross-plane pairs over NVLink (PXN); MRFT sends them across the shared spines.
  CHECK(result.kernels[0].bytes_by_link_kind[static_cast<std::size_t>(topology::LinkKind::nvlink)] >
        result.kernels[1].bytes_by_link_kind[static_cast<std::size_t>(topology::LinkKind::nvlink)]);
}

}  // namespace dsim::run
