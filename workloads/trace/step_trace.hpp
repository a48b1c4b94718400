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
//   and both finish when the last byte arrives. The k-th send from a to b matches the k-th recv on b from a;
// - a collective call (all-reduce, reduce-scatter, all-gather, all-to-all, MoE dispatch or combine) has one op on
//   each rank of its group; it starts when all of them are ready and they all finish when the collective does.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <ostream>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/core/dtype.hpp"
#include "sim/core/ids.hpp"
#include "sim/core/kernel.hpp"
#include "sim/core/units.hpp"
#include "workloads/trace/dep_list.hpp"

namespace dsim::workloads {

enum class OpKind : std::uint8_t { compute, send, recv, collective };
inline constexpr std::array<std::string_view, 4> op_kind_names = {"compute", "send", "recv", "collective"};
constexpr std::string_view to_string(OpKind k) { return op_kind_names[static_cast<std::size_t>(k)]; }

// Which part of a training step an op belongs to, for the per-phase breakdown of reports. Generated traces tag
// their ops; hand-written and imported ones leave them `other`.
enum class Phase : std::uint8_t { other, forward, backward, backward_input, backward_weight, optimizer };
inline constexpr std::array<std::string_view, 6> phase_names = {"other",          "forward",         "backward",
                                                                "backward_input", "backward_weight", "optimizer"};
constexpr std::string_view to_string(Phase p) { return phase_names[static_cast<std::size_t>(p)]; }

// Kernels an op runs: each distinct kernel once in the trace's catalog, each op naming a mix (a list of kernels with
// repeat counts) that many ops share (a layer part's GEMMs in one format, in every micro-batch on every rank).
using KernelId = DenseId<struct KernelIdTag>;
using KernelMixId = DenseId<struct KernelMixIdTag>;
struct KernelUse {
  KernelId kernel;
  std::uint32_t count = 1;
};

// An op's name. Generated steps give the same name to the op of every rank of a group and every data-parallel
// replica, so names are shared text: one pointer per op instead of one string (a training step has ~15M ops).
class OpName {
 public:
  OpName() = default;
  OpName(std::string text) : text_(std::make_shared<const std::string>(std::move(text))) {}  // NOLINT: implicit
  OpName(const char* text) : OpName(std::string(text)) {}                                       // NOLINT: implicit
  operator const std::string&() const { return str(); }                                        // NOLINT: implicit
  const std::string& str() const {
    static const std::string empty;
    return text_ ? *text_ : empty;
  }
  std::size_t size() const { return str().size(); }
  bool empty() const { return str().empty(); }
  std::size_t find(std::string_view s, std::size_t pos = 0) const { return str().find(s, pos); }
  std::size_t find(char c, std::size_t pos = 0) const { return str().find(c, pos); }
  bool starts_with(std::string_view s) const { return str().starts_with(s); }
  bool ends_with(std::string_view s) const { return str().ends_with(s); }
  std::string substr(std::size_t pos, std::size_t n = std::string::npos) const { return str().substr(pos, n); }
  const char* c_str() const { return str().c_str(); }
  friend bool operator==(const OpName& a, const OpName& b) { return a.str() == b.str(); }
  friend bool operator==(const OpName& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const OpName& a, const char* b) { return a.str() == b; }
  friend bool operator==(const OpName& a, const std::string& b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& out, const OpName& name) { return out << name.str(); }
  friend std::string operator+(const OpName& a, std::string_view b) { return a.str() + std::string(b); }

