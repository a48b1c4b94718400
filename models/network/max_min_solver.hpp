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
// Levels: a filling step is named by its level (share, bottleneck index). In exact arithmetic the levels of a fill
// strictly increase; rounding can put a recomputed share a few ulps below the step that touched the link, and such a
// share is raised to just above that step's level (share_after in the .cpp), so the levels of a fill strictly
// increase in floating point too. Each link keeps its flows sorted by the level at which they were fixed: the
// filling's history. Its remaining capacity at any level is the capacity less the shares below that level, taken
// off in list order, which is the order the fill took them off: restored bitwise.
//
// Incremental solve (partial re-fill): a change leaves every step below some level L* as it was (the argument is
// at MaxMinSolver::solve in the .cpp: L* is the removed flow's level, or the first level at which an added flow's
// link would undercut the step taken). solve() restores the state at L* of the links reachable from the changed
// links through flows fixed at or above L*, and re-fills only those; flows fixed below L* are not touched. Its
// result is the same, bitwise, as filling every flow from scratch. Cost: on a densely shared fabric the re-fill is
// the flows above L* (about two thirds of them for one random flow ending and one starting), plus one sequential
// pass over the lists of the links re-filled; at worst (a change at the lowest level) it is one full solve,
// O(sum of path lengths x log links). remove_flow costs one step per link of the flow (each entry's position is
// kept).
//
// Determinism: a solve's computed rates depend only on the active flows and the link capacities, never on the order
// of internal lists (within a step every touched link sees the same subtraction repeated, and the bottleneck order
// is the total order of levels), so the same calls give the same rates bitwise.
//
// Tolerance: a recomputed rate within rate_tolerance (1e-12 relative) of the stored one keeps the stored value and
// is not reported as changed, so float noise from a refilled component never makes the caller reschedule a flow,
// and rate() always equals the rate the caller was last told about. Stored rates thus depend on the history of
// calls (deterministically), including the rates add_flow(id, links, rate) presets, and stay within 1e-12 relative of
// a fresh solve of the current flows.
//
// Flow ids are reused: remove_flow puts the id on a free list and add_flow takes the most recently freed id first
// (LIFO), so arrays stay sized to the peak number of concurrent flows. A caller with dense ids of its own (as
// FlowNetwork has) may pass them instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "sim/core/ids.hpp"

namespace dsim::models::network {

class MaxMinSolver {
 public:
  static constexpr double rate_tolerance = 1e-12;

  MaxMinSolver() = default;
  // Each link's state points into its list's storage: a copy would point into the original's.
  MaxMinSolver(const MaxMinSolver&) = delete;
  MaxMinSolver& operator=(const MaxMinSolver&) = delete;
  MaxMinSolver(MaxMinSolver&&) = default;
  MaxMinSolver& operator=(MaxMinSolver&&) = default;

  // Adds a link of the given capacity (bytes/s, > 0 and finite); returns its dense index 0, 1, 2, ...
  std::uint32_t add_link(double capacity_Bps);
  // A new flow across `links` (at least one, each a valid link index, no repeats). Its rate is 0 until solve().
  FlowId add_flow(std::span<const std::uint32_t> links);
  // The same under an id the caller picks (not active; arrays grow to the largest id), so that a caller with dense
  // ids of its own needs no map from the solver's. Once a flow is added this way (which needs no flow active), the
  // solver takes no more ids of its own.
  void add_flow(FlowId id, std::span<const std::uint32_t> links);
  // The same for a flow that moved at `rate` (bytes/s) in a solver of its own links alone (FlowNetwork's replayed
  // groups): the next solve reports it only if its rate moves by more than rate_tolerance, as if it had been here
  // all along.
  void add_flow(FlowId id, std::span<const std::uint32_t> links, double rate);
  // Removes an active flow; its id may be handed out again by add_flow.
  void remove_flow(FlowId flow);

  // A flow whose rate a solve changed, and its new rate (bytes/s).
  struct Change {
    FlowId flow;
    double rate;
  };
  // Re-fills what the changes since the last solve can affect and returns the active flows whose rate changed
  // (every flow added since, plus those whose rate moved by more than rate_tolerance), each once, in an order that
  // depends only on the calls made. The span is valid until the next call that changes the solver.
  std::span<const Change> solve();

  // The flow's rate in bytes/s as of the last solve (for a flow added since: 0, or the rate add_flow was given).
  double rate(FlowId flow) const;
  std::size_t active_flows() const { return active_count_; }
  // Whether no active flow crosses the link (flows added since the last solve count, removed ones do not).
  bool link_idle(std::uint32_t link) const { return links_[link].size == links_[link].dead; }
  std::size_t link_count() const { return capacity_.size(); }
  // Flows and links re-filled by the last solve, for benchmarks and tests.
  std::size_t last_component_flows() const { return local_flows_.size(); }
  std::size_t last_component_links() const { return component_links_.size(); }

 private:
  static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

  // A filling step: the share given to the flows it fixes and its bottleneck link, ordered by (share, link).
  struct Level {
    double share;
    std::uint32_t link;
  };
  static constexpr Level unsolved{std::numeric_limits<double>::infinity(), npos};  // not fixed yet

