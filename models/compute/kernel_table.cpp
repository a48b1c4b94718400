// SPDX-License-Identifier: Apache-2.0
#include "models/compute/kernel_table.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "sim/core/check.hpp"

namespace dsim::models::compute {
namespace {

// An axis along which measured shapes of one kind are interpolated: which key fields move together.
struct Axis {
  std::int64_t (*value)(const KernelShape&);
  void (*set)(KernelShape&, std::int64_t);
  bool (*applies)(const KernelShape&);  // the shape can move along this axis
};

bool always(const KernelShape&) { return true; }

constexpr Axis gemm_axes[] = {
    {[](const KernelShape& s) { return s.m; }, [](KernelShape& s, std::int64_t v) { s.m = v; }, always},
    {[](const KernelShape& s) { return s.n; }, [](KernelShape& s, std::int64_t v) { s.n = v; }, always},
    {[](const KernelShape& s) { return s.k; }, [](KernelShape& s, std::int64_t v) { s.k = v; }, always},
    {[](const KernelShape& s) { return s.groups; }, [](KernelShape& s, std::int64_t v) { s.groups = v; }, always},
};
// Training and prefill attention grows along the sequence (queries and keys together); decode along the cache.
constexpr Axis attention_axes[] = {
    {[](const KernelShape& s) { return s.batch; }, [](KernelShape& s, std::int64_t v) { s.batch = v; }, always},
    {[](const KernelShape& s) { return s.q_len; },
     [](KernelShape& s, std::int64_t v) { s.q_len = s.kv_len = v; },
     [](const KernelShape& s) { return s.q_len == s.kv_len; }},
    {[](const KernelShape& s) { return s.kv_len; }, [](KernelShape& s, std::int64_t v) { s.kv_len = v; }, always},
    {[](const KernelShape& s) { return s.q_len; }, [](KernelShape& s, std::int64_t v) { s.q_len = v; }, always},
};
constexpr Axis memory_axes[] = {
    {[](const KernelShape& s) { return static_cast<std::int64_t>(s.bytes); },
     [](KernelShape& s, std::int64_t v) { s.bytes = static_cast<std::uint64_t>(v); }, always},
};

std::span<const Axis> axes_of(KernelKind kind) {
  switch (kind) {
    case KernelKind::gemm: return gemm_axes;
    case KernelKind::attention_forward:
    case KernelKind::attention_backward: return attention_axes;
    case KernelKind::memory: return memory_axes;
  }
  return {};
}

// Entries of the same kind and, except for memory kernels (which only move bytes), the same format.
bool same_family(const KernelShape& a, const KernelShape& b) {
  return a.kind == b.kind && (a.kind == KernelKind::memory || a.dtype == b.dtype);
}

// Sum of |log ratio| over the numeric key fields: how far apart two shapes of one family are.
double log_distance(const KernelShape& a, const KernelShape& b) {
  const auto fields = [](const KernelShape& s) {
    return std::array<double, 12>{double(s.groups), double(s.m),      double(s.n),      double(s.k),
                                  double(s.batch),  double(s.heads),  double(s.kv_heads), double(s.q_len),
                                  double(s.kv_len), double(s.qk_dim), double(s.v_dim),  double(s.bytes)};
  };
  const auto fa = fields(a);
  const auto fb = fields(b);
  double d = a.causal == b.causal ? 0.0 : 1.0;
  for (std::size_t i = 0; i < fa.size(); ++i) {
    if (fa[i] == fb[i]) continue;
    if (fa[i] <= 0.0 || fb[i] <= 0.0) return std::numeric_limits<double>::infinity();
    d += std::abs(std::log(fa[i] / fb[i]));
  }
  return d;
}

double seconds(Time t) { return units::to_seconds(t); }

// The query's time when it runs at the utilisation (roofline / measured) `entry` reached.
double held_utilisation(const MeasuredKernel& entry, const KernelShape& query, const ShapeRoofline& roofline) {
  const double r_entry = roofline(entry.shape);
  const double r_query = roofline(query);
  DSIM_CHECK(r_entry > 0.0 && r_query > 0.0, "a kernel with no work: {} or {}", describe(entry.shape),
             describe(query));
  return seconds(entry.time) * r_query / r_entry;
}

}  // namespace

KernelTable::KernelTable(KernelTableInfo info, std::vector<MeasuredKernel> entries)
    : info_(std::move(info)), entries_(std::move(entries)) {
  std::sort(entries_.begin(), entries_.end(),
            [](const MeasuredKernel& a, const MeasuredKernel& b) { return a.shape < b.shape; });
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    DSIM_CHECK(entries_[i].time > Time::zero(), "kernel table entry {} has no time", describe(entries_[i].shape));
    const bool fresh = index_.emplace(entries_[i].shape, i).second;
    DSIM_CHECK(fresh, "kernel table has two entries for {}", describe(entries_[i].shape));
  }
}

