// SPDX-License-Identifier: Apache-2.0
// ops.csv and links.csv. Times are exact decimal seconds from integer picoseconds, so files compare byte for byte.
#include <fmt/format.h>

#include "sim/report/report.hpp"

namespace dsim::report {
namespace {

// RFC 4180 quoting, only where a field needs it.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

}  // namespace

std::vector<bool> detail_ranks(const scenario::Scenario& scenario, const workloads::StepTrace& trace) {
  const auto ranks = static_cast<std::size_t>(trace.rank_count());
  std::vector<bool> detail;
  if (!scenario.detail_ranks.empty()) {
    detail.assign(ranks, false);
    for (const int r : scenario.detail_ranks) {
      if (static_cast<std::size_t>(r) < ranks) detail[static_cast<std::size_t>(r)] = true;
    }
    return detail;
  }
  if (trace.ops().size() <= static_cast<std::size_t>(scenario.detail_max_ops) || ranks <= 16) return detail;
  detail.assign(ranks, false);
  for (std::size_t i = 0; i < 16; ++i) detail[i * ranks / 16] = true;
  return detail;
}

std::string ops_csv(const RunView& run) {
  const auto& trace = run.trace();
  std::string out = "op,rank,name,kind,stream,peer,size_bytes,ready_s,start_s,end_s,duration_s,source\n";
  for (std::size_t i = 0; i < trace.ops().size(); ++i) {
    const auto& op = trace.ops()[i];
    if (!run.detailed(op.rank)) continue;
    const auto& record = run.result().ops[i];
    const bool compute = op.kind == workloads::OpKind::compute;
    const bool transfer = op.kind == workloads::OpKind::send || op.kind == workloads::OpKind::recv;
    // A collective's row names its kind as the peer column cannot: "moe_dispatch" and the call's size.
    const std::string peer = transfer ? std::to_string(op.peer.value())
                             : compute ? std::string()
                                       : std::string(to_string(trace.call(op.call).kind));
    const std::string size = transfer ? std::to_string(op.size.count())
                             : compute ? std::string()
                                       : std::to_string(trace.call(op.call).size.count());
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", i, op.rank.value(), csv_field(op.name),
                       to_string(op.kind), csv_field(trace.stream_names()[op.stream.index()]), peer, size,
                       units::format_seconds(record.ready),
                       units::format_seconds(record.start), units::format_seconds(record.end),
                       units::format_seconds(record.end - record.start),
                       compute ? to_string(record.source) : std::string_view("network"));
  }
  return out;
}

std::string links_csv(const RunView& run) {
  std::string out = "link,name,kind,capacity_GBps,efficiency,latency_s,bytes\n";
  const auto& links = run.cluster.links();
  for (std::size_t i = 0; i < links.size(); ++i) {
    const auto& link = links[i];
    out += fmt::format("{},{},{},{},{},{},{}\n", i, csv_field(run.cluster.link_name(LinkId(static_cast<LinkId::Value>(i)))),
                       to_string(link.kind),
                       units::to_GBps(link.capacity), link.efficiency, units::format_seconds(link.latency),
                       run.result().link_bytes[i]);
  }
  return out;
}

}  // namespace dsim::report
