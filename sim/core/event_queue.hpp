// SPDX-License-Identifier: Apache-2.0
// The engine's priority queue of events, ordered by (time, sequence). A 4-ary implicit heap over a vector of
// 32-byte records: shallower than a binary heap and cache-friendly, with no allocation once the vector has grown.
// Any type with the same push/pop/top/size/empty members can stand in for it (tests/bench/engine compares them).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/ids.hpp"
#include "sim/core/units.hpp"

namespace dsim::core {

using HandlerId = DenseId<struct HandlerIdTag>;
using CancelToken = DenseId<struct CancelTokenTag>;

struct Event {
  Time time;
  std::uint64_t sequence = 0;  // insertion order; breaks ties at equal times
  std::uint64_t payload = 0;   // the handler's own data (an op id, a flow id, ...)
  CancelToken token;           // none() for events that are never cancelled
  std::uint16_t handler = 0;
  std::uint16_t generation = 0;  // the token's generation when scheduled (wraps; see Engine::cancel)

  friend bool operator<(const Event& a, const Event& b) {
    return a.time < b.time || (a.time == b.time && a.sequence < b.sequence);
  }
};

class QuaternaryHeap {
 public:
  void push(const Event& event) {
    heap_.push_back(event);
    sift_up(heap_.size() - 1);
  }
  const Event& top() const { return heap_.front(); }
  void pop() {
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
  }
  std::size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  static constexpr std::size_t arity = 4;

  void sift_up(std::size_t i) {
    const Event moving = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / arity;
      if (!(moving < heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = moving;
  }

  void sift_down(std::size_t i) {
    const Event moving = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      const std::size_t first = i * arity + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t last = first + arity < n ? first + arity : n;
      for (std::size_t c = first + 1; c < last; ++c) {
        if (heap_[c] < heap_[best]) best = c;
      }
      if (!(heap_[best] < moving)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = moving;
  }

  std::vector<Event> heap_;
};

using EventQueue = QuaternaryHeap;

}  // namespace dsim::core
