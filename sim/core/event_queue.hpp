// SPDX-License-Identifier: Apache-2.0
// The engine's priority queue of events, ordered by (time, sequence). A 4-ary implicit heap over a vector of
// 32-byte records: shallower than a binary heap and cache-friendly, with no allocation once the vector has grown.
// Any type with the same push/pop/top/size/empty members can stand in for it (tests/bench/engine compares them).
#pragma once

#include <array>
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
    sift_up(heap_.size() - 1, event);
  }
  const Event& top() const { return heap_.front(); }
  void pop() {
    const Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) place_from_root(last);
  }
  // pop() then push(event), in one pass: the engine's common case of a handler scheduling one event.
  void replace_top(const Event& event) { place_from_root(event); }
  std::size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  static constexpr std::size_t arity = 4;

  // (time, sequence) as one unsigned 128-bit number, so that a comparison is two instructions and no branch.
  // Flipping the sign bit of the time maps int64 order onto uint64 order (negative times sort first).
  __extension__ using Key = unsigned __int128;
  static Key key(const Event& e) {
    const std::uint64_t time_bits = static_cast<std::uint64_t>(e.time.ps()) ^ (std::uint64_t{1} << 63);
    return static_cast<Key>(time_bits) << 64 | e.sequence;
  }

  void sift_up(std::size_t i, const Event& moving) {
    const Key k = key(moving);
    while (i > 0) {
      const std::size_t parent = (i - 1) / arity;
      if (!(k < key(heap_[parent]))) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = moving;
  }

  // Fills the empty root with `moving` (Floyd's bottom-up method): the hole first sinks along the smallest
  // children to a leaf, with one branch-free 4-way minimum per level and no comparison against `moving`; then
  // `moving` climbs from there, usually a level or two, since the element placed is typically a late one.
  void place_from_root(const Event& moving) {
    const std::size_t n = heap_.size();
    std::size_t hole = 0;
    for (;;) {
      const std::size_t first = hole * arity + 1;
      if (first + arity > n) break;
      const Key k0 = key(heap_[first]);
      const Key k1 = key(heap_[first + 1]);
      const Key k2 = key(heap_[first + 2]);
      const Key k3 = key(heap_[first + 3]);
      const std::size_t a = k1 < k0 ? first + 1 : first;
      const Key ka = k1 < k0 ? k1 : k0;
      const std::size_t b = k3 < k2 ? first + 3 : first + 2;
      const Key kb = k3 < k2 ? k3 : k2;
      const std::size_t best = kb < ka ? b : a;
      heap_[hole] = heap_[best];
      hole = best;
    }
    const std::size_t first = hole * arity + 1;
    if (first < n) {
      std::size_t best = first;
      for (std::size_t c = first + 1; c < n; ++c) {
        if (key(heap_[c]) < key(heap_[best])) best = c;
      }
      heap_[hole] = heap_[best];
      hole = best;
    }
    sift_up(hole, moving);
  }

  std::vector<Event> heap_;
};

