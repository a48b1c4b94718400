// SPDX-License-Identifier: Apache-2.0
// Priority queues of events ordered by (time, sequence), with the members push/pop/top/size/empty of
// std::priority_queue, so one can stand in for another (tests/bench/engine compares them). The engine's
// EventQueue is RadixHeap: O(1) push, no comparison sift, about twice the hold-model throughput of QuaternaryHeap,
// the simpler O(log n) heap kept as its reference. Neither allocates per event once grown.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
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

namespace detail {
// (time, sequence) as one unsigned 128-bit number, ordered as operator< orders events, so that a comparison is
// two instructions and no branch. Flipping the sign bit of the time maps int64 order onto uint64 order.
__extension__ using EventKey = unsigned __int128;
inline EventKey event_key(const Event& e) {
  const std::uint64_t time_bits = static_cast<std::uint64_t>(e.time.ps()) ^ (std::uint64_t{1} << 63);
  return static_cast<EventKey>(time_bits) << 64 | e.sequence;
}
}  // namespace detail

// A 4-ary implicit heap over a vector of 32-byte records: shallower than a binary heap.

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

  using Key = detail::EventKey;
  static Key key(const Event& e) { return detail::event_key(e); }

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

// A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) of base 256 over the 128-bit key (time, sequence), the
// engine's queue. Every key is at least `floor`, the key last popped. A key sits in the bucket named by the
// highest 8-bit digit where it differs from the floor and by its own value of that digit, so bucket 0 holds keys
// equal to the floor and every key in a lower bucket is smaller than every key in a higher one. Popping from an
// empty bucket 0 first settles the lowest non-empty bucket: its minimum becomes the floor, and the others, which
// agree with it down to that digit, drop to buckets of lower digits. The engine never schedules before its clock,
// so keys arrive at or above the floor, an event moves down once or twice in its life (1.1 times in the hold model
// with 1e3 pending, 2.0 with 1e5), and push is O(1): no sift through a tree, appends are sequential, and no
// comparison branch is mispredicted.
// top() finds the minimum without moving the floor, so run(until) can peek at the head and still accept events
// scheduled between `until` and the head. A push below the floor (never from the engine) is still correct: it
// re-bases the buckets on the new key. top() caches the minimum it finds, so even a const queue is not for
// concurrent readers (an engine belongs to one thread).
// Buckets are chains of fixed-size chunks drawn from one free list, most recently freed first: memory stays near
// the number of queued events (per-bucket vectors would each keep their own peak, 14-40 times as much in the hold
// model) and the chunks in use stay warm in cache. Chunks are allocated in blocks, never per event. A bucket once
// used keeps one 1 KiB chunk, so that refilling it takes no branch to the free list: about 1,200 buckets, 1.2 MiB,
// in the hold model; 4 MiB if all 4,097 were ever used.
class RadixHeap {
 public:
  RadixHeap() = default;
  RadixHeap(const RadixHeap&) = delete;
  RadixHeap& operator=(const RadixHeap&) = delete;