  // A flow: its path, the links path_pool_[path_offset, + path_length) (length 0 marks a free id), and a mark: set
  // to epoch_ when a solve reaches the flow, which then has index `local` in local_flows_. Collecting a re-fill
  // reads all four for every flow it reaches, so they share one 16-byte record.
  struct FlowState {
    std::uint32_t path_offset;
    std::uint32_t path_length;
    std::uint32_t mark;
    std::uint32_t local;
  };
  // One entry of a link's flow list: the flow and the level at which it was fixed. The list is sorted by level,
  // flows added since the last solve last (level `unsolved`); it is also the order in which the fill took the flows'
  // shares off the link, so the remaining capacity at any level is recomputed bitwise by subtracting the shares of
  // the entries below it in list order. A removed flow leaves a tombstone (flow == npos) with its level, always at or
  // above removed_level_, dropped by the next solve, which re-fills every link of a removed flow.
  struct LinkEntry {
    std::uint32_t flow;
    std::uint32_t level_link;
    double level_share;
    Level level() const { return {level_share, level_link}; }
  };
  // Everything kept of one link, in one cache line: a re-fill visits each of its links several times (collecting,
  // filling, sifting) in no useful order, and a flow's start and end visit its links' lists.
  struct alignas(64) LinkState {
    LinkEntry* entries;        // the flow list, sorted by level (see LinkEntry): link_storage_[link].data()
    std::uint32_t size;        // entries in the list, tombstones included
    std::uint32_t room;        // entries the storage holds
    double remaining;          // during a fill: capacity not yet given to fixed flows
    double share;              // during a fill: share_after(remaining, unfixed), the heap's key when current
    std::uint32_t written;     // during a fill: entries [0, written) are final
    std::uint32_t unfixed;     // during a fill: flows on the link not yet fixed
    std::uint32_t touched;     // the last filling step that touched the link
    std::uint32_t heap_pos;    // position in heap_, or npos
    std::uint32_t pool_begin;  // the link's unfixed flows at the re-fill level, as local indices:
    std::uint32_t pool_end;    // pool_[pool_begin, pool_end)
    std::uint32_t mark;        // epoch_ when a solve reached the link
    std::uint32_t dead;        // tombstones in the list
  };
  static_assert(sizeof(LinkState) == 64, "a link's state should fill one cache line, not two");
  // A flow of the re-fill, by its index in local_flows_ (its local index, in the order collect_refill reached it):
  // its id and its path's copy, local_links_[path_begin, path_end). The fill reads these dense copies, not the
  // scattered paths.
  struct LocalFlow {
    std::uint32_t flow;
    std::uint32_t path_begin;
    std::uint32_t path_end;
    std::uint32_t path_offset;  // the flow's path in path_pool_, where the fill records its entries' positions
  };
  struct HeapEntry {
    double key;  // the link's share when last sifted; never above its share (a stale key is refreshed at the top)
    std::uint32_t link;
  };

  static bool before(Level a, Level b) { return a.share < b.share || (a.share == b.share && a.link < b.link); }
  static double share_after(double remaining, std::size_t unfixed, std::uint32_t link, Level step);
  bool is_active(FlowId id) const { return id.index() < flows_.size() && flows_[id.index()].path_length != 0; }
  void check_path(std::span<const std::uint32_t> links) const;
  void append(std::uint32_t link, LinkEntry entry);
  void place(std::uint32_t flow, std::span<const std::uint32_t> links);
  Level added_link_threshold(std::uint32_t link, Level bound) const;
  void collect_refill();
  void fill();
  void heap_push(std::uint32_t link, double share);
  void heap_sift_up(std::size_t pos);
  void heap_sift_down(std::size_t pos);
  void heap_remove(std::uint32_t link);

  // Links.
  std::vector<double> capacity_;
  std::vector<LinkState> links_;
  std::vector<std::vector<LinkEntry>> link_storage_;  // each list's storage; its size() is LinkState::room

  // Flows, indexed by FlowId: state and rate last reported. Freed path blocks are kept per length.
  std::vector<FlowState> flows_;
  std::vector<double> rate_;
  std::vector<std::uint32_t> path_pool_;
  // Parallel to path_pool_: the position of the flow's entry in that link's list, kept by add_flow and the fill (the
  // entries below a re-fill's cut do not move), so that remove_flow finds each entry at once.
  std::vector<std::uint32_t> entry_pos_;
  std::vector<std::vector<std::uint32_t>> free_blocks_;  // by path length: offsets into path_pool_
  std::vector<std::uint32_t> free_ids_;                   // LIFO; unused when the caller picks ids
  bool caller_ids_ = false;                               // add_flow(id, links) was called
  std::size_t active_count_ = 0;

  // Changes since the last solve: flows added, links of flows removed, and the lowest level of a removed flow.
  std::vector<std::uint32_t> dirty_flows_;
  std::vector<std::uint32_t> dirty_links_;
  Level removed_level_ = unsolved;

  // Per-solve scratch, sized to links or flows once and reused; a mark equal to epoch_ means "set in this solve".
  std::uint32_t epoch_ = 0;
  std::uint32_t step_ = 0;                 // filling steps taken, for LinkState::touched
  std::vector<std::uint32_t> pool_;
  std::vector<HeapEntry> heap_;            // links with unfixed flows, min (key, link) first
  std::vector<std::uint32_t> component_links_;
  std::vector<LocalFlow> local_flows_;     // by local index
  std::vector<std::uint32_t> local_links_;
  std::vector<double> local_share_;        // by local index: the new rate, or infinity while not fixed
  std::vector<std::uint32_t> touched_;
  std::vector<Change> changed_;
};

}  // namespace dsim::models::network
