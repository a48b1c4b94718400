// SPDX-License-Identifier: Apache-2.0
// Short ways to add ops to a StepTrace by hand, shared by the workloads and replay tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "workloads/trace/step_trace.hpp"

namespace dsim::testing {

inline OpId add_compute(workloads::StepTrace& trace, std::uint32_t rank, const std::string& name, Time duration,
                        std::vector<OpId> deps = {}, const std::string& stream = "compute") {
  workloads::Op op;
  op.name = name;
  op.rank = RankId(rank);
  op.kind = workloads::OpKind::compute;
  op.stream = trace.stream(stream);
  op.duration = duration;
  op.deps = std::move(deps);
  return trace.add(std::move(op));
}

inline OpId add_transfer(workloads::StepTrace& trace, workloads::OpKind kind, std::uint32_t rank, std::uint32_t peer,
                         std::uint64_t bytes, const std::string& name, std::vector<OpId> deps = {},
                         const std::string& stream = "comm") {
  workloads::Op op;
  op.name = name;
  op.rank = RankId(rank);
  op.kind = kind;
  op.stream = trace.stream(stream);
  op.peer = RankId(peer);
  op.size = Bytes(bytes);
  op.deps = std::move(deps);
  return trace.add(std::move(op));
}

// One collective call over `ranks`, with one op per rank on `stream`; returns the ops in rank order.
inline std::vector<OpId> add_collective(workloads::StepTrace& trace, const workloads::CollectiveCall& shape,
                                        const std::vector<std::uint32_t>& ranks, const std::string& name,
                                        const std::vector<std::vector<OpId>>& deps = {},
                                        const std::string& stream = "comm") {
  std::vector<RankId> group;
  for (const auto r : ranks) group.push_back(RankId(r));
  workloads::CollectiveCall call = shape;
  call.group = trace.add_group(group);
  const workloads::CallId id = trace.add_call(call);
  std::vector<OpId> ops;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    workloads::Op op;
    op.name = name;
    op.rank = RankId(ranks[i]);
    op.kind = workloads::OpKind::collective;
    op.stream = trace.stream(stream);
    op.call = id;
    if (i < deps.size()) op.deps = deps[i];
    ops.push_back(trace.add(std::move(op)));
  }
  return ops;
}

}  // namespace dsim::testing