 private:
  std::shared_ptr<const std::string> text_;
};

using StreamId = DenseId<struct StreamIdTag>;
using GroupId = DenseId<struct GroupIdTag>;
using CallId = DenseId<struct CallIdTag>;

enum class CollectiveOp : std::uint8_t { all_to_all, all_reduce, reduce_scatter, all_gather, moe_dispatch, moe_combine };
inline constexpr std::array<std::string_view, 6> collective_op_names = {
    "all_to_all", "all_reduce", "reduce_scatter", "all_gather", "moe_dispatch", "moe_combine"};
constexpr std::string_view to_string(CollectiveOp c) { return collective_op_names[static_cast<std::size_t>(c)]; }

// A DeepEP-style MoE dispatch or combine as the workload sees it: how many tokens each rank of the group routes,
// their width and format, and which kernels move them. Which expert each token picks is the router's business (the
// replay routes each (group, routing_sample) once, with the scenario's router): the trace stays hardware-agnostic.
struct MoeCall {
  bool low_latency = false;          // decode kernels (direct per-expert messages) instead of normal ones
  std::int64_t tokens_per_rank = 0;
  std::int64_t hidden = 0;
  Dtype payload = Dtype::fp8;        // fp8 adds one fp32 scale per 128 channels
  int sms = 20;                      // SMs a normal kernel occupies
  std::uint32_t routing_sample = 0;  // calls with the same sample and group see the same routing
};

struct CollectiveCall {
  CollectiveOp kind = CollectiveOp::all_reduce;
  GroupId group;
  Bytes size;  // nccl-tests' size (see models/collectives); unused by moe_dispatch / moe_combine
  MoeCall moe;
};

// Fields are ordered by size, so that the record takes 104 bytes, not 128: a V3 step holds 15 million of them.
struct Op {
  OpName name;
  DepList deps;
  // compute: a fixed duration, or FLOPs in a dtype for the compute model to time
  std::optional<Time> duration;
  double flops = 0.0;
  Bytes bytes;  // compute: HBM bytes read and written (memory-bound ops: decode attention, elementwise)
  Bytes size;   // send / recv
  RankId rank;
  StreamId stream;
  RankId peer;  // send / recv
  // collective: the call this op joins
  CallId call;
  // compute: SMs that communication kernels hold while this op runs (DualPipe reserves them for the whole step)
  int reserved_sms = 0;
  // compute: the kernels it runs, one after another (generated steps); none: the op is timed from its FLOPs and
  // bytes as one kernel (hand-written traces). flops and bytes are then the kernels' sums, for reports.
  KernelMixId kernels;
  OpKind kind = OpKind::compute;
  Dtype dtype = Dtype::bf16;
  Phase phase = Phase::other;
};
static_assert(sizeof(Op) <= 104, "an op's record grew: a V3 step holds 15 million of them");

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
  // Makes `op` wait for `dep` as well (generators chain stages after emitting them).
  void add_dep(OpId op, OpId dep);
  // Room for this many ops in all, so that a generator that can estimate its size does not grow the op list by
  // doubling: each doubling copies it and touches twice the memory (a V3 step's list is over a gigabyte).
  void reserve_ops(std::size_t ops) { ops_.reserve(ops); }
  // A group of ranks for collectives; the same list of ranks always gets the same id.
  GroupId add_group(std::vector<RankId> ranks);
  // A collective call; each rank of its group then adds one op of kind collective naming it.
  CallId add_call(const CollectiveCall& call);
  // A kernel of the catalog; the same kernel always gets the same id.
  KernelId add_kernel(const Kernel& kernel);
  // A list of kernels for ops to share (not deduplicated: generators add one per distinct segment).
  KernelMixId add_kernel_mix(std::span<const KernelUse> uses);
  // Both at once: each kernel into the catalog, then the mix of them (none for an empty list).
  KernelMixId add_kernel_mix(std::span<const std::pair<Kernel, std::uint32_t>> kernels);

  int rank_count() const { return rank_count_; }
  const std::vector<Op>& ops() const { return ops_; }
  const Op& op(OpId id) const { return ops_[id.index()]; }
  const std::vector<std::string>& stream_names() const { return stream_names_; }
  const std::vector<Transfer>& transfers() const { return transfers_; }
  const std::vector<CollectiveCall>& calls() const { return calls_; }
  const CollectiveCall& call(CallId id) const { return calls_[id.index()]; }
  const std::vector<RankId>& group(GroupId id) const { return groups_[id.index()]; }
  const std::vector<Kernel>& kernels() const { return kernels_; }
  const Kernel& kernel(KernelId id) const { return kernels_[id.index()]; }
  std::size_t kernel_mix_count() const { return mix_begin_.size() - 1; }
  std::span<const KernelUse> kernel_mix(KernelMixId id) const {
    return {mix_uses_.data() + mix_begin_[id.index()], mix_begin_[id.index() + 1] - mix_begin_[id.index()]};
  }
  std::size_t group_count() const { return groups_.size(); }
  // The ops of a call, in the order of its group's ranks (valid only after match_transfers()).
  std::span<const OpId> call_ops(CallId id) const {
    return {call_ops_.data() + call_ops_begin_[id.index()], groups_[calls_[id.index()].group.index()].size()};
  }
  // For a send or recv, the transfer it belongs to (valid only after match_transfers()).
  std::size_t transfer_of(OpId id) const { return transfer_index_[id.index()]; }

  // Pairs sends with recvs and gathers each collective call's ops. Returns a problem (an op without a partner,
  // sizes that differ, a collective op on a rank outside its group, a rank of a group without its op) or nothing.
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
  std::vector<std::vector<RankId>> groups_;
  std::map<std::vector<RankId>, GroupId> group_ids_;
  std::vector<CollectiveCall> calls_;
  std::vector<std::size_t> call_ops_begin_;  // by call: its first entry in call_ops_
  std::vector<OpId> call_ops_;
  std::vector<Kernel> kernels_;
  std::map<Kernel, KernelId> kernel_ids_;
  std::vector<KernelUse> mix_uses_;
  std::vector<std::size_t> mix_begin_{0};  // by mix: its first use in mix_uses_; one past the last at the end

  std::optional<Problem> match_calls();
};

// Finds a set of ops that can never start: a dependency cycle, including cycles formed through stream order, send/recv
// rendezvous (two ranks each waiting to receive before they send) and collectives (their ops start together). Returns the ops of one cycle
// in order, or an empty vector when every op can run. Requires match_transfers() to have succeeded.
std::vector<OpId> find_deadlock(const StepTrace& trace);

}  // namespace dsim::workloads

template <>
struct fmt::formatter<dsim::workloads::OpName> : fmt::formatter<std::string_view> {
  auto format(const dsim::workloads::OpName& name, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(name.str(), ctx);
  }
};
