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

// A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) of base 16 over the 128-bit key (time, sequence), the
// engine's queue. Every key is at least `floor`, the key last popped. A key sits in the bucket named by the
// highest 4-bit digit where it differs from the floor and by its own value of that digit, so bucket 0 holds keys
// equal to the floor and every key in a lower bucket is smaller than every key in a higher one. Popping from an
// empty bucket 0 first settles the lowest non-empty bucket: its minimum becomes the floor, and the others, which
// agree with it down to that digit, drop to buckets of lower digits. The engine never schedules before its clock,
// so keys arrive at or above the floor, an event moves down a few times in its life (about 2 in the hold model),
// and push is O(1): no sift through a tree, appends are sequential, and no comparison branches are mispredicted.
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
    add(bucket_of(k, floor_), event);
    ++size_;
    head_known_ = false;
  }
  // Like std::priority_queue, top() and pop() require a non-empty queue.
  const Event& top() const {
    if (!buckets_[0].empty()) return buckets_[0].back();
    if (!head_known_) find_head();
    return buckets_[head_bucket_][head_index_];
  }
  void pop() {
    --size_;
    if (buckets_[0].empty()) {
      settle_without_head();
      return;
    }
    buckets_[0].pop_back();
    if (buckets_[0].empty()) clear(0);
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  __extension__ using Key = unsigned __int128;
  static constexpr int digit_bits = 4;  // base 16: measured fastest of 2, 4, 16 and 256 in tests/bench/engine
  static constexpr int radix = 1 << digit_bits;
  static constexpr int digits_per_word = 64 / digit_bits;
  static constexpr int bucket_count = 1 + 2 * digits_per_word * radix;  // 513
  static constexpr int occupancy_words = (bucket_count + 63) / 64;

  static Key key(const Event& e) {
    const std::uint64_t time_bits = static_cast<std::uint64_t>(e.time.ps()) ^ (std::uint64_t{1} << 63);
    return static_cast<Key>(time_bits) << 64 | e.sequence;
  }
  // The bucket of `word`, one 64-bit half of a key whose highest difference from the floor lies in this half
  // (`diff` is that half XOR the floor's, non-zero); `first_digit` numbers the half's lowest digit.
  static int bucket_in_word(std::uint64_t word, std::uint64_t diff, int first_digit) {
    const int digit = (63 - __builtin_clzll(diff)) / digit_bits;
    const auto value = static_cast<int>((word >> (digit * digit_bits)) & (radix - 1));
    return 1 + (first_digit + digit) * radix + value;
  }
  static int bucket_of(Key k, Key floor) {
    const auto high = static_cast<std::uint64_t>(k >> 64);
    const std::uint64_t high_diff = high ^ static_cast<std::uint64_t>(floor >> 64);
    if (high_diff != 0) return bucket_in_word(high, high_diff, digits_per_word);
    const auto low = static_cast<std::uint64_t>(k);
    const std::uint64_t low_diff = low ^ static_cast<std::uint64_t>(floor);
    return low_diff != 0 ? bucket_in_word(low, low_diff, 0) : 0;
  }

  // occupied_ has one bit per non-empty bucket, occupied_words_ one bit per non-zero word of occupied_.
  void add(int bucket, const Event& event) {
    buckets_[bucket].push_back(event);
    occupied_[bucket >> 6] |= std::uint64_t{1} << (bucket & 63);
    occupied_words_ |= 1u << (bucket >> 6);
  }
  void clear(int bucket) {
    buckets_[bucket].clear();
    std::uint64_t& word = occupied_[bucket >> 6];
    word &= ~(std::uint64_t{1} << (bucket & 63));
    if (word == 0) occupied_words_ &= ~(1u << (bucket >> 6));
  }

  // The minimum lies in the lowest non-empty bucket (bucket 0 being empty); remembered until the next push.
  void find_head() const {
    const int word = __builtin_ctz(occupied_words_);
    const int b = word * 64 + __builtin_ctzll(occupied_[word]);
    const Event* const first = buckets_[b].data();
    const std::size_t n = buckets_[b].size();
    std::size_t best = 0;
    Key best_key = key(first[0]);
    for (std::size_t i = 1; i < n; ++i) {
      const Key k = key(first[i]);
      best = k < best_key ? i : best;
      best_key = k < best_key ? k : best_key;
    }
    head_bucket_ = b;
    head_index_ = best;
    head_known_ = true;
  }

  // Pops the minimum of the lowest non-empty bucket and makes it the floor; the rest of that bucket agrees with it
  // down to the bucket's digit, so each element lands in a bucket of a lower digit.
  void settle_without_head() {
    if (!head_known_) find_head();
    const int b = head_bucket_;
    // Adds go to lower buckets only, so the pointers into bucket b stay valid.
    const Event* const first = buckets_[b].data();
    const std::size_t n = buckets_[b].size();
    const Key floor = key(first[head_index_]);
    floor_ = floor;
    for (std::size_t i = 0; i < n; ++i) {
      if (i != head_index_) add(bucket_of(key(first[i]), floor), first[i]);
    }
    clear(b);
    head_known_ = false;
  }

  // `k` lies below the floor. Let t be the floor's bucket relative to k, at digit d. Keys in buckets of digits
  // above d, or at digit d, keep their bucket relative to k (they agree with k wherever they agree with the
  // floor, and their own digit value names the bucket); keys in buckets below digit d agree with the floor down
  // past d, so relative to k they all belong to t.
  void rebase(Key k) {
    const int t = bucket_of(floor_, k);
    const int first_of_digit = 1 + (t - 1) / radix * radix;
    for (int b = 0; b < first_of_digit; ++b) {
      if (buckets_[b].empty()) continue;
      for (const Event& e : buckets_[b]) add(t, e);
      clear(b);
    }
    floor_ = k;
    head_known_ = false;
  }

  std::array<std::vector<Event>, bucket_count> buckets_;
  std::array<std::uint64_t, occupancy_words> occupied_{};
  std::uint32_t occupied_words_ = 0;
  Key floor_ = 0;  // below every key: time bits 0 after the sign flip are INT64_MIN
  std::size_t size_ = 0;
  mutable bool head_known_ = false;
  mutable int head_bucket_ = 0;
  mutable std::size_t head_index_ = 0;
};

using EventQueue = RadixHeap;

}  // namespace dsim::core
