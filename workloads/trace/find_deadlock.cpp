// SPDX-License-Identifier: Apache-2.0
// Deadlock detection for a step trace, run before any simulation so a bad trace is an input error, never a hang.
// The wait-for graph has one node per op, except that a send and its matching recv are one node, and so are all
// the ops of one collective call (they start and end together). Edges: each dependency, and each op's predecessor on its (rank, stream). A cycle in that graph is
// a set of ops that can never start. Kahn's algorithm removes every op that can run; any node left lies on or
// behind a cycle, and walking back through nodes left from there must revisit one, which closes the cycle.
#include <algorithm>
#include <map>
#include <utility>

#include "workloads/trace/step_trace.hpp"

namespace dsim::workloads {

std::vector<OpId> find_deadlock(const StepTrace& trace) {
  const auto& ops = trace.ops();
  const std::size_t n = ops.size();
  auto node_of = [&](std::size_t op) -> std::size_t {
    if (ops[op].kind == OpKind::compute) return op;
    if (ops[op].kind == OpKind::collective) return trace.call_ops(ops[op].call).front().index();
    return trace.transfers()[trace.transfer_of(OpId(static_cast<OpId::Value>(op)))].send.index();
  };

  std::vector<std::vector<std::size_t>> predecessors(n);
  std::vector<std::vector<std::size_t>> successors(n);
  auto add_edge = [&](std::size_t from_op, std::size_t to_op) {
    const std::size_t from = node_of(from_op);
    const std::size_t to = node_of(to_op);
    successors[from].push_back(to);
    predecessors[to].push_back(from);
  };
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> last_on_stream;
  for (std::size_t i = 0; i < n; ++i) {
    for (const OpId dep : ops[i].deps) add_edge(dep.index(), i);
    const auto key = std::make_pair(ops[i].rank.value(), ops[i].stream.value());
    if (const auto it = last_on_stream.find(key); it != last_on_stream.end()) add_edge(it->second, i);
    last_on_stream[key] = i;
  }

  std::vector<std::size_t> waiting(n, 0);
  for (std::size_t v = 0; v < n; ++v) waiting[v] = predecessors[v].size();
  std::vector<std::size_t> ready;
  for (std::size_t v = 0; v < n; ++v) {
    if (node_of(v) == v && waiting[v] == 0) ready.push_back(v);
  }
  std::vector<bool> done(n, false);
  while (!ready.empty()) {
    const std::size_t v = ready.back();
    ready.pop_back();
    done[v] = true;
    for (const std::size_t s : successors[v]) {
      if (--waiting[s] == 0) ready.push_back(s);
    }
  }

  std::size_t start = n;
  for (std::size_t v = 0; v < n && start == n; ++v) {
    if (node_of(v) == v && !done[v]) start = v;
  }
  if (start == n) return {};
  // Walk backwards through undone predecessors until a node repeats.
  std::vector<std::size_t> walk;
  std::vector<std::size_t> position(n, n);
  std::size_t v = start;
  while (position[v] == n) {
    position[v] = walk.size();
    walk.push_back(v);
    const auto& preds = predecessors[v];
    v = *std::find_if(preds.begin(), preds.end(), [&](std::size_t p) { return !done[p]; });
  }
  std::vector<OpId> cycle;
  for (std::size_t i = walk.size(); i-- > position[v];) cycle.push_back(OpId(static_cast<OpId::Value>(walk[i])));
  return cycle;
}

}  // namespace dsim::workloads
