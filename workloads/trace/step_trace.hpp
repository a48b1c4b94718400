// SPDX-License-Identifier: Apache-2.0
// A step trace: every rank's ops for one step, with their dependencies. Workloads produce it (generated from a
// model, imported from a profiler trace, or written by hand in a scenario); the replay executes it on a cluster.
// It knows nothing of the hardware: a compute op says how long it takes or how many FLOPs it does, a send says how
// many bytes go to which peer rank.
//
// Execution semantics (what the replay guarantees):
// - ops on one (rank, stream) run in the order they were added, one at a time, like a CUDA stream;
// - an op starts once every op in `deps` has finished and its stream's previous op has finished;
// - a send and its matching recv form a rendezvous (as NCCL send/recv): the transfer starts when both are ready,
//   and both finish when the last byte arrives. The k-th send from a to b matches the k-th recv on b from a.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/dtype.hpp"
#include "sim/core/ids.hpp"
#include "sim/core/units.hpp"

namespace dsim::workloads {

enum class OpKind : std::uint8_t { compute, send, recv };
constexpr std::string_view to_string(OpKind k) {
  return k == OpKind::compute ? "compute" : k == OpKind::send ? "send" : "recv";
}

using StreamId = DenseId<struct StreamIdTag>;

struct Op {
  std::string name;
  RankId rank;
  OpKind kind = OpKind::compute;
  StreamId stream;
  std::vector<OpId> deps;
  // compute: a fixed duration, or FLOPs in a dtype for the compute model to time
  std::optional<Time> duration;
  double flops = 0.0;
  Dtype dtype = Dtype::bf16;
  // send / recv
  RankId peer;
  Bytes size;
};

// A matched send/recv pair.
struct Transfer {
  OpId send;
  OpId recv;
};

class StepTrace {
 public:
  explicit StepTrace(int rank_count) : rank_count_(rank_count) {}

  // Returns the id of the stream with this name, adding it on first use.
  StreamId stream(std::string_view name);
  // Deps may name ops added later (ids are dense, in add order); cycles are found by find_deadlock(), not here.
  OpId add(Op op);

  int rank_count() const { return rank_count_; }
  const std::vector<Op>& ops() const { return ops_; }
  const Op& op(OpId id) const { return ops_[id.index()]; }
  const std::vector<std::string>& stream_names() const { return stream_names_; }
  const std::vector<Transfer>& transfers() const { return transfers_; }
  // For a send or recv, the transfer it belongs to (valid only after match_transfers()).
  std::size_t transfer_of(OpId id) const { return transfer_index_[id.index()]; }

  // Pairs sends with recvs. Returns a problem (an op without a partner, or sizes that differ) or nothing.
  struct Problem {
    OpId op;
    std::string message;
    bool about_size = false;  // the problem is the op's size (lets the loader point at size_bytes)
  };
  std::optional<Problem> match_transfers();

 private:
  int rank_count_;
  std::vector<Op> ops_;
  std::vector<std::string> stream_names_;
  std::vector<Transfer> transfers_;
  std::vector<std::size_t> transfer_index_;
};

// Finds a set of ops that can never start: a dependency cycle, including cycles formed through stream order and
// through send/recv rendezvous (two ranks each waiting to receive before they send). Returns the ops of one cycle
// in order, or an empty vector when every op can run. Requires match_transfers() to have succeeded.
std::vector<OpId> find_deadlock(const StepTrace& trace);

}  // namespace dsim::workloads