// The shortest time the table measured, of any kind: back-to-back launches of the smallest kernels take about this
// long whatever their work, so no estimate goes below it. (The fastest kernel of the query's own family would be a
// wrong floor where the table measured that family only at large sizes, as for attention.)
double KernelTable::launch_floor() const {
  double floor = 0.0;
  for (const MeasuredKernel& e : entries_) {
    const double t = seconds(e.time);
    if (floor == 0.0 || t < floor) floor = t;
  }
  return floor;
}

const MeasuredKernel* KernelTable::find(const KernelShape& shape) const {
  const auto it = index_.find(shape);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::optional<TableEstimate> KernelTable::estimate(const KernelShape& query, const ShapeRoofline& roofline) const {
  if (const MeasuredKernel* hit = find(query)) return TableEstimate{hit->time, LookupRule::exact, hit, nullptr};

  // Best axis: a bracket beats an extrapolation; then the tighter bracket / the nearer point (in log space).
  std::optional<TableEstimate> best;
  std::tuple<int, double> best_score{2, 0.0};
  for (const Axis& axis : axes_of(query.kind)) {
    if (!axis.applies(query)) continue;
    const std::int64_t v = axis.value(query);
    if (v <= 0) continue;
    const MeasuredKernel* lo = nullptr;
    const MeasuredKernel* hi = nullptr;
    for (const MeasuredKernel& e : entries_) {
      if (!same_family(e.shape, query) || !axis.applies(e.shape)) continue;
      KernelShape moved = e.shape;
      axis.set(moved, v);
      if (moved != query) continue;
      const std::int64_t ev = axis.value(e.shape);
      if (ev < v && (!lo || ev > axis.value(lo->shape))) lo = &e;
      if (ev > v && (!hi || ev < axis.value(hi->shape))) hi = &e;
    }
    const double lv = std::log(static_cast<double>(v));
    if (lo && hi) {
      const double a = std::log(static_cast<double>(axis.value(lo->shape)));
      const double b = std::log(static_cast<double>(axis.value(hi->shape)));
      const std::tuple<int, double> score{0, b - a};
      if (score < best_score) {
        // Utilisation (roofline / measured) interpolated log-log, then the time clamped between the two measured
        // times: the shape roofline is log-convex in the axis, so the clamped time is monotonic between them.
        const double f = (lv - a) / (b - a);
        const double u_lo = roofline(lo->shape) / seconds(lo->time);
        const double u_hi = roofline(hi->shape) / seconds(hi->time);
        const double u = std::exp(std::log(u_lo) + f * (std::log(u_hi) - std::log(u_lo)));
        const double t_lo = seconds(lo->time);
        const double t_hi = seconds(hi->time);
        const double t = std::clamp(roofline(query) / u, std::min(t_lo, t_hi), std::max(t_lo, t_hi));
        best = TableEstimate{units::seconds(t), LookupRule::interpolated, lo, hi};
        best_score = score;
      }
    } else if (lo || hi) {
      const MeasuredKernel* near = lo ? lo : hi;
      const std::tuple<int, double> score{1, std::abs(lv - std::log(static_cast<double>(axis.value(near->shape))))};
      if (score < best_score) {
        // Above the range the time grows like the roofline; below it, it stays at the nearest point's (a smaller
        // kernel is bound by launch and latency, not by its work).
        const double t = lo ? held_utilisation(*near, query, roofline) : seconds(near->time);
        best = TableEstimate{units::seconds(std::max(t, launch_floor())), LookupRule::extrapolated, near, nullptr};
        best_score = score;
      }
    }
  }
  if (best) return best;

  const MeasuredKernel* nearest = nullptr;
  double nearest_distance = std::numeric_limits<double>::infinity();
  for (const MeasuredKernel& e : entries_) {
    if (!same_family(e.shape, query)) continue;
    const double d = log_distance(e.shape, query);
    if (d < nearest_distance) {
      nearest = &e;
      nearest_distance = d;
    }
  }
  if (!nearest) return std::nullopt;
  const double t = std::max(held_utilisation(*nearest, query, roofline), launch_floor());
  return TableEstimate{units::seconds(t), LookupRule::nearest_shape, nearest, nullptr};
}

}  // namespace dsim::models::compute
