// SPDX-License-Identifier: Apache-2.0
// The compute model: given durations pass through, FLOPs run at peak x efficiency.
#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"

#include "models/compute/compute_model.hpp"
#include "tests/topology/test_clusters.hpp"

namespace dsim::models::compute {

TEST_CASE("compute: a given duration is used as is and says so", "[models]") {
  const ComputeModel model(testing::small_cluster().node.gpu, 0.5);
  const auto timing = model.time({units::us(7), 1e15, Dtype::bf16, Bytes(0), 0});
  CHECK(timing.duration == units::us(7));
  CHECK(timing.source == TimingSource::given);
}

TEST_CASE("compute: FLOPs run at the dtype's peak times efficiency", "[models]") {
  // 1e12 FLOP at 1000 TFLOP/s x 0.5 = 2 ms; in FP8 (2000 TFLOP/s x 0.5) = 1 ms.
  const ComputeModel model(testing::small_cluster().node.gpu, 0.5);
  const auto bf16 = model.time({std::nullopt, 1e12, Dtype::bf16, Bytes(0), 0});
  CHECK(bf16.duration == units::ms(2));
  CHECK(bf16.source == TimingSource::roofline);
  CHECK(model.time({std::nullopt, 1e12, Dtype::fp8, Bytes(0), 0}).duration == units::ms(1));
}

TEST_CASE("compute: a memory-bound op takes its bytes at the HBM bandwidth times efficiency", "[models]") {
  // 1 GFLOP and 6.7 GB on a GPU with 3.35 TB/s: memory 6.7e9 / (3.35e12 x 0.5) = 4 ms beats compute
  // 1e9 / (1e15 x 0.5) = 2 us.
  auto gpu = testing::small_cluster().node.gpu;
  gpu.hbm_bandwidth = units::GBps(3350);
  const ComputeModel model(gpu, 0.5);
  const auto timing = model.time({std::nullopt, 1e9, Dtype::bf16, Bytes(6'700'000'000), 0});
  CHECK(timing.duration == units::ms(4));
  CHECK(timing.source == TimingSource::roofline);
}

TEST_CASE("compute: SMs reserved for communication slow compute in proportion", "[models]") {
  // 20 of 132 SMs reserved: 112/132 of the rate; 1e12 FLOP in BF16 at 1000 TFLOP/s takes 1 ms x 132/112.
  auto gpu = testing::small_cluster().node.gpu;
  gpu.sm_count = 132;
  const ComputeModel model(gpu, 1.0);
  const Time t = model.time({std::nullopt, 1e12, Dtype::bf16, Bytes(0), 20}).duration;
  CHECK(units::to_seconds(t) == Approx(1e-3 * 132.0 / 112.0).epsilon(1e-9));
}

TEST_CASE("compute: an efficiency of 0 or above 1 is a bug caught at construction", "[models]") {
  CHECK_THROWS_AS(ComputeModel(testing::small_cluster().node.gpu, 0.0), InternalError);
  CHECK_THROWS_AS(ComputeModel(testing::small_cluster().node.gpu, 1.5), InternalError);
}


TEST_CASE("compute: a kernel in the table takes its measured time, stretched by SMs held for communication", "[models]") {
  // A GEMM measured at 100 us on all 132 SMs; with 20 held by communication it gets 112: 100 x 132 / 112 us. A
  // memory kernel measured at 10 us does not slow down (112 SMs still saturate HBM).
  auto gpu = testing::small_cluster().node.gpu;
  gpu.sm_count = 132;
  const Kernel gemm{gemm_shape(Dtype::fp8, 1, 4096, 7168, 2048), 2.0 * 4096 * 7168 * 2048, 0};
  const Kernel copy{memory_shape(1 << 30), 0.0, 1 << 30};
  auto table = std::make_shared<const KernelTable>(
      KernelTableInfo{"test GPU", 132, "", "", ""},
      std::vector<MeasuredKernel>{{gemm.shape, units::us(100), ""}, {copy.shape, units::us(10), ""}});
  const ComputeModel model(gpu, 1.0, table);
  const auto full = model.time(gemm, 0);
  CHECK(full.duration == units::us(100));
  CHECK(full.source == TimingSource::table);
  CHECK(units::to_us(model.time(gemm, 20).duration) == Approx(100.0 * 132.0 / 112.0).epsilon(1e-8));
  CHECK(model.time(copy, 20).duration == units::us(10));
  // A table measured on a 114-SM GPU: on this one's 132 SMs the GEMM runs 114/132 as long.
  auto small = std::make_shared<const KernelTable>(
      KernelTableInfo{"114-SM GPU", 114, "", "", ""}, std::vector<MeasuredKernel>{{gemm.shape, units::us(100), ""}});
  CHECK(units::to_us(ComputeModel(gpu, 1.0, small).time(gemm, 0).duration) ==
        Approx(100.0 * 114.0 / 132.0).epsilon(1e-8));
}

TEST_CASE("compute: a kernel the table cannot estimate falls back to the roofline and says so", "[models]") {
  // A BF16 GEMM against a table of FP8 GEMMs: 2 x 1024^3 FLOP at 1000 TFLOP/s = 2.147 us.
  const Kernel bf16{gemm_shape(Dtype::bf16, 1, 1024, 1024, 1024), 2.0 * 1024.0 * 1024.0 * 1024.0, 0};
  auto table = std::make_shared<const KernelTable>(
      KernelTableInfo{"test GPU", 132, "", "", ""},
      std::vector<MeasuredKernel>{{gemm_shape(Dtype::fp8, 1, 1024, 1024, 1024), units::us(1), ""}});
  const ComputeModel model(testing::small_cluster().node.gpu, 1.0, table);
  const auto timing = model.time(bf16, 0);
  CHECK(timing.source == TimingSource::roofline);
  CHECK(timing.duration == model.roofline(bf16, 0));
  CHECK(units::to_us(timing.duration) == Approx(2.147).epsilon(1e-3));
}

TEST_CASE("compute: an op's source is the weakest of its kernels'", "[models]") {
  CHECK(weakest(TimingSource::table, TimingSource::interpolated) == TimingSource::interpolated);
  CHECK(weakest(TimingSource::roofline, TimingSource::table) == TimingSource::roofline);
  CHECK(weakest(TimingSource::table, TimingSource::table) == TimingSource::table);
}

}  // namespace dsim::models::compute
