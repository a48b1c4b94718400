// SPDX-License-Identifier: Apache-2.0
// timeline.json in the Chrome trace event format (the JSON object form with "traceEvents"): one process per GPU,
// one thread per stream, a complete ("X") event per op, and a flow arrow from each send to its recv at the moment
// the data starts to move (inside both slices, so the arrow binds to them). Timestamps are
// exact decimal microseconds. Perfetto and chrome://tracing open it.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/report/report.hpp"

namespace dsim::report {
namespace {

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

}  // namespace

std::string timeline_json(const RunView& run) {
  const auto& trace = run.trace();
  const int per_node = run.cluster.spec().node.gpus;
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool first = true;
  auto event = [&](const std::string& body) {
    if (!first) out += ",\n";
    first = false;
    out += body;
  };

  // Name the processes and threads that carry ops, in rank then stream order.
  std::vector<std::vector<bool>> used(static_cast<std::size_t>(trace.rank_count()),
                                      std::vector<bool>(trace.stream_names().size(), false));
  for (const auto& op : trace.ops()) {
    if (run.detailed(op.rank)) used[op.rank.index()][op.stream.index()] = true;
  }
  for (std::size_t rank = 0; rank < used.size(); ++rank) {
    bool any = false;
    for (std::size_t s = 0; s < used[rank].size(); ++s) {
      if (!used[rank][s]) continue;
      if (!any) {
        const auto name = fmt::format("rank {} (node {} gpu {})", rank, rank / static_cast<std::size_t>(per_node),
                                      rank % static_cast<std::size_t>(per_node));
        event(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"args":{{"name":{}}}}})", rank, quoted(name)));
        event(fmt::format(R"({{"ph":"M","name":"process_sort_index","pid":{},"args":{{"sort_index":{}}}}})", rank,
                          rank));
        any = true;
      }
      event(fmt::format(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":{}}}}})", rank, s,
                        quoted(trace.stream_names()[s])));
    }
  }

  for (std::size_t i = 0; i < trace.ops().size(); ++i) {
    const auto& op = trace.ops()[i];
    if (!run.detailed(op.rank)) continue;
    const auto& record = run.result().ops[i];
    std::string args;
    if (op.kind == workloads::OpKind::compute) {
      args = fmt::format(R"("source":"{}","phase":"{}")", to_string(record.source), to_string(op.phase));
      if (!op.duration) {
        args += fmt::format(R"(,"flops":{},"dtype":"{}","bytes":{})", op.flops, to_string(op.dtype),
                            op.bytes.count());
      }
    } else if (op.kind == workloads::OpKind::collective) {
      const auto& call = trace.call(op.call);
      args = fmt::format(R"("call":{},"collective":"{}","ranks":{},"phase":"{}","waited_us":{})", op.call.value(),
                         to_string(call.kind), trace.group(call.group).size(), to_string(op.phase),
                         units::format_us(record.start - record.ready));
    } else {
      args = fmt::format(R"("peer":{},"bytes":{},"waited_us":{})", op.peer.value(), op.size.count(),
                         units::format_us(record.start - record.ready));
    }
    // A send or recv is drawn from when it was posted: the wait for its partner occupies the stream too.
    const Time begin = op.kind == workloads::OpKind::compute ? record.start : record.ready;
    event(fmt::format(R"({{"ph":"X","name":{},"cat":"{}","pid":{},"tid":{},"ts":{},"dur":{},"args":{{{}}}}})",
                      quoted(op.name), to_string(op.kind), op.rank.value(), op.stream.value(), units::format_us(begin),
                      units::format_us(record.end - begin), args));
  }

  for (std::size_t t = 0; t < trace.transfers().size(); ++t) {
    const auto& transfer = trace.transfers()[t];
    const auto& send = trace.op(transfer.send);
    const auto& recv = trace.op(transfer.recv);
    if (!run.detailed(send.rank) || !run.detailed(recv.rank)) continue;
    const auto& send_record = run.result().ops[transfer.send.index()];
    const auto& recv_record = run.result().ops[transfer.recv.index()];
    event(fmt::format(R"({{"ph":"s","name":"transfer","cat":"transfer","id":{},"pid":{},"tid":{},"ts":{}}})", t,
                      send.rank.value(), send.stream.value(), units::format_us(send_record.start)));
    event(fmt::format(
        R"({{"ph":"f","bp":"e","name":"transfer","cat":"transfer","id":{},"pid":{},"tid":{},"ts":{}}})", t,
        recv.rank.value(), recv.stream.value(), units::format_us(recv_record.start)));
  }
  out += "\n]}\n";
  return out;
}

}  // namespace dsim::report
