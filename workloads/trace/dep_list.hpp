// SPDX-License-Identifier: Apache-2.0
// An op's dependencies: a list of OpIds that keeps one in place and moves to the heap at the second. A V3 training
// step has 15 million ops and nearly all have exactly one dep (the stream order is implicit), so a std::vector (24
// bytes and one allocation per op) cost about a gigabyte and much of the generation time in page faults.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "sim/core/ids.hpp"

namespace dsim::workloads {

class DepList {
 public:
  DepList() = default;
  DepList(std::initializer_list<OpId> deps) { assign(deps.begin(), deps.size()); }
  DepList(const std::vector<OpId>& deps) { assign(deps.data(), deps.size()); }  // NOLINT: implicit, as a vector was
  DepList(const DepList& other) { assign(other.begin(), other.size()); }
  DepList(DepList&& other) noexcept : heap_(other.heap_), first_(other.first_), size_(other.size_) {
    other.heap_ = nullptr;
    other.size_ = 0;
  }
  DepList& operator=(DepList other) noexcept {
    std::swap(heap_, other.heap_);
    std::swap(first_, other.first_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~DepList() { delete[] heap_; }

  void push_back(OpId dep) {
    if (heap_ == nullptr && size_ == 0) {
      first_ = dep;
    } else {
      if (heap_ == nullptr || size_ == std::bit_ceil(size_)) grow(std::max<std::uint32_t>(2, 2 * size_));
      heap_[size_] = dep;
    }
    ++size_;
  }
  void clear() { size_ = 0; }
  // Keeps the first n (n <= size()), as erase(begin() + n, end()) would, e.g. after std::unique.
  void resize_down(std::size_t n) { size_ = static_cast<std::uint32_t>(std::min<std::size_t>(n, size_)); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  OpId* begin() { return heap_ != nullptr ? heap_ : &first_; }
  OpId* end() { return begin() + size_; }
  const OpId* begin() const { return heap_ != nullptr ? heap_ : &first_; }
  const OpId* end() const { return begin() + size_; }
  OpId operator[](std::size_t i) const { return begin()[i]; }

  friend bool operator==(const DepList& a, const DepList& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const DepList& a, const std::vector<OpId>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  // On the heap, the storage holds at least bit_ceil(size) entries, and at least 2, so a size that is a power of
  // two may mean "full": push_back then moves the list to storage twice that size (smaller than before, after a
  // clear or resize_down), never below what it holds.
  void grow(std::uint32_t capacity) {
    OpId* heap = new OpId[capacity];
    std::copy(begin(), end(), heap);
    delete[] heap_;
    heap_ = heap;
  }
  void assign(const OpId* deps, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) push_back(deps[i]);
  }

  OpId* heap_ = nullptr;  // null: the list is first_ alone (or empty)
  OpId first_;
  std::uint32_t size_ = 0;
};

static_assert(sizeof(DepList) == 16, "a dependency list should take 16 bytes of its op");

}  // namespace dsim::workloads
