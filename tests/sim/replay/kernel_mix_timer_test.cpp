// SPDX-License-Identifier: Apache-2.0
// Compute ops that name kernels: an op takes the sum of its kernels' times (each times its repeat count), reports
// the weakest source among them, and ops of one mix with other reserved SMs are timed apart.
#include <catch2/catch.hpp>

#include "models/compute/compute_model.hpp"
#include "models/network/simple_network.hpp"
#include "sim/replay/replay.hpp"
#include "tests/topology/test_clusters.hpp"

namespace dsim::replay {

TEST_CASE("replay: an op of several kernels takes their summed times and its weakest source", "[replay]") {
  // Mix {gemm x 3, copy x 1}: the table has the GEMM at 10 us, not the copy, which runs at its roofline: 1 GB at
  // 2,000 GB/s = 500 us. Op a: 3 x 10 us + the copy. Op b (mix of the GEMM alone, 2 times, 66 of 132 SMs held):
  // 2 x 10 us x 132 / 66 = 40 us, all from the table.
  auto spec = testing::small_cluster();
  spec.node.gpu.hbm_bandwidth = units::GBps(2000);
  const auto& gpu = spec.node.gpu;
  const Kernel gemm{gemm_shape(Dtype::fp8, 1, 4096, 4096, 4096), 2.0 * 4096 * 4096 * 4096, 0};
  const Kernel copy{memory_shape(1'000'000'000), 0.0, 1'000'000'000};
  workloads::StepTrace trace(8);
  const auto stream = trace.stream("compute");
  const std::pair<Kernel, std::uint32_t> mixed[] = {{gemm, 3}, {copy, 1}};
  const std::pair<Kernel, std::uint32_t> only_gemm[] = {{gemm, 2}};
  workloads::Op a;
  a.name = "a";
  a.rank = RankId(0);
  a.stream = stream;
  a.kernels = trace.add_kernel_mix(mixed);
  trace.add(a);
  workloads::Op b = a;
  b.name = "b";
  b.rank = RankId(1);
  b.kernels = trace.add_kernel_mix(only_gemm);
  b.reserved_sms = 66;
  trace.add(b);
  REQUIRE(trace.kernels().size() == 2);  // the GEMM is one catalog entry shared by both mixes
  REQUIRE_FALSE(trace.match_transfers().has_value());

  const topology::Cluster cluster(spec);
  models::network::SimpleNetwork network(cluster);
  auto table = std::make_shared<const models::compute::KernelTable>(
      models::compute::KernelTableInfo{"test GPU", gpu.sm_count, "", "", ""},
      std::vector<models::compute::MeasuredKernel>{{gemm.shape, units::us(10), ""}});
  const models::compute::ComputeModel compute(gpu, 1.0, table);
  const auto result = replay(cluster, trace, network, compute);
  CHECK(result.ops[0].end - result.ops[0].start == units::us(530));
  CHECK(result.ops[0].source == models::compute::TimingSource::roofline);
  CHECK(units::to_us(result.ops[1].end - result.ops[1].start) ==
        Approx(20.0 * gpu.sm_count / (gpu.sm_count - 66)).epsilon(1e-9));
  CHECK(result.ops[1].source == models::compute::TimingSource::table);
}

}  // namespace dsim::replay
