// SPDX-License-Identifier: Apache-2.0
#include "workloads/trace/step_trace.hpp"

#include <limits>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.hpp"

namespace dsim::workloads {

StreamId StepTrace::stream(std::string_view name) {
  for (std::size_t i = 0; i < stream_names_.size(); ++i) {
    if (stream_names_[i] == name) return StreamId(static_cast<StreamId::Value>(i));
  }
  stream_names_.emplace_back(name);
  return StreamId(static_cast<StreamId::Value>(stream_names_.size() - 1));
}

OpId StepTrace::add(Op op) {
  DSIM_CHECK(op.rank.valid() && static_cast<int>(op.rank.value()) < rank_count_, "op '{}' on unknown rank",
             op.name);
  DSIM_CHECK(op.stream.valid() && op.stream.index() < stream_names_.size(), "op '{}' on unknown stream", op.name);
  for (const OpId dep : op.deps) DSIM_CHECK(dep.valid(), "op '{}' has an invalid dependency", op.name);
  ops_.push_back(std::move(op));
  return OpId(static_cast<OpId::Value>(ops_.size() - 1));
}

std::optional<StepTrace::Problem> StepTrace::match_transfers() {
  transfers_.clear();
  transfer_index_.assign(ops_.size(), std::numeric_limits<std::size_t>::max());
  // Queues of unmatched sends and recvs per ordered (sender, receiver) pair; a std::map keeps the order of the
  // problem reported deterministic.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<OpId>> sends;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<OpId>> recvs;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    const Op& op = ops_[i];
    if (op.kind == OpKind::send) sends[{op.rank.value(), op.peer.value()}].push_back(OpId(static_cast<OpId::Value>(i)));
    if (op.kind == OpKind::recv) recvs[{op.peer.value(), op.rank.value()}].push_back(OpId(static_cast<OpId::Value>(i)));
  }
  std::optional<Problem> first;
  auto note = [&first](Problem p) {
    if (!first || p.op < first->op) first = std::move(p);
  };
  for (const auto& [pair, send_ops] : sends) {
    const auto it = recvs.find(pair);
    const std::size_t recv_count = it == recvs.end() ? 0 : it->second.size();
    for (std::size_t k = 0; k < send_ops.size(); ++k) {
      const Op& send = ops_[send_ops[k].index()];
      if (k >= recv_count) {
        note({send_ops[k], fmt::format("send #{} from rank {} to rank {} has no matching recv on rank {}", k + 1,
                                       pair.first, pair.second, pair.second)});
        continue;
      }
      const OpId recv_id = it->second[k];
      const Op& recv = ops_[recv_id.index()];
      if (recv.size != send.size) {
        note({recv_id,
              fmt::format("recv of {} bytes does not match the size of its send '{}' on rank {} ({} bytes)",
                          recv.size.count(), send.name, pair.first, send.size.count()),
              true});
        continue;
      }
      transfer_index_[send_ops[k].index()] = transfers_.size();
      transfer_index_[recv_id.index()] = transfers_.size();
      transfers_.push_back({send_ops[k], recv_id});
    }
  }
  for (const auto& [pair, recv_ops] : recvs) {
    const auto it = sends.find(pair);
    const std::size_t send_count = it == sends.end() ? 0 : it->second.size();
    for (std::size_t k = send_count; k < recv_ops.size(); ++k) {
      note({recv_ops[k], fmt::format("recv #{} on rank {} from rank {} has no matching send on rank {}", k + 1,
                                     pair.second, pair.first, pair.first)});
    }
  }
  return first;
}

}  // namespace dsim::workloads