  void push(const Event& event) {
    const Key k = key(event);
    if (k < floor_) [[unlikely]] {
      rebase(k);
    }
    add(bucket_of(k, floor_), event);
    ++size_;
    head_ = nullptr;
  }
  // Like std::priority_queue, top() and pop() require a non-empty queue.
  const Event& top() const {
    if (occupied_[0] & 1) return buckets_[0].chunk->events[buckets_[0].fill - 1];
    if (head_ == nullptr) find_head();
    return *head_;
  }
  void pop() {
    --size_;
    if (occupied_[0] & 1) {
      pop_bucket_zero();
    } else {
      settle_without_head();
    }
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  using Key = detail::EventKey;
  static constexpr int digit_bits = 8;  // base 256: fewer moves than bases 2, 4 and 16 (tests/bench/engine)
  static constexpr int radix = 1 << digit_bits;
  static constexpr int digits_per_word = 64 / digit_bits;
  static constexpr int bucket_count = 1 + 2 * digits_per_word * radix;  // 4097
  static constexpr int occupancy_words = (bucket_count + 63) / 64;      // 65
  static constexpr int summary_words = (occupancy_words + 63) / 64;     // 2
  static constexpr std::uint32_t chunk_events = 32;  // 1 KiB: runs long enough for the prefetcher

  struct Chunk {
    std::array<Event, chunk_events> events;
    Chunk* next;  // the bucket's next (older, full) chunk, or the next free chunk
  };
  // The newest chunk holds `fill` events, the chunks after it are full. A bucket keeps its newest chunk when it
  // empties (fill 0), so refilling it needs no free-list round trip; a bucket never used has no chunk and reads
  // as full, so its first add takes one.
  struct Bucket {
    Chunk* chunk = nullptr;
    std::uint32_t fill = chunk_events;
  };

  static Key key(const Event& e) { return detail::event_key(e); }
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

  // Calls f(event) for every event of a non-empty bucket, newest chunk first.
  template <typename F>
  static void for_each(const Bucket& bucket, F&& f) {
    std::uint32_t n = bucket.fill;
    for (const Chunk* c = bucket.chunk; c != nullptr; c = c->next, n = chunk_events) {
      for (std::uint32_t i = 0; i < n; ++i) f(c->events[i]);
    }
  }

  // occupied_ has one bit per non-empty bucket, summary_ one bit per non-zero word of occupied_.
  void add(int b, const Event& event) {
    Bucket& bucket = buckets_[b];
    if (bucket.fill == chunk_events) [[unlikely]] {
      if (free_ == nullptr) grow_pool();
      Chunk* fresh = free_;
      free_ = fresh->next;
      fresh->next = bucket.chunk;
      bucket.chunk = fresh;
      bucket.fill = 0;
    }
    bucket.chunk->events[bucket.fill++] = event;
    occupied_[b >> 6] |= std::uint64_t{1} << (b & 63);
    summary_[b >> 12] |= std::uint64_t{1} << ((b >> 6) & 63);
  }
  void mark_empty(int b) {
    std::uint64_t& word = occupied_[b >> 6];
    word &= ~(std::uint64_t{1} << (b & 63));
    if (word == 0) summary_[b >> 12] &= ~(std::uint64_t{1} << ((b >> 6) & 63));
  }
  // Empties a bucket, keeping its newest chunk and returning the others to the free list.
  void clear(int b) {
    Bucket& bucket = buckets_[b];
    Chunk* const older = bucket.chunk->next;
    if (older != nullptr) {
      Chunk* last = older;
      while (last->next != nullptr) last = last->next;
      last->next = free_;
      free_ = older;
      bucket.chunk->next = nullptr;
    }
    bucket.fill = 0;
    mark_empty(b);
  }
  void pop_bucket_zero() {
    Bucket& zero = buckets_[0];
    if (--zero.fill != 0) return;
    if (zero.chunk->next == nullptr) {
      mark_empty(0);
      return;
    }
    Chunk* const spent = zero.chunk;
    zero.chunk = spent->next;
    zero.fill = chunk_events;
    spent->next = free_;
    free_ = spent;
  }
  void grow_pool() {
    const std::size_t count = std::max<std::size_t>(16, size_ / chunk_events / 2);
    blocks_.push_back(std::make_unique<Chunk[]>(count));
    Chunk* const block = blocks_.back().get();
    for (std::size_t i = 0; i < count; ++i) block[i].next = i + 1 < count ? &block[i + 1] : free_;
    free_ = block;
  }

  // The minimum lies in the lowest non-empty bucket (bucket 0 being empty); remembered until the next push.
  void find_head() const {
    int s = 0;
    while (summary_[s] == 0) ++s;
    const int word = s * 64 + __builtin_ctzll(summary_[s]);
    head_bucket_ = word * 64 + __builtin_ctzll(occupied_[word]);
    const Event* best = nullptr;
    Key best_key = ~Key{0};
    for_each(buckets_[head_bucket_], [&](const Event& e) {
      const Key k = key(e);
      best = k < best_key ? &e : best;
      best_key = k < best_key ? k : best_key;
    });
    head_ = best;
  }

  // Pops the minimum of the lowest non-empty bucket and makes it the floor; the rest of that bucket agrees with it
  // down to the bucket's digit, so each event lands in a bucket of a lower digit (never this one, whose chunks
  // therefore stay untouched until the loop is done).
  void settle_without_head() {
    if (head_ == nullptr) find_head();
    const Event* const head = head_;
    const int b = head_bucket_;
    const Key floor = key(*head);
    floor_ = floor;
    for_each(buckets_[b], [&](const Event& e) {
      if (&e != head) add(bucket_of(key(e), floor), e);
    });
    clear(b);
    head_ = nullptr;
  }

  // `k` lies below the floor. Let t be the floor's bucket relative to k, at digit d. Keys in buckets of digits
  // above d, or at digit d, keep their bucket relative to k (they agree with k wherever they agree with the
  // floor, and their own digit value names the bucket); keys in buckets below digit d agree with the floor down
  // past d, so relative to k they all belong to t.
  void rebase(Key k) {
    const int t = bucket_of(floor_, k);
    const int first_of_digit = 1 + (t - 1) / radix * radix;
    for (int b = 0; b < first_of_digit; ++b) {
      if ((occupied_[b >> 6] >> (b & 63) & 1) == 0) continue;
      for_each(buckets_[b], [&](const Event& e) { add(t, e); });
      clear(b);
    }
    floor_ = k;
    head_ = nullptr;
  }

  // On the heap, so that an Engine stays small: 64 KiB of bucket heads, allocated once.
  std::unique_ptr<Bucket[]> buckets_ = std::make_unique<Bucket[]>(bucket_count);
  std::unique_ptr<std::uint64_t[]> occupied_ = std::make_unique<std::uint64_t[]>(occupancy_words);
  std::array<std::uint64_t, summary_words> summary_{};
  Key floor_ = 0;  // below every key: time bits 0 after the sign flip are INT64_MIN
  std::size_t size_ = 0;
  Chunk* free_ = nullptr;
  std::vector<std::unique_ptr<Chunk[]>> blocks_;
  mutable const Event* head_ = nullptr;  // the minimum while bucket 0 is empty, found by top(); null if unknown
  mutable int head_bucket_ = 0;
};

using EventQueue = RadixHeap;

}  // namespace dsim::core
