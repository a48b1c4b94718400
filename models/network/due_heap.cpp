// SPDX-License-Identifier: Apache-2.0
#include "models/network/due_heap.hpp"

#include <algorithm>
#include <functional>

namespace dsim::models::network {

void DueHeap::grow(FlowId flow) {
  if (flow.index() < pos_.size()) return;
  pos_.resize(flow.index() + 1, none);
  end_.resize(flow.index() + 1, Time::infinite());
}

void DueHeap::set(FlowId flow, Time at) {
  grow(flow);
  end_[flow.index()] = at;
  const std::uint32_t pos = pos_[flow.index()];
  if (pos == none) {
    if (at.is_infinite()) return;
    heap_.push_back({at, flow});
    sift_up(heap_.size() - 1);
    return;
  }
  if (at < heap_[pos].at) {
    heap_[pos].at = at;
    sift_up(pos);
  }
}

void DueHeap::assign(FlowId flow, Time at) {
  grow(flow);
  end_[flow.index()] = at;
  const std::uint32_t pos = pos_[flow.index()];
  if (pos != none) {
    heap_[pos].at = at;
  } else if (!at.is_infinite()) {
    pos_[flow.index()] = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back({at, flow});
  }
}

// Drops the flows left without an end, then Floyd's bottom-up heapify and one pass to record the positions.
void DueHeap::rebuild() {
  std::size_t kept = 0;
  for (const Due& entry : heap_) {
    const Time at = end_[entry.flow.index()];
    if (at.is_infinite()) {
      pos_[entry.flow.index()] = none;
    } else {
      heap_[kept++] = {at, entry.flow};
    }
  }
  heap_.resize(kept);
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
  for (std::size_t pos = 0; pos < heap_.size(); ++pos) pos_[heap_[pos].flow.index()] = static_cast<std::uint32_t>(pos);
}

bool DueHeap::refresh() {
  while (!heap_.empty()) {
    const Time at = end_[heap_[0].flow.index()];
    if (at == heap_[0].at) return false;
    if (at.is_infinite()) {
      remove_top();
    } else {
      heap_[0].at = at;
      sift_down(0);
    }
  }
  return true;
}

void DueHeap::pop() {
  end_[heap_[0].flow.index()] = Time::infinite();
  remove_top();
}

void DueHeap::remove_top() {
  pos_[heap_[0].flow.index()] = none;
  const Due last = heap_.back();
  heap_.pop_back();
  if (heap_.empty()) return;
  heap_[0] = last;
  sift_down(0);
}

void DueHeap::sift_up(std::size_t pos) {
  const Due entry = heap_[pos];
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / 2;
    if (!(heap_[parent] > entry)) break;
    place(pos, heap_[parent]);
    pos = parent;
  }
  place(pos, entry);
}

void DueHeap::sift_down(std::size_t pos) {
  const Due entry = heap_[pos];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * pos + 1;
    if (child >= size) break;
    if (child + 1 < size && heap_[child] > heap_[child + 1]) ++child;
    if (!(entry > heap_[child])) break;
    place(pos, heap_[child]);
    pos = child;
  }
  place(pos, entry);
}

}  // namespace dsim::models::network
