// SPDX-License-Identifier: Apache-2.0
// The hold-model benchmark of the event engine: events per second through Engine and directly on each queue.
//
// The classic hold model (Jones, CACM 1986): N events are pending; handling one schedules one new event at now plus
// an exponentially distributed increment, so the queue size stays N. Increments come from an RngStream drawn in
// advance into a ring buffer, so the generator's cost is not measured. Each configuration first runs 2N untimed
// events (every pending event replaced about twice, so the times reach their steady-state spread), then times the
// requested number of events; the best of --repeat runs is reported.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include <sched.h>

#include <fmt/format.h>

#include "tests/bench/bench_machine.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/event_queue.hpp"
#include "sim/core/rng.hpp"

namespace dsim::bench {
namespace {

using core::Engine;
using core::Event;

struct Options {
  std::uint64_t events = 10'000'000;
  std::vector<std::uint64_t> pending{1'000, 100'000};
  double mean_ps = 1'000'000.0;  // mean increment; only the shape of the distribution matters to the queue
  std::uint64_t seed = 1;
  int repeat = 3;
};

// Increments in picoseconds, drawn once; a power-of-two size so the index wraps with a mask.
class IncrementRing {
 public:
  IncrementRing(std::uint64_t seed, double mean_ps) : values_(size) {
    core::RngStream rng(seed, "engine_bench.increments");
    for (Time& v : values_) v = Time::from_ps(std::llround(rng.exponential(mean_ps)));
  }
  Time next() { return values_[cursor_++ & (size - 1)]; }

 private:
  static constexpr std::size_t size = std::size_t{1} << 14;
  std::vector<Time> values_;
  std::size_t cursor_ = 0;
};

struct Measurement {
  double events_per_s = 0.0;
  std::uint64_t checksum = 0;  // sum of handled times, compared across queues: no loop is optimised away
};

template <typename Body>
Measurement timed(std::uint64_t events, Body&& body) {
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t checksum = body();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return {static_cast<double>(events) / elapsed.count(), checksum};
}

// The engine's handler: each event schedules its successor and stops the run after `remaining` events.
class HoldHandler final : public core::EventHandler {
 public:
  explicit HoldHandler(IncrementRing& ring) : ring_(ring) {}
  core::HandlerId id;
  std::uint64_t remaining = 0;
  std::uint64_t checksum = 0;

  void handle(Engine& engine, const Event& event) override {
    checksum += static_cast<std::uint64_t>(event.time.ps());
    engine.schedule_after(ring_.next(), id, event.payload);
    if (--remaining == 0) engine.stop();
  }

