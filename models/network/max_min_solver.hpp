// SPDX-License-Identifier: Apache-2.0
// Max-min fair sharing of link bandwidth between flows, recomputed incrementally: the hot path of the flow-level
// network model (DESIGN.md section 6). Pure arithmetic on dense ids; it knows nothing of topologies.
//
// Model (SimGrid's LMM with every weight 1): flows are variables, links are constraints with a capacity C_l in
// bytes/s, and every flow crossing link l counts once against C_l. Progressive filling: the bottleneck is the link
// with the smallest fair share (remaining capacity / flows not yet fixed on it), ties broken by the smaller link
// index; its unfixed flows are fixed at that share, their rate is taken off every other link they cross, and the
// step repeats until every flow is fixed. The result is the unique max-min fair allocation (Bertsekas & Gallager,
// Data Networks, section 6.5.2): sum of rates on a link <= C_l, and every flow crosses a saturated link on which no
// flow has a larger rate.
//
// Incremental solve: only the component of the change is recomputed, i.e. the flows and links reachable (through
// shared links) from the flows added since the last solve and from the links of the flows removed since then. The
// component is closed, so solving it alone gives the same rates as solving everything. On a densely shared fabric
// the component can be all flows; the cost is then one full solve, O(sum of path lengths x log links).
//
// Determinism: a solve's computed rates depend only on the component's flows and the link capacities, never on the
// order of internal lists (within a step every touched link sees the same subtraction repeated, and the bottleneck
// order is the total order (share, link index)), so the same calls give the same rates bitwise.
//
// Tolerance: a recomputed rate within rate_tolerance (1e-12 relative) of the stored one keeps the stored value and
// is not reported as changed, so float noise from a refilled component never makes the caller reschedule a flow,
// and rate() always equals the rate the caller was last told about. Stored rates thus depend on the history of
// calls (deterministically) and stay within 1e-12 relative of a fresh solve of the current flows.
//
// Flow ids are reused: remove_flow puts the id on a free list and add_flow takes the most recently freed id first
// (LIFO), so arrays stay sized to the peak number of concurrent flows. A caller needing ids in start order (as
// NetworkModel::start_flow promises) keeps its own map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sim/core/ids.hpp"

namespace dsim::models::network {

class MaxMinSolver {
 public:
  static constexpr double rate_tolerance = 1e-12;

  // Adds a link of the given capacity (bytes/s, > 0 and finite); returns its dense index 0, 1, 2, ...
  std::uint32_t add_link(double capacity_Bps);
  // A new flow across `links` (at least one, each a valid link index, no repeats). Its rate is 0 until solve().
  FlowId add_flow(std::span<const std::uint32_t> links);
  // Removes an active flow; its id may be handed out again by add_flow.
  void remove_flow(FlowId flow);

  // Recomputes the component of the changes since the last solve and returns the active flows whose rate changed
  // (every flow added since, plus those whose rate moved by more than rate_tolerance), sorted by id. The span is
  // valid until the next call that changes the solver.
  std::span<const FlowId> solve();

  // The flow's rate in bytes/s as of the last solve (0 for a flow added since).
  double rate(FlowId flow) const;
  std::size_t active_flows() const { return active_count_; }
  std::size_t link_count() const { return capacity_.size(); }
  // Flows and links recomputed by the last solve (its component), for benchmarks and tests.
  std::size_t last_component_flows() const { return component_flows_.size(); }
  std::size_t last_component_links() const { return component_links_.size(); }

 private:
  // One entry of a link's flow list: the flow and the position of this link in the flow's path, so that a
  // swap-remove can fix the moved flow's back-pointer in O(1).
  struct LinkEntry {
    std::uint32_t flow;
    std::uint32_t slot;
  };

  void collect_component();
  void fill_component();
  bool heap_less(std::uint32_t a, std::uint32_t b) const;
  void heap_sift_up(std::size_t pos);
  void heap_sift_down(std::size_t pos);
  void heap_remove(std::uint32_t link);
  void heap_update(std::uint32_t link);

  // Links.
  std::vector<double> capacity_;
  std::vector<std::vector<LinkEntry>> link_flows_;  // flows on each link, unordered (swap-remove)

  // Flows, indexed by FlowId. A path lives in path_pool_[path_offset_, + path_length_); the position of the flow
  // in each of its links' lists sits in path_pos_ at the same index. Freed path blocks are kept per length.
  std::vector<std::uint32_t> path_offset_;
  std::vector<std::uint32_t> path_length_;
  std::vector<double> rate_;
  std::vector<bool> active_;
  std::vector<std::uint32_t> path_pool_;
  std::vector<std::uint32_t> path_pos_;
  std::vector<std::vector<std::uint32_t>> free_blocks_;  // by path length: offsets into path_pool_
  std::vector<std::uint32_t> free_ids_;                   // LIFO
  std::size_t active_count_ = 0;

  // Changes since the last solve: seeds of the component.
  std::vector<std::uint32_t> dirty_flows_;
  std::vector<std::uint32_t> dirty_links_;

  // Per-solve scratch, sized to links or flows once and reused; a mark equal to epoch_ means "set in this solve".
  std::uint32_t epoch_ = 0;
  std::vector<std::uint32_t> link_mark_;   // link is in the component
  std::vector<std::uint32_t> flow_mark_;   // flow is in the component
  std::vector<std::uint32_t> flow_fixed_;  // flow's rate is fixed in this solve
  std::uint64_t step_ = 0;                 // filling steps ever taken, for link_touch_
  std::vector<std::uint64_t> link_touch_;  // link was touched in filling step step_
  std::vector<double> remaining_;          // capacity not yet given to fixed flows
  std::vector<std::uint32_t> unfixed_;     // flows on the link not yet fixed
  std::vector<double> share_;              // remaining_ / unfixed_
  std::vector<std::uint32_t> heap_pos_;    // position in heap_, or npos
  std::vector<std::uint32_t> heap_;        // links of the component with unfixed flows, min (share, index) first
  std::vector<std::uint32_t> component_flows_;
  std::vector<std::uint32_t> component_links_;
  std::vector<std::uint32_t> touched_;
  std::vector<double> new_rate_;
  std::vector<FlowId> changed_;
};

}  // namespace dsim::models::network
