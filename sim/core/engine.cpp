// SPDX-License-Identifier: Apache-2.0
#include "sim/core/engine.hpp"

#include <limits>

#include "sim/core/check.hpp"

namespace dsim::core {

HandlerId Engine::add_handler(EventHandler& handler) {
  DSIM_CHECK(handlers_.size() < std::numeric_limits<std::uint16_t>::max(), "too many event handlers");
  handlers_.push_back(&handler);
  return HandlerId(static_cast<HandlerId::Value>(handlers_.size() - 1));
}

CancelToken Engine::new_token() {
  token_generations_.push_back(0);
  return CancelToken(static_cast<CancelToken::Value>(token_generations_.size() - 1));
}

void Engine::cancel(CancelToken token) {
  DSIM_CHECK(token.valid() && token.index() < token_generations_.size(), "cancel of unknown token {}",
             token.value());
  // A 16-bit generation wraps after 65,536 cancels of one token; an event would be wrongly revived only if it
  // stayed queued across exactly that many cancels of its token, which the replay never does (it cancels a
  // token's one pending event before scheduling the next).
  ++token_generations_[token.index()];
}

void Engine::schedule(Time at, HandlerId handler, std::uint64_t payload, CancelToken token) {
  DSIM_CHECK(at >= now_, "event scheduled in the past: {} ps < now {} ps", at.ps(), now_.ps());
  DSIM_CHECK(handler.index() < handlers_.size(), "event for unknown handler {}", handler.value());
  Event event;
  event.time = at;
  event.sequence = next_sequence_++;
  event.payload = payload;
  event.token = token;
  event.handler = static_cast<std::uint16_t>(handler.value());
  if (token.valid()) {
    DSIM_CHECK(token.index() < token_generations_.size(), "event with unknown token {}", token.value());
    event.generation = static_cast<std::uint16_t>(token_generations_[token.index()]);
  }
  queue_.push(event);
}

bool Engine::is_live(const Event& event) const {
  return !event.token.valid() ||
         event.generation == static_cast<std::uint16_t>(token_generations_[event.token.index()]);
}

RunStats Engine::run(Time until) {
  // Without this check the clock would move back to `until`, and events could then be scheduled before ones
  // already handled.
  DSIM_CHECK(until >= now_, "run until {} ps, before now {} ps", until.ps(), now_.ps());
  stop_requested_ = false;
  RunStats stats;
  while (!queue_.empty() && !stop_requested_) {
    const Event event = queue_.top();
    if (event.time > until) {
      now_ = until;
      break;
    }
    queue_.pop();
    if (!is_live(event)) {
      ++stats.events_cancelled;
      continue;
    }
    now_ = event.time;
    ++stats.events_processed;
    handlers_[event.handler]->handle(*this, event);
  }
  stats.end_time = now_;
  return stats;
}

}  // namespace dsim::core
