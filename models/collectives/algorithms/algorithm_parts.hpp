// SPDX-License-Identifier: Apache-2.0
// The pieces the collective algorithms share (internal to models/collectives/algorithms): a short inline list of
// dependencies, even splitting of a size, the ring stages, and one builder per algorithm. Builders get a request
// plan_collective has already validated.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "models/collectives/algorithms/collective_algorithms.hpp"
#include "models/collectives/comm_plan.hpp"

namespace dsim::models::collectives::detail {

// The few earlier steps one step waits for, kept inline: no step of these algorithms waits for more than four
// (a rank's data being ready and its channel being free, two steps each). Adding a step twice keeps one.
class Deps {
 public:
  Deps() = default;
  Deps(std::initializer_list<StepId> ids) {
    for (const StepId id : ids) add(id);
  }
  void add(StepId id);
  void add(const Deps& other) {
    for (const StepId id : other.span()) add(id);
  }
  std::span<const StepId> span() const { return {ids_.data(), count_}; }

 private:
  std::array<StepId, 4> ids_{};
  std::size_t count_ = 0;
};

// `size` cut into `parts` pieces that differ by at most one byte, the larger ones first; they sum to `size`.
std::vector<Bytes> split_evenly(Bytes size, int parts);

// Time of folding `input` received bytes into a rank's own: input / reduce_bandwidth, rounded up.
Time reduction_time(Bytes input, Bandwidth reduce_bandwidth);

// The phase of local reductions ("reduce"), made only when reductions cost time.
std::uint32_t reduce_phase(CommPlan& plan, const CollectiveRequest& request);

// What the ranks of a ring stage wait for before their first send: `data` (their input being ready: passed through
// by a stage of one rank) and `channel` (their previous use of this stage being over: dropped by a stage of one
// rank, which sends nothing). Either may be empty, meaning no such wait; otherwise one entry per ring position.
struct StageStart {
  std::span<const Deps> data;
  std::span<const Deps> channel;
};

struct RingPhases {
  std::uint32_t transfer = 0;
  std::uint32_t reduce = 0;  // local reductions
};

// The ring stages, over `ring` (GPUs in ring order, m of them). Each returns, per position, what marks the end of
// the stage there: the rank's last receive (or the reduction after it) and its last send. A rank's sends go out in
// order, each once the data it forwards is in and its previous send is done (one step in flight per ring link).
//
// Reduce-scatter: m-1 steps; chunk[e] is the size of the chunk that ends, fully reduced, at position e. At step s
// position r sends chunk (r-1-s) mod m to r+1, which reduces it into its own before forwarding it.
std::vector<Deps> ring_reduce_scatter(CommPlan& plan, std::span<const GpuId> ring, std::span<const Bytes> chunk,
                                      StageStart start, RingPhases phases, Bandwidth reduce_bandwidth);
// All-gather: m-1 steps; position e starts with block e (of block[e] bytes). At step t position r sends block
// (r-t) mod m to r+1.
std::vector<Deps> ring_all_gather(CommPlan& plan, std::span<const GpuId> ring, std::span<const Bytes> block,
                                  StageStart start, std::uint32_t phase);
// All-reduce: reduce-scatter of `size` cut evenly into m chunks, then all-gather of the reduced chunks.
std::vector<Deps> ring_all_reduce(CommPlan& plan, std::span<const GpuId> ring, Bytes size, StageStart start,
                                  RingPhases reduce_scatter, std::uint32_t all_gather, Bandwidth reduce_bandwidth);

void build_all_to_all(CommPlan& plan, const CollectiveRequest& request);
void build_send_recv(CommPlan& plan, const CollectiveRequest& request);
void build_ring_all_reduce(CommPlan& plan, const CollectiveRequest& request);
void build_reduce_scatter(CommPlan& plan, const CollectiveRequest& request);
void build_all_gather(CommPlan& plan, const CollectiveRequest& request);
void build_tree_all_reduce(CommPlan& plan, const CollectiveRequest& request);
void build_hierarchical_all_reduce(CommPlan& plan, const CollectiveRequest& request);

// The nodes of a hierarchical group, in order of first appearance; each node's ranks in group order. Throws
// InputError (where "group") unless every node appears with all of its gpus_per_node GPUs.
std::vector<std::vector<GpuId>> group_by_node(const std::vector<GpuId>& group, int gpus_per_node);

}  // namespace dsim::models::collectives::detail
