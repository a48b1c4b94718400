// SPDX-License-Identifier: Apache-2.0
#include "models/compute/compute_model.hpp"

#include "sim/core/check.hpp"

namespace dsim::models::compute {

ComputeModel::ComputeModel(const topology::GpuSpec& gpu, double efficiency) : gpu_(gpu), efficiency_(efficiency) {
  DSIM_CHECK(efficiency > 0.0 && efficiency <= 1.0, "compute efficiency {} outside (0, 1]", efficiency);
}

ComputeTiming ComputeModel::time(const ComputeRequest& request) const {
  if (request.duration) return {*request.duration, TimingSource::given};
  const double rate = gpu_.peak(request.dtype) * efficiency_;
  DSIM_CHECK(rate > 0.0, "GPU {} has no {} peak rate", gpu_.model, to_string(request.dtype));
  return {units::compute_time(request.flops, rate), TimingSource::peak_rate};
}

}  // namespace dsim::models::compute
