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
  if (op.kind == OpKind::collective) {
    DSIM_CHECK(op.call.valid() && op.call.index() < calls_.size(), "collective op '{}' names no call", op.name);
  }
  if (op.kernels.valid()) {
    DSIM_CHECK(op.kind == OpKind::compute && op.kernels.index() < kernel_mix_count(),
               "op '{}' names an unknown kernel mix", op.name);
  }
  ops_.push_back(std::move(op));
  return OpId(static_cast<OpId::Value>(ops_.size() - 1));
}

void StepTrace::add_dep(OpId op, OpId dep) {
  DSIM_CHECK(op.index() < ops_.size() && dep.valid(), "dependency added to unknown op {}", op.value());
  ops_[op.index()].deps.push_back(dep);
}

GroupId StepTrace::add_group(std::vector<RankId> ranks) {
  DSIM_CHECK(!ranks.empty(), "a collective group needs at least one rank");
  for (const RankId r : ranks) {
    DSIM_CHECK(r.valid() && static_cast<int>(r.value()) < rank_count_, "group names unknown rank");
  }
  const auto [it, fresh] = group_ids_.try_emplace(ranks, GroupId(static_cast<GroupId::Value>(groups_.size())));
  if (fresh) groups_.push_back(std::move(ranks));
  return it->second;
}

KernelId StepTrace::add_kernel(const Kernel& kernel) {
  const auto [it, fresh] = kernel_ids_.try_emplace(kernel, KernelId(static_cast<KernelId::Value>(kernels_.size())));
  if (fresh) kernels_.push_back(kernel);
  return it->second;
}

KernelMixId StepTrace::add_kernel_mix(std::span<const KernelUse> uses) {
  for (const KernelUse& use : uses) {
    DSIM_CHECK(use.kernel.valid() && use.kernel.index() < kernels_.size() && use.count > 0,
               "kernel mix names an unknown kernel or runs one zero times");
  }
  mix_uses_.insert(mix_uses_.end(), uses.begin(), uses.end());
  mix_begin_.push_back(mix_uses_.size());
  return KernelMixId(static_cast<KernelMixId::Value>(mix_begin_.size() - 2));
}

KernelMixId StepTrace::add_kernel_mix(std::span<const std::pair<Kernel, std::uint32_t>> kernels) {
  if (kernels.empty()) return KernelMixId::none();
  std::vector<KernelUse> uses;
  uses.reserve(kernels.size());
  for (const auto& [kernel, count] : kernels) uses.push_back({add_kernel(kernel), count});
  return add_kernel_mix(uses);
}

CallId StepTrace::add_call(const CollectiveCall& call) {
  DSIM_CHECK(call.group.valid() && call.group.index() < groups_.size(), "collective call names an unknown group");
  calls_.push_back(call);
  return CallId(static_cast<CallId::Value>(calls_.size() - 1));
}

// Places each collective op at its rank's position in its call's group; a second op for one (call, rank) or a rank
// left without one is a problem.
std::optional<StepTrace::Problem> StepTrace::match_calls() {
  call_ops_begin_.assign(calls_.size(), 0);
  std::size_t total = 0;
  for (std::size_t c = 0; c < calls_.size(); ++c) {
    call_ops_begin_[c] = total;
    total += groups_[calls_[c].group.index()].size();
  }
  call_ops_.assign(total, OpId());
  // Position of each rank in each group, built once per group.
  std::vector<std::map<std::uint32_t, std::size_t>> position(groups_.size());
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    for (std::size_t i = 0; i < groups_[g].size(); ++i) position[g].emplace(groups_[g][i].value(), i);
  }
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    const Op& op = ops_[i];
    if (op.kind != OpKind::collective) continue;
    const OpId id(static_cast<OpId::Value>(i));
    const CollectiveCall& call = calls_[op.call.index()];
    const auto& where = position[call.group.index()];
    const auto it = where.find(op.rank.value());
    if (it == where.end()) {
      return Problem{id, fmt::format("{} op '{}' on rank {} is not in its call's group", to_string(call.kind),
                                     op.name, op.rank.value())};
    }
    OpId& slot = call_ops_[call_ops_begin_[op.call.index()] + it->second];
    if (slot.valid()) {
      return Problem{id, fmt::format("rank {} joins {} call {} twice ('{}' and '{}')", op.rank.value(),
                                     to_string(call.kind), op.call.value(), ops_[slot.index()].name, op.name)};
    }
    slot = id;
  }
  for (std::size_t c = 0; c < calls_.size(); ++c) {
    const auto& group = groups_[calls_[c].group.index()];
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (call_ops_[call_ops_begin_[c] + i].valid()) continue;
      // Report at the first op that did join, so the error points into the trace.
      OpId joined;
      for (std::size_t j = 0; j < group.size() && !joined.valid(); ++j) joined = call_ops_[call_ops_begin_[c] + j];
      DSIM_CHECK(joined.valid(), "collective call {} has no op at all", c);
      return Problem{joined, fmt::format("rank {} of {} call {} has no op joining it (every rank of the group must "
                                         "join)",
                                         group[i].value(), to_string(calls_[c].kind), c)};
    }
  }
  return std::nullopt;
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
  if (first) return first;
  return match_calls();
}

}  // namespace dsim::workloads
