// SPDX-License-Identifier: Apache-2.0
// The discrete-event engine: a queue of (time, sequence) events handed to registered handlers in order.
// Ties at equal times break by insertion order (the sequence number given on schedule), so a run is a function of
// its inputs. Events are small fixed-size records; scheduling never allocates once the queue has grown.
// Cancelling is lazy: an event carries a token and the token's generation when it was scheduled; cancel() bumps the
// generation and stale events are dropped when they reach the head of the queue.
// The engine knows nothing of GPUs or networks; models never schedule, the replay does.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/event_queue.hpp"
#include "sim/core/units.hpp"

namespace dsim::core {

class Engine;

class EventHandler {
 public:
  virtual void handle(Engine& engine, const Event& event) = 0;

 protected:
  ~EventHandler() = default;
};

struct RunStats {
  std::uint64_t events_processed = 0;  // handed to a handler
  std::uint64_t events_cancelled = 0;  // dropped because their token was cancelled
  Time end_time;                       // the engine's clock when run() returned
};

class Engine {
 public:
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The handler must outlive the engine's run; the id is dense, in registration order.
  HandlerId add_handler(EventHandler& handler);

  // A token groups events that can be cancelled together (for instance "the next completion of flow 7").
  CancelToken new_token();
  // Drops every pending event scheduled with this token; events scheduled with it afterwards are live again.
  void cancel(CancelToken token);

  // Schedules an event at an absolute time, which must not lie in the past.
  void schedule(Time at, HandlerId handler, std::uint64_t payload = 0, CancelToken token = CancelToken::none());
  void schedule_after(Time delay, HandlerId handler, std::uint64_t payload = 0,
                      CancelToken token = CancelToken::none()) {
    schedule(now_ + delay, handler, payload, token);
  }

  // Processes events in (time, sequence) order until the queue is empty, stop() is called, or the next event lies
  // beyond `until` (that event stays queued and the clock stops at `until`).
  RunStats run(Time until = Time::infinite());
  // Makes run() return after the event being handled.
  void stop() { stop_requested_ = true; }

  Time now() const { return now_; }
  std::size_t pending() const { return queue_.size(); }

 private:
  bool is_live(const Event& event) const;

  EventQueue queue_;
  std::vector<EventHandler*> handlers_;
  std::vector<std::uint32_t> token_generations_;
  std::uint64_t next_sequence_ = 0;
  Time now_ = Time::zero();
  bool stop_requested_ = false;
};

}  // namespace dsim::core
