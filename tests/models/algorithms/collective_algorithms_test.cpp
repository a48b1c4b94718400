// SPDX-License-Identifier: Apache-2.0
// The collective request's checks (each with its message), the bus-bandwidth factors of nccl-tests, the name
// tables and the phases reports show.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <set>
#include <string>

#include "sim/core/errors.hpp"
#include "tests/models/algorithms/collective_timing.hpp"

namespace dsim::models::collectives {

using namespace collective_tests;

TEST_CASE("bus bandwidth factors are those of nccl-tests", "[models]") {
  // n = 8: all_reduce 2 x 7/8 = 1.75; reduce_scatter, all_gather, all_to_all 7/8 = 0.875; send_recv 1.
  CHECK(bus_bandwidth_factor(CollectiveKind::all_reduce, 8) == 1.75);
  CHECK(bus_bandwidth_factor(CollectiveKind::reduce_scatter, 8) == 0.875);
  CHECK(bus_bandwidth_factor(CollectiveKind::all_gather, 8) == 0.875);
  CHECK(bus_bandwidth_factor(CollectiveKind::all_to_all, 8) == 0.875);
  CHECK(bus_bandwidth_factor(CollectiveKind::send_recv, 8) == 1.0);
  CHECK(bus_bandwidth_factor(CollectiveKind::all_reduce, 1) == 0.0);
  CHECK_THROWS_WITH(bus_bandwidth_factor(CollectiveKind::all_reduce, 0),
                    "collective: group: a bus-bandwidth factor needs at least 1 rank, got 0");
}

TEST_CASE("collective kinds and all-reduce algorithms parse from their names and print back", "[models]") {
  // Every name in the tables round-trips; an unknown one gives nothing.
  for (const std::string_view name : collective_kind_names) CHECK(to_string(*parse_collective_kind(name)) == name);
  for (const std::string_view name : all_reduce_algorithm_names) {
    CHECK(to_string(*parse_all_reduce_algorithm(name)) == name);
  }
  CHECK(parse_collective_kind("allreduce") == std::nullopt);
  CHECK(parse_all_reduce_algorithm("double_tree") == std::nullopt);
}

TEST_CASE("a collective needs at least two distinct GPUs", "[models]") {
  // One rank has no one to talk to; a GPU listed twice would be two ranks on one device.
  CHECK_THROWS_WITH(plan_collective(make_request(CollectiveKind::all_reduce, gpu_list({3}), 100)),
                    "collective: group: a collective needs at least 2 ranks, the group has 1; list 2 or more GPUs");
  CHECK_THROWS_WITH(plan_collective(make_request(CollectiveKind::all_reduce, gpu_list({0, 3, 1, 3}), 100)),
                    "collective: group: GPU 3 is listed twice in the group (ranks 1 and 3); list each GPU once");
  CHECK_THROWS_WITH(plan_collective(make_request(CollectiveKind::all_reduce, {GpuId(0), GpuId::none()}, 100)),
                    "collective: group: rank 1 has no GPU id; give every rank a GPU");
}

TEST_CASE("all_gather, reduce_scatter and all_to_all need a size that the ranks divide", "[models]") {
  // 1001 B over 4 ranks leaves a block of 250.25 B; the nearest multiples of 4 are 1000 and 1004.
  const auto message = [](std::string_view kind) {
    return fmt::format("collective: size: {} size 1001 B is not a multiple of the 4 ranks (each rank's buffer is 4 "
                       "blocks of size/4); use a multiple of 4 B, e.g. 1000 or 1004",
                       kind);
  };
  for (const auto kind : {CollectiveKind::all_gather, CollectiveKind::reduce_scatter, CollectiveKind::all_to_all}) {
    CHECK_THROWS_WITH(plan_collective(make_request(kind, gpu_range(0, 4), 1001)), message(to_string(kind)));
  }
  CHECK_NOTHROW(plan_collective(make_request(CollectiveKind::all_reduce, gpu_range(0, 4), 1001)));
  CHECK_NOTHROW(plan_collective(make_request(CollectiveKind::send_recv, gpu_range(0, 4), 1001)));
}

TEST_CASE("pipeline chunks and reduction speed must make sense", "[models]") {
  // Zero chunks would send nothing; a negative reduction speed has no meaning.
  auto request = make_request(CollectiveKind::all_reduce, gpu_range(0, 4), 1000);
  request.pipeline_chunks = 0;
  CHECK_THROWS_WITH(plan_collective(request), "collective: pipeline_chunks: pipeline_chunks must be at least 1, got 0");
  request.pipeline_chunks = 1;
  request.reduce_bandwidth = Bandwidth::from_Bps(-1);
  CHECK_THROWS_WITH(plan_collective(request), "collective: reduce_bandwidth: reduce_bandwidth must be 0 (free "
                                              "reductions) or a positive number of bytes/s, got -1");
}

TEST_CASE("hierarchical all-reduce needs whole nodes", "[models]") {
  // GPUs 0-5 with 4 GPUs a node: node 1 (GPUs 4-7) has only 4 and 5 in the group.
  auto request = make_request(CollectiveKind::all_reduce, gpu_range(0, 6), 1000);
  request.algorithm = AllReduceAlgorithm::hierarchical;
  request.gpus_per_node = 4;
  CHECK_THROWS_WITH(plan_collective(request),
                    "collective: group: hierarchical all_reduce needs whole nodes of 4 GPUs, but node 1 (GPUs 4-7) "
                    "has 2 in the group; add its other GPUs, or use the ring or tree algorithm");
  request.gpus_per_node = 0;
  CHECK_THROWS_WITH(plan_collective(request),
                    "collective: gpus_per_node: hierarchical all_reduce needs gpus_per_node of at least 1, got 0");
  request.gpus_per_node = 3;
  CHECK_NOTHROW(plan_collective(request));
}

TEST_CASE("collective plans name their phases for reports", "[models]") {
  // Each algorithm's transfers and reductions land in the phases its comment names, listed in the order they run;
  // phase 0 stays "other", unused.
  const auto phases_of = [](CollectiveRequest request) {
    request.reduce_bandwidth = units::GBps(100);
    std::set<std::string> names;
    const CommPlan plan = plan_collective(request);
    for (const Step& step : plan.steps()) names.insert(plan.phases()[step.phase]);
    return names;
  };
  auto request = make_request(CollectiveKind::all_reduce, gpu_range(0, 8), 8000);
  CHECK(phases_of(request) == std::set<std::string>{"reduce-scatter", "reduce", "all-gather"});
  request.algorithm = AllReduceAlgorithm::tree;
  CHECK(phases_of(request) == std::set<std::string>{"tree reduce", "reduce", "tree broadcast"});
  request.algorithm = AllReduceAlgorithm::hierarchical;
  request.gpus_per_node = 4;
  CHECK(phases_of(request) == std::set<std::string>{"intra-node reduce-scatter", "reduce", "inter-node all-reduce",
                                                    "intra-node all-gather"});
  request.reduce_bandwidth = units::GBps(100);
  CHECK(plan_collective(request).phases() == std::vector<std::string>{"other", "intra-node reduce-scatter", "reduce",
                                                                      "inter-node all-reduce",
                                                                      "intra-node all-gather"});
  CHECK(phases_of(make_request(CollectiveKind::all_to_all, gpu_range(0, 8), 8000)) ==
        std::set<std::string>{"all-to-all"});
  CHECK(phases_of(make_request(CollectiveKind::send_recv, gpu_range(0, 8), 8000)) ==
        std::set<std::string>{"send-recv"});
  CHECK(phases_of(make_request(CollectiveKind::reduce_scatter, gpu_range(0, 8), 8000)) ==
        std::set<std::string>{"reduce-scatter", "reduce"});
  CHECK(phases_of(make_request(CollectiveKind::all_gather, gpu_range(0, 8), 8000)) ==
        std::set<std::string>{"all-gather"});
}

}  // namespace dsim::models::collectives
