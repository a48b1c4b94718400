// SPDX-License-Identifier: Apache-2.0
// Times compute ops. An op naming a kernel mix takes the sum of its kernels' times, and reports the weakest source
// among them; the sum is computed once per (mix, reserved SMs), since a training step runs millions of ops over a
// few hundred mixes. Other ops go to the compute model as they are (a given duration, or FLOPs and bytes).
#pragma once

#include <cstdint>
#include <unordered_map>

#include "models/compute/compute_model.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::replay {

class KernelMixTimer {
 public:
  KernelMixTimer(const workloads::StepTrace& trace, const models::compute::ComputeModel& compute)
      : trace_(trace), compute_(compute) {}

  models::compute::ComputeTiming time(const workloads::Op& op) {
    if (op.duration || !op.kernels.valid()) {
      return compute_.time({op.duration, op.flops, op.dtype, op.bytes, op.reserved_sms});
    }
    const std::uint64_t key = (static_cast<std::uint64_t>(op.kernels.value()) << 32) |
                              static_cast<std::uint32_t>(op.reserved_sms);
    const auto [it, fresh] = cache_.try_emplace(key);
    if (fresh) {
      models::compute::ComputeTiming sum{Time::zero(), models::compute::TimingSource::table};
      for (const workloads::KernelUse& use : trace_.kernel_mix(op.kernels)) {
        const auto timing = compute_.time(trace_.kernel(use.kernel), op.reserved_sms);
        sum.duration += timing.duration * static_cast<std::int64_t>(use.count);
        sum.source = models::compute::weakest(sum.source, timing.source);
      }
      it->second = sum;
    }
    return it->second;
  }

 private:
  const workloads::StepTrace& trace_;
  const models::compute::ComputeModel& compute_;
  std::unordered_map<std::uint64_t, models::compute::ComputeTiming> cache_;
};

}  // namespace dsim::replay
