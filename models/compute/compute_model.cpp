// SPDX-License-Identifier: Apache-2.0
#include "models/compute/compute_model.hpp"

#include <algorithm>

#include "sim/core/check.hpp"

namespace dsim::models::compute {
namespace {

double width(Dtype d) { return d == Dtype::fp8 ? 1.0 : d == Dtype::bf16 ? 2.0 : 4.0; }
double dbl(std::int64_t v) { return static_cast<double>(v); }

// FlashAttention-style backward recomputes the scores and does four GEMMs to forward's two (as op_costs counts).
constexpr double attention_backward_work = 2.5;

}  // namespace

ComputeModel::ComputeModel(const topology::GpuSpec& gpu, double efficiency, std::shared_ptr<const KernelTable> table)
    : gpu_(gpu), efficiency_(efficiency), table_(std::move(table)) {
  DSIM_CHECK(efficiency > 0.0 && efficiency <= 1.0, "compute efficiency {} outside (0, 1]", efficiency);
}

int ComputeModel::free_sms(int reserved_sms) const {
  DSIM_CHECK(reserved_sms >= 0 && reserved_sms < gpu_.sm_count,
             "{} SMs reserved for communication leave none of the {} of GPU {} for compute", reserved_sms,
             gpu_.sm_count, gpu_.model);
  return gpu_.sm_count - reserved_sms;
}

ComputeTiming ComputeModel::time(const ComputeRequest& request) const {
  if (request.duration) return {*request.duration, TimingSource::given};
  const double sm_share = static_cast<double>(free_sms(request.reserved_sms)) / gpu_.sm_count;
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

Time ComputeModel::roofline(const Kernel& kernel, int reserved_sms) const {
  // Memory kernels carry a few FLOPs per element in the trace's op costs; they stay memory-bound.
  return time(ComputeRequest{std::nullopt, kernel.flops, kernel.shape.dtype, Bytes(kernel.bytes), reserved_sms})
      .duration;
}

KernelTiming ComputeModel::time(const Kernel& kernel, int reserved_sms) const {
  const int available = free_sms(reserved_sms);
  if (table_) {
    const auto estimate =
        table_->estimate(kernel.shape, [this](const KernelShape& s) { return shape_roofline_seconds(s); });
    if (estimate) {
      // Measured on the table GPU's SMs; GEMMs and attention spread over the SMs they get here.
      Time t = estimate->time;
      const int table_sms = table_->info().sms > 0 ? table_->info().sms : gpu_.sm_count;
      if (kernel.shape.kind != KernelKind::memory && table_sms != available) {
        t = units::seconds(units::to_seconds(t) * table_sms / available);
      }
      return {t, estimate->rule == LookupRule::exact ? TimingSource::table : TimingSource::interpolated, estimate};
    }
  }
  return {roofline(kernel, reserved_sms), TimingSource::roofline, std::nullopt};
}

// The roofline of a shape from its key alone (operands read once, output written once), used only for ratios
// between shapes of one kind, so the constant factors cancel.
double ComputeModel::shape_roofline_seconds(const KernelShape& s) const {
  const double hbm = gpu_.hbm_bandwidth.Bps();
  double flops = 0.0;
  double bytes = 0.0;
  switch (s.kind) {
    case KernelKind::gemm: {
      const double g = dbl(std::max<std::int64_t>(s.groups, 1));
      flops = 2.0 * g * dbl(s.m) * dbl(s.n) * dbl(s.k);
      bytes = g * ((dbl(s.m) * dbl(s.k) + dbl(s.k) * dbl(s.n)) * width(s.dtype) + dbl(s.m) * dbl(s.n) * 2.0);
      break;
    }
    case KernelKind::attention_forward:
    case KernelKind::attention_backward: {
      // Causal with a longer cache (chunked prefill): each query also sees the kv_len - q_len keys before the chunk.
      const double extra = s.kv_len > s.q_len ? dbl(s.q_len) * dbl(s.kv_len - s.q_len) : 0.0;
      const double pairs =
          s.causal ? dbl(s.q_len) * dbl(s.q_len + 1) / 2.0 + extra : dbl(s.q_len) * dbl(s.kv_len);
      flops = 2.0 * dbl(s.batch) * dbl(s.heads) * pairs * dbl(s.qk_dim + s.v_dim);
      bytes = dbl(s.batch) * (dbl(s.heads) * dbl(s.q_len) * dbl(s.qk_dim + s.v_dim) +
                              dbl(s.kv_heads) * dbl(s.kv_len) * dbl(s.qk_dim + s.v_dim)) *
              width(s.dtype);
      if (s.kind == KernelKind::attention_backward) {
        flops *= attention_backward_work;
        bytes *= 2.0;
      }
      break;
    }
    case KernelKind::memory:
      bytes = static_cast<double>(s.bytes);
      break;
  }
  const double peak = gpu_.peak(s.dtype);
  const double compute_s = flops > 0.0 && peak > 0.0 ? flops / peak : 0.0;
  return std::max(compute_s, hbm > 0.0 ? bytes / hbm : 0.0);
}

}  // namespace dsim::models::compute
