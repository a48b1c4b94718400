// SPDX-License-Identifier: Apache-2.0
// The flows' predicted ends, in an indexed binary min-heap ordered by (time, flow id), a total order, so that ties
// pop in id order whatever the heap's history. FlowNetwork keeps its moving flows' bytes ends here.
//
// A re-share moves hundreds of ends at once, most of them later. A later end is only recorded: the entry keeps its
// old, earlier key (stale), and is brought up to date when it reaches the top, before the top is read. Every key is
// thus at or below its flow's true end, so once the top's key is current, the top is the least (end, flow) of all,
// exactly as with every key updated at once; a flow moved several times before it nears the top is sifted once.
// An earlier end is sifted up at once. Positions and true ends live in dense arrays by flow id (ids are reused).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/ids.hpp"
#include "sim/core/units.hpp"

namespace dsim::models::network {

class DueHeap {
 public:
  // Sets the flow's end (infinite: none, the flow leaves the heap when its stale entry reaches the top).
  void set(FlowId flow, Time at);
  // Sets the flow's end without keeping the heap in order; rebuild() must follow before the next top(). For
  // re-shares that move a large part of the heap, where one linear rebuild beats a sift per flow.
  void assign(FlowId flow, Time at);
  void rebuild();

  bool empty() { return refresh(); }
  // The least (end, flow); infinite when no flow has an end.
  Time top_time() { return refresh() ? Time::infinite() : heap_[0].at; }
  FlowId top_flow() {
    refresh();
    return heap_[0].flow;
  }
  // Removes the top flow (its end as read from top_time()).
  void pop();
  std::size_t size() const { return heap_.size(); }

 private:
  static constexpr std::uint32_t none = 0xffffffffu;

  struct Due {
    Time at;
    FlowId flow;
    bool operator>(const Due& other) const { return at > other.at || (at == other.at && flow > other.flow); }
  };

  void grow(FlowId flow);
  // Brings the top up to date (dropping flows left without an end); returns whether the heap is empty.
  bool refresh();
  void place(std::size_t pos, Due entry) {
    heap_[pos] = entry;
    pos_[entry.flow.index()] = static_cast<std::uint32_t>(pos);
  }
  void remove_top();
  void sift_up(std::size_t pos);
  void sift_down(std::size_t pos);

  std::vector<Due> heap_;
  std::vector<Time> end_;           // by flow id: the true end (a heap key may be earlier)
  std::vector<std::uint32_t> pos_;  // by flow id: position in heap_, or none
};

}  // namespace dsim::models::network