 private:
  IncrementRing& ring_;
};

Measurement hold_engine(const Options& options, std::uint64_t pending) {
  IncrementRing ring(options.seed, options.mean_ps);
  Engine engine;
  HoldHandler handler(ring);
  handler.id = engine.add_handler(handler);
  for (std::uint64_t i = 0; i < pending; ++i) engine.schedule(ring.next(), handler.id, i);
  handler.remaining = 2 * pending;
  engine.run();
  handler.remaining = options.events;
  handler.checksum = 0;
  return timed(options.events, [&] {
    engine.run();
    return handler.checksum;
  });
}

// The same model on a bare queue (RadixHeap, QuaternaryHeap or a std::priority_queue): top, pop, push.
template <typename Queue>
Measurement hold_queue(const Options& options, std::uint64_t pending, Queue& queue) {
  IncrementRing ring(options.seed, options.mean_ps);
  std::uint64_t sequence = 0;
  auto push = [&](Time at, std::uint64_t payload) {
    Event event;
    event.time = at;
    event.sequence = sequence++;
    event.payload = payload;
    queue.push(event);
  };
  auto hold = [&](std::uint64_t count) {
    std::uint64_t checksum = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      const Event event = queue.top();
      queue.pop();
      checksum += static_cast<std::uint64_t>(event.time.ps());
      push(event.time + ring.next(), event.payload);
    }
    return checksum;
  };
  for (std::uint64_t i = 0; i < pending; ++i) push(ring.next(), i);
  hold(2 * pending);
  return timed(options.events, [&] { return hold(options.events); });
}

// std::priority_queue is a max-heap; invert the key so the earliest (time, sequence) is on top.
struct Later {
  bool operator()(const Event& a, const Event& b) const { return b < a; }
};
using BinaryHeap = std::priority_queue<Event, std::vector<Event>, Later>;

template <typename Run>
Measurement best_of(int repeat, Run&& run) {
  Measurement best;
  for (int r = 0; r < repeat; ++r) {
    const Measurement m = run();
    if (m.events_per_s > best.events_per_s) best = m;
  }
  return best;
}


// Accepts "20000000" and "2e7"; the value must be a positive whole number.
bool parse_count(std::string_view text, std::uint64_t& out) {
  try {
    std::size_t used = 0;
    const double value = std::stod(std::string(text), &used);
    if (used != text.size() || !(value >= 1.0) || value > 1e15 || value != std::floor(value)) return false;
    out = static_cast<std::uint64_t>(value);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return false;
    const std::string_view value = argv[++i];
    std::uint64_t n = 0;
    if (flag == "--events") {
      if (!parse_count(value, options.events)) return false;
    } else if (flag == "--pending") {
      options.pending.clear();
      std::size_t begin = 0;
      while (begin <= value.size()) {
        const std::size_t comma = std::min(value.find(',', begin), value.size());
        if (!parse_count(value.substr(begin, comma - begin), n)) return false;
        options.pending.push_back(n);
        begin = comma + 1;
      }
    } else if (flag == "--mean-ps") {
      if (!parse_count(value, n)) return false;
      options.mean_ps = static_cast<double>(n);
    } else if (flag == "--seed") {
      if (!parse_count(value, options.seed)) return false;
    } else if (flag == "--repeat") {
      if (!parse_count(value, n) || n > 100) return false;
      options.repeat = static_cast<int>(n);
    } else {
      return false;
    }
  }
  return true;
}

int run(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    fmt::print(stderr,
               "usage: engine_bench [--events N] [--pending N[,N...]] [--mean-ps N] [--seed N] [--repeat N]\n"
               "defaults: --events 10000000 --pending 1000,100000 --mean-ps 1000000 --seed 1 --repeat 3\n");
    return 2;
  }
  fmt::print("engine_bench: hold model, {} timed events per run after 2N warm-up, exponential increments "
             "(mean {} ps, seed {}), best of {}\n",
             options.events, options.mean_ps, options.seed, options.repeat);
  fmt::print("machine: {}\n", machine_description());
  fmt::print("million events/s through Engine (its queue is RadixHeap) and directly on each queue (top, pop, push)\n");
  fmt::print("{:>9}  {:>8}  {:>9}  {:>14}  {:>15}  {:>16}\n", "pending", "Engine", "RadixHeap", "QuaternaryHeap",
             "std binary heap", "Engine/RadixHeap");
  for (const std::uint64_t pending : options.pending) {
    const Measurement engine = best_of(options.repeat, [&] { return hold_engine(options, pending); });
    const Measurement radix = best_of(options.repeat, [&] {
      core::RadixHeap queue;
      return hold_queue(options, pending, queue);
    });
    const Measurement quaternary = best_of(options.repeat, [&] {
      core::QuaternaryHeap queue;
      return hold_queue(options, pending, queue);
    });
    const Measurement binary = best_of(options.repeat, [&] {
      BinaryHeap queue;
      return hold_queue(options, pending, queue);
    });
    // All four handle the same events in the same order, so their checksums agree; a mismatch is a bug.
    const bool agree = engine.checksum == radix.checksum && radix.checksum == quaternary.checksum &&
                       quaternary.checksum == binary.checksum;
    fmt::print("{:>9}  {:>8.2f}  {:>9.2f}  {:>14.2f}  {:>15.2f}  {:>16.3f}{}\n", pending, engine.events_per_s / 1e6,
               radix.events_per_s / 1e6, quaternary.events_per_s / 1e6, binary.events_per_s / 1e6,
               engine.events_per_s / radix.events_per_s, agree ? "" : "  CHECKSUM MISMATCH");
    if (!agree) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace dsim::bench

int main(int argc, char** argv) { return dsim::bench::run(argc, argv); }
