// SPDX-License-Identifier: Apache-2.0
#include "sim/report/kernel_list.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "calibration/kernel_json.hpp"

namespace dsim::report {

std::vector<KernelListRow> kernel_list(const workloads::StepTrace& trace) {
  // Runs of each catalog kernel per rank, then folded by key (kernels of one key may differ in FLOPs).
  const std::size_t kernels = trace.kernels().size();
  std::vector<std::uint64_t> mix_runs(trace.kernel_mix_count() * static_cast<std::size_t>(trace.rank_count()), 0);
  for (const auto& op : trace.ops()) {
    if (op.kind == workloads::OpKind::compute && op.kernels.valid() && !op.duration) {
      ++mix_runs[op.kernels.index() * static_cast<std::size_t>(trace.rank_count()) + op.rank.index()];
    }
  }
  std::vector<std::uint64_t> runs(kernels * static_cast<std::size_t>(trace.rank_count()), 0);
  for (std::size_t m = 0; m < trace.kernel_mix_count(); ++m) {
    for (const auto& use : trace.kernel_mix(workloads::KernelMixId(static_cast<std::uint32_t>(m)))) {
      for (int r = 0; r < trace.rank_count(); ++r) {
        runs[use.kernel.index() * static_cast<std::size_t>(trace.rank_count()) + static_cast<std::size_t>(r)] +=
            use.count * mix_runs[m * static_cast<std::size_t>(trace.rank_count()) + static_cast<std::size_t>(r)];
      }
    }
  }
  std::map<KernelShape, KernelListRow> by_key;
  std::map<KernelShape, std::vector<std::uint64_t>> per_rank;
  for (std::size_t k = 0; k < kernels; ++k) {
    const Kernel& kernel = trace.kernels()[k];
    by_key.try_emplace(kernel.shape, KernelListRow{kernel, 0, 0});
    auto& ranks = per_rank[kernel.shape];
    ranks.resize(static_cast<std::size_t>(trace.rank_count()), 0);
    for (std::size_t r = 0; r < ranks.size(); ++r) ranks[r] += runs[k * ranks.size() + r];
  }
  std::vector<KernelListRow> rows;
  for (auto& [shape, row] : by_key) {
    const auto& ranks = per_rank[shape];
    for (const std::uint64_t n : ranks) row.total += n;
    row.count = ranks.empty() ? 0 : *std::max_element(ranks.begin(), ranks.end());
    if (row.total > 0) rows.push_back(row);
  }
  return rows;
}

nlohmann::ordered_json kernel_list_json(const std::vector<KernelListRow>& rows, const std::string& source) {
  nlohmann::ordered_json doc;
  doc["format"] = "dsim-kernel-list";
  doc["version"] = 1;
  doc["source"] = source;
  auto& list = doc["kernels"] = nlohmann::ordered_json::array();
  for (const auto& row : rows) {
    auto entry = calibration::shape_json(row.kernel.shape);
    entry["count"] = row.count;
    list.push_back(std::move(entry));
  }
  return doc;
}

std::string source_label(const models::compute::KernelTiming& timing) {
  std::string source(to_string(timing.source));
  const auto rule = timing.estimate ? timing.estimate->rule : models::compute::LookupRule::exact;
  if (rule == models::compute::LookupRule::extrapolated || rule == models::compute::LookupRule::nearest_shape) {
    source += fmt::format(" ({})", to_string(rule));
  }
  return source;
}

std::string kernel_list_text(const std::vector<KernelListRow>& rows, const models::compute::ComputeModel& compute) {
  std::string out = fmt::format("{:<66} {:>9} {:>12} {:>12}  {}\n", "kernel", "runs/GPU", "roofline us",
                                "model us", "source");
  double roofline_total = 0.0;
  double model_total = 0.0;
  for (const auto& row : rows) {
    const double roofline = units::to_us(compute.roofline(row.kernel, 0));
    const auto timing = compute.time(row.kernel, 0);
    const double model = units::to_us(timing.duration);
    roofline_total += roofline * static_cast<double>(row.count);
    model_total += model * static_cast<double>(row.count);
    out += fmt::format("{:<66} {:>9} {:>12.2f} {:>12.2f}  {}\n", describe(row.kernel.shape), row.count, roofline,
                       model, source_label(timing));
  }
  out += fmt::format("{} distinct kernels; each run as often as on the GPU that runs it most, one after another on "
                     "all SMs: {:.1f} ms at the roofline, {:.1f} ms as modeled (an upper bound on any one GPU: "
                     "different kernels' busiest GPUs may differ)\n",
                     rows.size(), roofline_total / 1e3, model_total / 1e3);
  return out;
}

}  // namespace dsim::report
