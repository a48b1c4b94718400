// SPDX-License-Identifier: Apache-2.0
// Tests of the event engine and its queue: (time, sequence) order, lazy cancellation, run(until), stop().
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <queue>
#include <stdexcept>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/core/engine.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"

namespace dsim::core {
namespace {

using Catch::Matchers::Contains;

constexpr Time at(std::int64_t ps) { return Time::from_ps(ps); }

// What a handler saw: the engine's clock and the event's payload, in handling order.
struct Seen {
  std::int64_t now_ps;
  std::uint64_t payload;
  friend bool operator==(const Seen&, const Seen&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Seen& s) {
    return out << "{" << s.now_ps << " ps, payload " << s.payload << "}";
  }
};

// Records every event it is handed, then calls an optional hook (which may schedule, cancel or stop).
class Recorder final : public EventHandler {
 public:
  std::vector<Seen> seen;
  std::function<void(Engine&, const Event&)> hook;

  void handle(Engine& engine, const Event& event) override {
    seen.push_back({engine.now().ps(), event.payload});
    if (hook) hook(engine, event);
  }

  std::vector<std::uint64_t> payloads() const {
    std::vector<std::uint64_t> out;
    for (const Seen& s : seen) out.push_back(s.payload);
    return out;
  }
};

TEST_CASE("engine: events come out in time order whatever the order they were scheduled in", "[core]") {
  // Scheduled at 50, 10, 40, 20, 30 ps with payload = time: handled at 10, 20, 30, 40, 50, the clock following.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  for (const std::int64_t t : {50, 10, 40, 20, 30}) engine.schedule(at(t), h, static_cast<std::uint64_t>(t));
  CHECK(engine.pending() == 5);
  const RunStats stats = engine.run();
  CHECK(recorder.seen == std::vector<Seen>{{10, 10}, {20, 20}, {30, 30}, {40, 40}, {50, 50}});
  CHECK(stats.events_processed == 5);
  CHECK(stats.events_cancelled == 0);
  CHECK(stats.end_time == at(50));
  CHECK(engine.now() == at(50));
  CHECK(engine.pending() == 0);
}

TEST_CASE("engine: ties at equal times break by insertion order", "[core]") {
  // 1,000 events at t = 7 ps (payloads 0..999 in scheduling order), interleaved with events at 3 and 9 ps
  // (payloads 10,000+ and 20,000+). Expected: the 3 ps ones in their order, then 0..999 in order, then the 9 ps ones.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  std::vector<std::uint64_t> expected_early;
  std::vector<std::uint64_t> expected_tied;
  std::vector<std::uint64_t> expected_late;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    engine.schedule(at(7), h, i);
    expected_tied.push_back(i);
    if (i % 7 == 0) {
      engine.schedule(at(9), h, 20'000 + i);
      expected_late.push_back(20'000 + i);
    }
    if (i % 11 == 0) {
      engine.schedule(at(3), h, 10'000 + i);
      expected_early.push_back(10'000 + i);
    }
  }
  engine.run();
  std::vector<std::uint64_t> expected = expected_early;
  expected.insert(expected.end(), expected_tied.begin(), expected_tied.end());
  expected.insert(expected.end(), expected_late.begin(), expected_late.end());
  CHECK(recorder.payloads() == expected);
}

TEST_CASE("engine: each event goes to the handler it names, with its own time and payload", "[core]") {
  // Two handlers, A gets payloads 1 and 3 at 5 and 15 ps, B gets 2 at 10 ps; each sees only its own events and
  // event.time equals the clock when handled.
  Engine engine;
  Recorder a;
  Recorder b;
  const HandlerId ha = engine.add_handler(a);
  const HandlerId hb = engine.add_handler(b);
  CHECK(ha.value() == 0);
  CHECK(hb.value() == 1);
  a.hook = [&](Engine& e, const Event& event) {
    CHECK(event.time == e.now());
    CHECK(event.handler == 0);
  };
  engine.schedule(at(15), ha, 3);
  engine.schedule(at(10), hb, 2);
  engine.schedule(at(5), ha, 1);
  engine.run();
  CHECK(a.seen == std::vector<Seen>{{5, 1}, {15, 3}});
  CHECK(b.seen == std::vector<Seen>{{10, 2}});
}

TEST_CASE("engine: cancelled events are never handled but counted, and the token is live again afterwards", "[core]") {
  // Token t holds events at 10, 20 and 30 ps; an untokened event sits at 15 ps. cancel(t) kills the three; an
  // event scheduled with t after the cancel (at 25 ps) is live. Handled: 15 and 25; cancelled: 3. The dead events
  // still occupy the queue until they reach its head (lazy), so pending() is 5 before the run.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  const CancelToken t = engine.new_token();
  const CancelToken other = engine.new_token();
  CHECK(t != other);
  engine.schedule(at(10), h, 10, t);
  engine.schedule(at(20), h, 20, t);
  engine.schedule(at(30), h, 30, t);
  engine.schedule(at(15), h, 15);
  engine.schedule(at(17), h, 17, other);
  engine.cancel(t);
  engine.schedule(at(25), h, 25, t);
  CHECK(engine.pending() == 6);
  const RunStats stats = engine.run();
  CHECK(recorder.payloads() == std::vector<std::uint64_t>{15, 17, 25});
  CHECK(stats.events_processed == 3);
  CHECK(stats.events_cancelled == 3);
  CHECK(engine.pending() == 0);
}

TEST_CASE("engine: a handler can cancel a later event of another token", "[core]") {
  // The event at 10 ps cancels token t, whose event waits at 20 ps; the untokened event at 30 ps still runs.
  // Cancelling twice in a row is harmless (the generation moves on twice; the event is just as dead).
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  const CancelToken t = engine.new_token();
  recorder.hook = [&](Engine& e, const Event& event) {
    if (event.payload == 10) {
      e.cancel(t);
      e.cancel(t);
    }
  };
  engine.schedule(at(10), h, 10);
  engine.schedule(at(20), h, 20, t);
  engine.schedule(at(30), h, 30);
  const RunStats stats = engine.run();
  CHECK(recorder.payloads() == std::vector<std::uint64_t>{10, 30});
  CHECK(stats.events_cancelled == 1);
  CHECK_THROWS_AS(engine.cancel(CancelToken(99)), InternalError);
  CHECK_THROWS_AS(engine.cancel(CancelToken::none()), InternalError);
}

TEST_CASE("engine: run(until) stops the clock at until and leaves later events queued", "[core]") {
  // Events at 10, 20, 30 ps. run(25) handles 10 and 20 and leaves the clock at 25 ps with one event pending; an
  // event exactly at `until` is handled (run(30) below). A second run() goes on from there: 30 ps.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  for (const std::int64_t t : {10, 20, 30}) engine.schedule(at(t), h, static_cast<std::uint64_t>(t));
  const RunStats first = engine.run(at(25));
  CHECK(recorder.payloads() == std::vector<std::uint64_t>{10, 20});
  CHECK(first.events_processed == 2);
  CHECK(first.end_time == at(25));
  CHECK(engine.now() == at(25));
  CHECK(engine.pending() == 1);
  // schedule_after counts from the stopped clock: 25 + 3 = 28 ps, before the queued 30 ps event.
  engine.schedule_after(at(3), h, 28);
  const RunStats second = engine.run(at(30));
  CHECK(recorder.payloads() == std::vector<std::uint64_t>{10, 20, 28, 30});
  CHECK(second.events_processed == 2);  // stats count per run
  CHECK(second.end_time == at(30));
  CHECK(engine.pending() == 0);
}

TEST_CASE("engine: run(until) with nothing due before until only moves the clock", "[core]") {
  // One event at 200 ps; run(100) handles nothing, the clock reads 100 ps, the event stays; run() then handles it.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  engine.schedule(at(200), h, 1);
  const RunStats stats = engine.run(at(100));
  CHECK(stats.events_processed == 0);
  CHECK(engine.now() == at(100));
  CHECK(engine.pending() == 1);
  engine.run();
  CHECK(recorder.seen == std::vector<Seen>{{200, 1}});
}

TEST_CASE("engine: run(until) with until before the clock throws instead of moving the clock back", "[core]") {
  // After run(100 ps) the clock reads 100 ps with an event queued at 200 ps. run(50 ps) would set the clock back
  // to 50 ps and let events be scheduled before ones already handled: it throws, and the clock stays at 100 ps.
  // run(100 ps) again (until == now) is fine and handles nothing.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  engine.schedule(at(200), h, 1);
  engine.run(at(100));
  CHECK_THROWS_WITH(engine.run(at(50)), Contains("run until 50 ps, before now 100 ps"));
  CHECK(engine.now() == at(100));
  CHECK(engine.run(at(100)).events_processed == 0);
  CHECK(engine.pending() == 1);
}

TEST_CASE("engine: stop() inside a handler ends the run after that event", "[core]") {
  // Five events at 1..5 ps; the handler of the third calls stop(). run() returns having handled 3, clock at 3 ps,
  // 2 pending; the next run() starts afresh (stop is not sticky) and handles 4 and 5.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  recorder.hook = [](Engine& e, const Event& event) {
    if (event.payload == 3) e.stop();
  };
  for (std::uint64_t i = 1; i <= 5; ++i) engine.schedule(at(static_cast<std::int64_t>(i)), h, i);
  const RunStats first = engine.run();
  CHECK(first.events_processed == 3);
  CHECK(first.end_time == at(3));
  CHECK(engine.pending() == 2);
  const RunStats second = engine.run();
  CHECK(second.events_processed == 2);
  CHECK(recorder.payloads() == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("engine: scheduling in the past or for an unknown handler throws InternalError", "[core]") {
  // After handling an event at 100 ps the clock reads 100 ps: 50 ps lies in the past, 100 ps (now) does not.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  engine.schedule(at(100), h);
  engine.run();
  CHECK_THROWS_AS(engine.schedule(at(50), h), InternalError);
  CHECK_THROWS_WITH(engine.schedule(at(50), h), Contains("event scheduled in the past: 50 ps < now 100 ps"));
  CHECK_NOTHROW(engine.schedule(at(100), h));
  CHECK_THROWS_WITH(engine.schedule(at(200), HandlerId(1)), Contains("unknown handler 1"));
  CHECK_THROWS_AS(engine.schedule(at(200), HandlerId::none()), InternalError);
  CHECK_THROWS_AS(engine.schedule(at(200), h, 0, CancelToken(3)), InternalError);
  CHECK(engine.pending() == 1);
}

TEST_CASE("engine: a handler may schedule new events while handling, at now or later", "[core]") {
  // Event 1 at 10 ps schedules 2 at now (10 ps) and 3 at now + 5 = 15 ps; one more event 4 was queued at 10 ps
  // before the run. Same-time order is insertion order, so 4 (queued earlier) precedes 2: 1, 4, 2, then 3.
  // Event 3 chains to 5 at 15 + 5 = 20 ps via schedule_after.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  recorder.hook = [&](Engine& e, const Event& event) {
    if (event.payload == 1) {
      e.schedule(e.now(), h, 2);
      e.schedule(e.now() + at(5), h, 3);
    } else if (event.payload == 3) {
      e.schedule_after(at(5), h, 5);
    }
  };
  engine.schedule(at(10), h, 1);
  engine.schedule(at(10), h, 4);
  const RunStats stats = engine.run();
  CHECK(recorder.seen == std::vector<Seen>{{10, 1}, {10, 4}, {10, 2}, {15, 3}, {20, 5}});
  CHECK(stats.events_processed == 5);
}

TEST_CASE("engine: the event handed to a handler stays intact while the handler schedules", "[core]") {
  // The handler gets a const Event&; scheduling may reorder the queue underneath, so the engine must hand over a
  // copy. Each handler schedules two events and then re-reads its own: time, payload and sequence are unchanged.
  // pending() during handling excludes the event being handled: one event queued at 10 ps and one at 100 ps;
  // while handling the 10 ps event, pending() is 1, then 2 and 3 after each schedule.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  std::vector<std::size_t> pending_seen;
  int intact = 0;
  recorder.hook = [&](Engine& e, const Event& event) {
    if (event.payload >= 100) return;
    const Event before = event;
    pending_seen.push_back(e.pending());
    e.schedule(e.now() + at(1), h, 100 + event.payload);
    pending_seen.push_back(e.pending());
    e.schedule(e.now() + at(2), h, 200 + event.payload);
    pending_seen.push_back(e.pending());
    intact += (event.time == before.time && event.payload == before.payload && event.sequence == before.sequence);
  };
  engine.schedule(at(10), h, 1);
  engine.schedule(at(100), h, 2);
  engine.run();
  CHECK(intact == 2);
  // At 10 ps: 1 pending (the 100 ps event), then 2, 3. At 100 ps, the 11/12 ps events are done: 0, 1, 2.
  CHECK(pending_seen == std::vector<std::size_t>{1, 2, 3, 0, 1, 2});
  CHECK(recorder.payloads() == std::vector<std::uint64_t>{1, 101, 201, 2, 102, 202});
}

TEST_CASE("engine: an event whose handler throws is consumed, and the next run goes on after it", "[core]") {
  // Events 1, 2, 3 at 1, 2, 3 ps; the handler throws on 2 after scheduling event 4 at 4 ps. run() propagates the
  // exception; 2 is not handed over again, so the next run() handles 3 and then 4.
  Engine engine;
  Recorder recorder;
  const HandlerId h = engine.add_handler(recorder);
  recorder.hook = [&](Engine& e, const Event& event) {
    if (event.payload == 2) {
      e.schedule(at(4), h, 4);
      throw std::runtime_error("handler failed");
    }
  };
  for (std::uint64_t i = 1; i <= 3; ++i) engine.schedule(at(static_cast<std::int64_t>(i)), h, i);
  CHECK_THROWS_WITH(engine.run(), "handler failed");
  CHECK(engine.pending() == 2);
  engine.run();
  CHECK(recorder.payloads() == std::vector<std::uint64_t>{1, 2, 3, 4});
}

// Runs `operations` random pushes and pops on Queue and on a std::priority_queue ordered by the same (time,
// sequence) key, side by side; pushes are twice as likely as pops, and each pushed time is draw_time(last popped
// time). Sequences are unique, so the order is fully determined and every pop must return the identical event.
// Returns the number of pops that differed.
template <typename Queue, typename DrawTime>
std::uint64_t differential_mismatches(RngStream& rng, int operations, DrawTime draw_time) {
  Queue queue;
  auto later = [](const Event& a, const Event& b) { return b < a; };
  std::priority_queue<Event, std::vector<Event>, decltype(later)> reference(later);
  std::int64_t now = 0;
  std::uint64_t sequence = 0;
  std::uint64_t mismatches = 0;
  auto pop_both = [&] {
    const Event& mine = queue.top();
    const Event& theirs = reference.top();
    mismatches += (mine.time != theirs.time || mine.sequence != theirs.sequence || mine.payload != theirs.payload);
    mismatches += (queue.top().sequence != mine.sequence);  // top() twice in a row agrees with itself
    now = theirs.time.ps();
    queue.pop();
    reference.pop();
  };
  for (int op = 0; op < operations; ++op) {
    if (reference.empty() || rng.uniform_below(3) != 0) {
      Event event;
      event.time = at(draw_time(now));
      event.sequence = sequence++;
      event.payload = rng.next_u64();
      queue.push(event);
      reference.push(event);
    } else {
      pop_both();
    }
    if (queue.size() != reference.size()) ++mismatches;
  }
  while (!reference.empty()) pop_both();
  if (!queue.empty()) ++mismatches;
  return mismatches;
}

TEMPLATE_TEST_CASE("engine: the queues pop the same order as std::priority_queue when time never goes back",
                   "[core]", QuaternaryHeap, RadixHeap) {
  // Differential test, 200,000 operations. Pushed times are at or after the last popped time, as the engine's
  // are: half within 64 ps (many ties at equal times, which the sequence must break, and keys differing only in
  // low digits), half up to 2^40 ps later (keys differing in high digits).
  constexpr std::uint64_t seed = 20240601;
  INFO("seed " << seed);
  RngStream rng(seed, "queue-differential-monotone");
  const std::uint64_t mismatches = differential_mismatches<TestType>(rng, 200'000, [&](std::int64_t now) {
    const std::uint64_t span = rng.uniform_below(2) == 0 ? 64 : std::uint64_t{1} << 40;
    return now + static_cast<std::int64_t>(rng.uniform_below(span));
  });
  CHECK(mismatches == 0);
}

TEMPLATE_TEST_CASE("engine: the queues pop the same order as std::priority_queue when pushes go before the head",
                   "[core]", QuaternaryHeap, RadixHeap) {
  // Differential test, 200,000 operations, with pushed times anywhere in [-2^20, 2^20) ps and, one time in 64,
  // at the int64 extremes: most pushes land before the current head (RadixHeap must re-base on them) and
  // negative times must sort before positive ones.
  constexpr std::uint64_t seed = 8128;
  INFO("seed " << seed);
  RngStream rng(seed, "queue-differential-any");
  const std::uint64_t mismatches = differential_mismatches<TestType>(rng, 200'000, [&](std::int64_t) {
    switch (rng.uniform_below(128)) {
      case 0: return std::numeric_limits<std::int64_t>::min();
      case 1: return std::numeric_limits<std::int64_t>::max();
      default: return static_cast<std::int64_t>(rng.uniform_below(std::uint64_t{1} << 21)) - (std::int64_t{1} << 20);
    }
  });
  CHECK(mismatches == 0);
}

TEST_CASE("engine: RadixHeap returns every one of many events that share one key", "[core]") {
  // The engine never repeats a sequence, but the queue must still not lose or duplicate equal keys. 300 events
  // with key (5 ps, 0) and payloads 0..299 (several chunks of the bucket that holds the floor's key),
  // plus 100 with key (9 ps, 1): the first 300 pops are the (5, 0) events in some order, each payload once, then
  // the 100 at 9 ps.
  RadixHeap queue;
  for (std::uint64_t i = 0; i < 400; ++i) {
    Event event;
    event.time = at(i < 300 ? 5 : 9);
    event.sequence = i < 300 ? 0 : 1;
    event.payload = i;
    queue.push(event);
  }
  std::vector<int> seen(400, 0);
  int wrong_order = 0;
  for (std::uint64_t i = 0; i < 400; ++i) {
    const Event event = queue.top();
    queue.pop();
    ++seen[event.payload];
    wrong_order += (i < 300) != (event.time == at(5)) ? 1 : 0;
  }
  CHECK(queue.empty());
  CHECK(wrong_order == 0);
  CHECK(std::count(seen.begin(), seen.end(), 1) == 400);
}

// Schedules a random number of follow-ups per event, cancels at random, and records what it handled.
// tokens_[0] is CancelToken::none() (never cancelled); the others are real tokens.
class RandomLoad final : public EventHandler {
 public:
  RandomLoad(RngStream& rng, std::vector<CancelToken> tokens) : rng_(rng), tokens_(std::move(tokens)) {}

  HandlerId id;
  std::vector<Event> handled;
  std::uint64_t scheduled = 0;
  std::uint64_t budget = 50'000;
  std::uint64_t off_clock = 0;  // events whose time differed from the engine's clock when handled

  void handle(Engine& engine, const Event& event) override {
    handled.push_back(event);
    off_clock += event.time != engine.now() ? 1 : 0;
    const std::uint64_t children = rng_.uniform_below(4);  // 0..3, mean 1.5: grows until the budget is spent
    for (std::uint64_t c = 0; c < children && scheduled < budget; ++c) {
      const CancelToken token = tokens_[rng_.uniform_below(tokens_.size())];
      engine.schedule_after(Time::from_ps(static_cast<std::int64_t>(rng_.uniform_below(16))), id, ++scheduled, token);
    }
    if (rng_.uniform_below(8) == 0) engine.cancel(tokens_[1 + rng_.uniform_below(tokens_.size() - 1)]);
  }

 private:
  RngStream& rng_;
  std::vector<CancelToken> tokens_;
};

TEST_CASE("engine: under random load with cancels, handling order is strictly (time, sequence)", "[core]") {
  // Each event schedules 0-3 follow-ups (until 50,000 are scheduled) 0..15 ps later on one of 8 tokens or none,
  // and one time in 8 cancels a random token. Whatever survives must come out with non-decreasing time, strictly
  // increasing sequence at equal time, time equal to the clock, and handled + cancelled = scheduled (nothing lost,
  // nothing handled twice).
  constexpr std::uint64_t seed = 777;
  INFO("seed " << seed);
  RngStream rng(seed, "engine-random-load");
  Engine engine;
  std::vector<CancelToken> tokens{CancelToken::none()};
  for (int i = 0; i < 8; ++i) tokens.push_back(engine.new_token());
  RandomLoad load(rng, tokens);
  load.id = engine.add_handler(load);
  for (std::uint64_t i = 0; i < 64; ++i) engine.schedule(at(0), load.id, ++load.scheduled);
  const RunStats stats = engine.run();
  REQUIRE(load.handled.size() > 1000);
  std::uint64_t out_of_order = 0;
  for (std::size_t i = 1; i < load.handled.size(); ++i) {
    out_of_order += load.handled[i] < load.handled[i - 1] ? 1 : 0;
  }
  CHECK(out_of_order == 0);
  CHECK(load.off_clock == 0);
  CHECK(stats.events_processed == load.handled.size());
  CHECK(stats.events_processed + stats.events_cancelled == load.scheduled);
  CHECK(stats.events_cancelled > 0);
  CHECK(engine.pending() == 0);
}

}  // namespace
}  // namespace dsim::core
