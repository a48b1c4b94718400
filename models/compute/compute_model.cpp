// SPDX-License-Identifier: Apache-2.0
#include "models/compute/compute_model.hpp"

#include <algorithm>

#include "sim/core/check.hpp"

namespace dsim::models::compute {

ComputeModel::ComputeModel(const topology::GpuSpec& gpu, double efficiency) : gpu_(gpu), efficiency_(efficiency) {
  DSIM_CHECK(efficiency > 0.0 && efficiency <= 1.0, "compute efficiency {} outside (0, 1]", efficiency);
}

ComputeTiming ComputeModel::time(const ComputeRequest& request) const {
  if (request.duration) return {*request.duration, TimingSource::given};
  DSIM_CHECK(request.reserved_sms >= 0 && request.reserved_sms < gpu_.sm_count,
             "{} SMs reserved for communication leave none of the {} of GPU {} for compute", request.reserved_sms,
             gpu_.sm_count, gpu_.model);
  const double sm_share = static_cast<double>(gpu_.sm_count - request.reserved_sms) / gpu_.sm_count;
  const double rate = gpu_.peak(request.dtype) * efficiency_ * sm_share;
  DSIM_CHECK(rate > 0.0 || request.flops == 0.0, "GPU {} has no {} peak rate", gpu_.model, to_string(request.dtype));
  const Time flops_time = request.flops == 0.0 ? Time::zero() : units::compute_time(request.flops, rate);
  Time memory_time = Time::zero();
  if (request.bytes.count() > 0) {
    const double hbm = gpu_.hbm_bandwidth.Bps() * efficiency_;
    DSIM_CHECK(hbm > 0.0, "GPU {} has no HBM bandwidth", gpu_.model);
    memory_time = units::compute_time(static_cast<double>(request.bytes.count()), hbm);
  }
  return {std::max(flops_time, memory_time), TimingSource::roofline};
}

}  // namespace dsim::models::compute
