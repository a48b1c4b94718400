// SPDX-License-Identifier: Apache-2.0
#include "sim/report/run_totals.hpp"

#include <algorithm>

namespace dsim::report {

RunTotals compute_totals(const RunView& run) {
  const auto& trace = run.trace();
  RunTotals totals;
  totals.ranks.resize(static_cast<std::size_t>(trace.rank_count()));
  for (std::size_t i = 0; i < trace.ops().size(); ++i) {
    const auto& op = trace.ops()[i];
    const auto& record = run.result().ops[i];
    auto& rank = totals.ranks[op.rank.index()];
    ++rank.ops;
    rank.last_end = std::max(rank.last_end, record.end);
    ++totals.ops_by_kind[static_cast<std::size_t>(op.kind)];
    if (op.kind == workloads::OpKind::compute) {
      rank.compute += record.end - record.start;
      ++totals.compute_by_source[static_cast<std::size_t>(record.source)];
      continue;
    }
    rank.transfer += record.end - record.start;
    rank.wait += record.start - record.ready;
  }
  for (const auto& transfer : trace.transfers()) {
    const auto& send = trace.op(transfer.send);
    const auto kind = run.cluster.path_kind(GpuId(send.rank.value()), GpuId(send.peer.value()));
    auto& path = totals.by_path[static_cast<std::size_t>(kind)];
    ++path.transfers;
    path.bytes += send.size.count();
    totals.bytes_sent += send.size.count();
  }
  for (std::size_t l = 0; l < run.result().link_bytes.size(); ++l) {
    totals.link_bytes_by_kind[static_cast<std::size_t>(run.cluster.links()[l].kind)] += run.result().link_bytes[l];
  }
  return totals;
}

}  // namespace dsim::report