// A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) over the 128-bit key (time, sequence). Every key is at
// least `floor`, the key last popped; an element sits in bucket b = the bit width of (key XOR floor), so bucket 0
// holds keys equal to the floor and any key in a lower bucket is smaller than every key in a higher one. Popping
// from an empty bucket 0 first settles the lowest non-empty bucket: its minimum becomes the floor and its elements
// drop to lower buckets. The engine never schedules before its clock, so keys arrive at or above the floor, each
// event moves down a few times in its life, and push is O(1): no sift through a tree, and appends are sequential.
// top() finds the minimum without moving the floor, so run(until) can peek at the head and still accept events
// scheduled between `until` and the head. A push below the floor (never from the engine) is still correct: it
// re-bases the buckets on the new key. Bucket vectors keep their capacity: no allocation once grown.
class RadixHeap {
 public:
  void push(const Event& event) {
    const Key k = key(event);
    if (k < floor_) [[unlikely]] {
      rebase(k);
    }
    add(bucket_of(k), event);
    ++size_;
    head_known_ = false;
  }
  const Event& top() const {
    if (!buckets_[0].empty()) return buckets_[0].back();
    if (!head_known_) find_head();
    return buckets_[head_bucket_][head_index_];
  }
  void pop() {
    if (buckets_[0].empty()) settle();
    buckets_[0].pop_back();
    --size_;
    if (buckets_[0].empty()) occupied_[0] &= ~std::uint64_t{1};
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  __extension__ using Key = unsigned __int128;
  static constexpr int bucket_count = 129;

  static Key key(const Event& e) {
    const std::uint64_t time_bits = static_cast<std::uint64_t>(e.time.ps()) ^ (std::uint64_t{1} << 63);
    return static_cast<Key>(time_bits) << 64 | e.sequence;
  }
  static int bit_width(Key x) {
    const auto high = static_cast<std::uint64_t>(x >> 64);
    if (high != 0) return 128 - __builtin_clzll(high);
    const auto low = static_cast<std::uint64_t>(x);
    return low != 0 ? 64 - __builtin_clzll(low) : 0;
  }
  int bucket_of(Key k) const { return bit_width(k ^ floor_); }

  void add(int bucket, const Event& event) {
    buckets_[bucket].push_back(event);
    occupied_[bucket >> 6] |= std::uint64_t{1} << (bucket & 63);
  }
  void clear(int bucket) {
    buckets_[bucket].clear();
    occupied_[bucket >> 6] &= ~(std::uint64_t{1} << (bucket & 63));
  }

  // The minimum lies in the lowest non-empty bucket (bucket 0 being empty); remembered until the next push.
  void find_head() const {
    int b = 0;
    while (occupied_[b >> 6] >> (b & 63) == 0) b = (b | 63) + 1;
    b += __builtin_ctzll(occupied_[b >> 6] >> (b & 63));
    const std::vector<Event>& bucket = buckets_[b];
    std::size_t best = 0;
    Key best_key = key(bucket[0]);
    for (std::size_t i = 1; i < bucket.size(); ++i) {
      const Key k = key(bucket[i]);
      best = k < best_key ? i : best;
      best_key = k < best_key ? k : best_key;
    }
    head_bucket_ = b;
    head_index_ = best;
    head_known_ = true;
  }

  // Makes the minimum the floor; the other elements of its bucket share its bits above the bucket's level, so
  // each lands in a lower bucket, and the minimum itself in bucket 0.
  void settle() {
    if (!head_known_) find_head();
    const int b = head_bucket_;
    floor_ = key(buckets_[b][head_index_]);
    for (const Event& e : buckets_[b]) add(bucket_of(key(e)), e);
    clear(b);
    head_known_ = false;
  }

  // `k` lies below the floor. With j = bit width of (floor XOR k): buckets above j keep their place relative to k,
  // buckets below j (keys agreeing with the floor at bit j - 1 and above) all move to bucket j, and bucket j's
  // own elements (which agree with k down to bit j - 1) drop to buckets below j.
  void rebase(Key k) {
    const int j = bit_width(floor_ ^ k);
    std::vector<Event> spill;
    spill.swap(buckets_[j]);
    clear(j);
    for (int b = 0; b < j; ++b) {
      for (const Event& e : buckets_[b]) add(j, e);
      clear(b);
    }
    floor_ = k;
    for (const Event& e : spill) add(bucket_of(key(e)), e);
    head_known_ = false;
  }

  std::array<std::vector<Event>, bucket_count> buckets_;
  std::array<std::uint64_t, 3> occupied_{};
  Key floor_ = 0;  // below every key: time bits 0 after the sign flip are INT64_MIN
  std::size_t size_ = 0;
  mutable bool head_known_ = false;
  mutable int head_bucket_ = 0;
  mutable std::size_t head_index_ = 0;
};

using EventQueue = RadixHeap;

}  // namespace dsim::core
