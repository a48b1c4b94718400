// SPDX-License-Identifier: Apache-2.0
// The compute model: given durations pass through, FLOPs run at peak x efficiency.
#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"

#include "models/compute/compute_model.hpp"
#include "tests/topology/test_clusters.hpp"

namespace dsim::models::compute {

TEST_CASE("compute: a given duration is used as is and says so", "[models]") {
  const ComputeModel model(testing::small_cluster().node.gpu, 0.5);
  const auto timing = model.time({units::us(7), 1e15, Dtype::bf16});
  CHECK(timing.duration == units::us(7));
  CHECK(timing.source == TimingSource::given);
}

TEST_CASE("compute: FLOPs run at the dtype's peak times efficiency", "[models]") {
  // 1e12 FLOP at 1000 TFLOP/s x 0.5 = 2 ms; in FP8 (2000 TFLOP/s x 0.5) = 1 ms.
  const ComputeModel model(testing::small_cluster().node.gpu, 0.5);
  const auto bf16 = model.time({std::nullopt, 1e12, Dtype::bf16});
  CHECK(bf16.duration == units::ms(2));
  CHECK(bf16.source == TimingSource::peak_rate);
  CHECK(model.time({std::nullopt, 1e12, Dtype::fp8}).duration == units::ms(1));
}

TEST_CASE("compute: an efficiency of 0 or above 1 is a bug caught at construction", "[models]") {
  CHECK_THROWS_AS(ComputeModel(testing::small_cluster().node.gpu, 0.0), InternalError);
  CHECK_THROWS_AS(ComputeModel(testing::small_cluster().node.gpu, 1.5), InternalError);
}

}  // namespace dsim::models::compute
