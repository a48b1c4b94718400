// SPDX-License-Identifier: Apache-2.0
#include "sim/report/step_breakdown.hpp"

#include <algorithm>
#include <utility>

namespace dsim::report {
namespace {

using Interval = std::pair<Time, Time>;

// Sorts and merges overlapping intervals in place.
void merge(std::vector<Interval>& v) {
  std::sort(v.begin(), v.end());
  std::size_t out = 0;
  for (const Interval& i : v) {
    if (i.second <= i.first) continue;
    if (out > 0 && i.first <= v[out - 1].second) {
      v[out - 1].second = std::max(v[out - 1].second, i.second);
    } else {
      v[out++] = i;
    }
  }
  v.resize(out);
}

Time length(const std::vector<Interval>& merged) {
  Time total;
  for (const auto& [a, b] : merged) total += b - a;
  return total;
}

// Length of `a` (merged) covered by `b` (merged).
Time covered(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  Time total;
  std::size_t j = 0;
  for (const auto& [s, e] : a) {
    while (j < b.size() && b[j].second <= s) ++j;
    for (std::size_t k = j; k < b.size() && b[k].first < e; ++k) {
      total += std::min(e, b[k].second) - std::max(s, b[k].first);
    }
  }
  return total;
}

}  // namespace

StepBreakdown step_breakdown(const RunView& run) {
  const auto& trace = run.trace();
  const auto& records = run.result().ops;
  StepBreakdown out;
  out.step = run.result().makespan;
  const auto ranks = static_cast<std::size_t>(trace.rank_count());
  out.ranks.resize(ranks);
  std::vector<std::vector<Interval>> compute(ranks);
  std::vector<std::vector<Interval>> comm(ranks);
  std::vector<bool> active(ranks, false);
  for (std::size_t i = 0; i < trace.ops().size(); ++i) {
    const workloads::Op& op = trace.ops()[i];
    const auto& r = records[i];
    const std::size_t rank = op.rank.index();
    active[rank] = true;
    RankBreakdown& b = out.ranks[rank];
    if (op.kind == workloads::OpKind::compute) {
      compute[rank].emplace_back(r.start, r.end);
      b.compute_by_phase[static_cast<std::size_t>(op.phase)] += r.end - r.start;
      continue;
    }
    comm[rank].emplace_back(r.start, r.end);
    if (op.kind == workloads::OpKind::collective) {
      b.collective_time[static_cast<std::size_t>(trace.call(op.call).kind)] += r.end - r.start;
    }
  }
  Time slowest;
  for (std::size_t rank = 0; rank < ranks; ++rank) {
    if (!active[rank]) continue;
    ++out.active_ranks;
    merge(compute[rank]);
    merge(comm[rank]);
    RankBreakdown& b = out.ranks[rank];
    b.compute = length(compute[rank]);
    const Time comm_total = length(comm[rank]);
    b.overlapped_comm = covered(comm[rank], compute[rank]);
    b.exposed_comm = comm_total - b.overlapped_comm;
    b.bubble = out.step - b.compute - b.exposed_comm;
    if (b.compute > slowest) {
      slowest = b.compute;
      out.slowest_compute_rank = rank;
    }
  }
  // Means in picoseconds, rounded down: reports print microseconds or shares, far coarser.
  const auto n = std::max<std::int64_t>(1, out.active_ranks);
  auto mean_of = [&](auto field) {
    std::int64_t total = 0;
    for (std::size_t rank = 0; rank < ranks; ++rank) {
      if (active[rank]) total += field(out.ranks[rank]).ps();
    }
    return Time::from_ps(total / n);
  };
  out.mean.compute = mean_of([](const RankBreakdown& b) { return b.compute; });
  out.mean.exposed_comm = mean_of([](const RankBreakdown& b) { return b.exposed_comm; });
  out.mean.bubble = mean_of([](const RankBreakdown& b) { return b.bubble; });
  out.mean.overlapped_comm = mean_of([](const RankBreakdown& b) { return b.overlapped_comm; });
  for (std::size_t p = 0; p < out.mean.compute_by_phase.size(); ++p) {
    out.mean.compute_by_phase[p] = mean_of([p](const RankBreakdown& b) { return b.compute_by_phase[p]; });
  }
  for (std::size_t k = 0; k < out.mean.collective_time.size(); ++k) {
    out.mean.collective_time[k] = mean_of([k](const RankBreakdown& b) { return b.collective_time[k]; });
  }
  return out;
}

}  // namespace dsim::report
