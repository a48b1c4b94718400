// SPDX-License-Identifier: Apache-2.0
// The table-guided scenario reader: type and range checks, defaults, unknown keys, and the resolved scenario.
#include "sim/scenario/json_reader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/check.hpp"
#include "sim/scenario/did_you_mean.hpp"

namespace dsim::scenario {

using nlohmann::json;

namespace {

// Every object may carry a note for humans under this key; it is checked to be a string and otherwise ignored.
constexpr std::string_view kCommentKey = "comment";

// The int64 a JSON number holds exactly: integers in range, and floats with an integral value (users write sizes
// as 1e9). The range test happens on the double before any cast, so huge values never reach undefined behaviour.
std::optional<std::int64_t> exact_int64(const json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<std::int64_t>();
  if (value.is_number_unsigned()) {
    const auto unsigned_value = value.get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(unsigned_value);
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    constexpr double kTwoTo63 = 9223372036854775808.0;
    if (!std::isfinite(d) || std::trunc(d) != d || d < -kTwoTo63 || d >= kTwoTo63) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

// "a positive number", "an integer >= 1", "a number in [0, 1]": what a bounded parameter expects.
std::string expected_number(const ParamSpec& spec, std::string_view noun) {
  if (spec.min && *spec.min == 0.0 && spec.min_exclusive && !spec.max) return fmt::format("a positive {}", noun);
  const std::string range = describe_range(spec);
  return fmt::format("{} {}{}{}", noun == "integer" ? "an" : "a", noun, range.empty() ? "" : " ", range);
}

bool in_range(const ParamSpec& spec, double value) {
  if (spec.min && (spec.min_exclusive ? value <= *spec.min : value < *spec.min)) return false;
  return !(spec.max && value > *spec.max);
}

// Whether a JSON number has an integral value, whatever its range.
bool is_integral(const json& value) {
  if (!value.is_number_float()) return value.is_number();
  const double d = value.get<double>();
  return std::isfinite(d) && std::trunc(d) == d;
}

// Why value does not fit spec read as `type` (spec.type, or spec.element_type for array elements); nullopt if it
// fits. Quoting the value costs a dump, so it happens only on failure.
std::optional<std::string> problem_with(const ParamSpec& spec, ParamType type, const json& value) {
  const auto expected = [&value](std::string_view what) {
    return fmt::format("expected {}, got {}", what, describe_json_value(value));
  };
  switch (type) {
    case ParamType::integer: {
      if (!value.is_number()) return expected("an integer");
      const std::optional<std::int64_t> integer = exact_int64(value);
      if (!integer) return expected(is_integral(value) ? "an integer that fits in 64 bits" : "an integer");
      if (!in_range(spec, static_cast<double>(*integer))) return expected(expected_number(spec, "integer"));
      return std::nullopt;
    }
    case ParamType::number:
      if (!value.is_number()) return expected("a number");
      if (!in_range(spec, value.get<double>())) return expected(expected_number(spec, "number"));
      return std::nullopt;
    case ParamType::boolean:
      if (!value.is_boolean()) return expected("true or false");
      return std::nullopt;
    case ParamType::string:
      if (!value.is_string()) return expected("a string");
      return std::nullopt;
    case ParamType::choice: {
      if (!value.is_string()) return expected(fmt::format("a string (one of: {})", fmt::join(spec.choices, ", ")));
      const auto& text = value.get_ref<const std::string&>();
      if (std::find(spec.choices.begin(), spec.choices.end(), text) != spec.choices.end()) return std::nullopt;
      if (const std::optional<std::string> near = closest_name(text, spec.choices)) {
        return fmt::format("unknown value '{}'; did you mean '{}'?", text, *near);
      }
      return fmt::format("unknown value '{}'; valid choices: {}", text, fmt::join(spec.choices, ", "));
    }
    case ParamType::object:
      if (!value.is_object()) return expected("an object");
      return std::nullopt;
    case ParamType::array:
      if (!value.is_array()) return expected("an array");
      return std::nullopt;
  }
  return std::nullopt;
}

// An object as dsim bug messages name it.
std::string describe_object(const std::string& pointer) {
  return pointer.empty() ? std::string("the root object") : "the object at " + pointer;
}

// A checked value as it goes into the resolved scenario: integers normalised (1e9 becomes 1000000000).
json resolved_value(ParamType type, const json& value) {
  if (type == ParamType::integer) return *exact_int64(value);
  return value;
}

}  // namespace

ReadContext::ReadContext(const ParamTable& table, const SourcedJson& scenario) : table_(table), scenario_(scenario) {
  for (const ParamSpec& spec : table_.specs()) {
    if (spec.presence != Presence::defaulted) continue;
    std::optional<std::string> problem = problem_with(spec, spec.type, spec.default_value);
    if (!problem && spec.type == ParamType::array) {
      for (const json& element : spec.default_value) {
        if (!problem) problem = problem_with(spec, spec.element_type, element);
      }
    }
    DSIM_CHECK(!problem, "the default of {} does not fit its declaration: {}", spec.pattern, problem.value_or(""));
  }
}

ObjectReader ReadContext::root() {
  if (!scenario_.doc.is_object()) {
    throw error_at("",
                   fmt::format("expected a JSON object at the top level, got {}", describe_json_value(scenario_.doc)));
  }
  return open_object("", "", scenario_.doc, resolved_);
}

InputError ReadContext::error_at(std::string_view pointer, std::string message) const {
  return InputError(scenario_.origins.source_of(pointer), std::string(pointer), std::move(message));
}

void ReadContext::check_all_finished() const {
  for (const ObjectState& state : states_) {
    DSIM_CHECK(state.finished, "the reader of {} never called finish()", describe_object(state.pointer));
  }
}

ObjectReader ReadContext::open_object(const std::string& pointer, const std::string& pattern, const json& input,
                                      json& resolved) {
  if (!resolved.is_object()) resolved = json::object();
  states_.push_back(ObjectState{pointer, pattern, &input, &resolved, {}, false});
  return ObjectReader(*this, states_.size() - 1);
}

ReadContext::Fetched ReadContext::fetch(std::size_t state, std::string_view key, ParamType type,
                                        bool optional_accessor) {
  ObjectState& object = states_[state];
  DSIM_CHECK(!object.finished, "reading '{}' of {} after finish()", key, describe_object(object.pointer));
  const std::string pattern = append_pointer(object.pattern, key);
  const ParamSpec* spec = table_.find(pattern);
  DSIM_CHECK(spec != nullptr, "reading {}, which the parameter table does not declare", pattern);
  // A choice is a string with a list of values, so the string accessors may read one (and check the list).
  DSIM_CHECK(spec->type == type || (type == ParamType::string && spec->type == ParamType::choice),
             "{} is declared as {} but read as {}", pattern, to_string(spec->type), to_string(type));
  mark_read(object, key);
  std::string pointer = append_pointer(object.pointer, key);
  const auto found = object.input->find(key);
  if (found != object.input->end()) return Fetched{spec, std::move(pointer), &*found};
  if (spec->presence == Presence::defaulted) return Fetched{spec, std::move(pointer), &spec->default_value};
  if (spec->presence == Presence::required || (!optional_accessor && type != ParamType::array)) {
    throw error_at(pointer, fmt::format("missing required key '{}'", key));
  }
  return Fetched{spec, std::move(pointer), nullptr};
}

void ReadContext::mark_read(ObjectState& object, std::string_view key) {
  if (std::find(object.read_keys.begin(), object.read_keys.end(), key) == object.read_keys.end()) {
    object.read_keys.emplace_back(key);
  }
}

void ReadContext::check(const ParamSpec& spec, ParamType type, const std::string& pointer, const json& value) const {
  if (std::optional<std::string> problem = problem_with(spec, type, value)) {
    throw error_at(pointer, std::move(*problem));
  }
}

template <typename T>
std::vector<T> ReadContext::read_array(std::size_t state, std::string_view key, ParamType element_type) {
  const Fetched fetched = fetch(state, key, ParamType::array, false);
  DSIM_CHECK(fetched.spec->element_type == element_type, "{} holds {}s but is read as {}s", fetched.spec->pattern,
             to_string(fetched.spec->element_type), to_string(element_type));
  std::vector<T> values;
  if (fetched.value == nullptr) return values;
  check(*fetched.spec, ParamType::array, fetched.pointer, *fetched.value);
  json resolved = json::array();
  for (std::size_t i = 0; i < fetched.value->size(); ++i) {
    const json& element = (*fetched.value)[i];
    check(*fetched.spec, element_type, append_pointer(fetched.pointer, std::to_string(i)), element);
    resolved.push_back(resolved_value(element_type, element));
    values.push_back(resolved.back().get<T>());
  }
  (*states_[state].resolved)[std::string(key)] = std::move(resolved);
  return values;
}

void ReadContext::finish(std::size_t state) {
  ObjectState& object = states_[state];
  DSIM_CHECK(!object.finished, "finish() called twice on {}", describe_object(object.pointer));
  const std::vector<std::string>& declared = table_.children(object.pattern);
  for (const std::string& key : declared) {
    DSIM_CHECK(std::find(object.read_keys.begin(), object.read_keys.end(), key) != object.read_keys.end(),
               "the reader of {} never read the declared parameter '{}'", object.pattern.empty() ? "/" : object.pattern,
               key);
  }
  for (const auto& [key, value] : object.input->items()) {
    if (std::find(declared.begin(), declared.end(), key) != declared.end()) continue;
    const std::string pointer = append_pointer(object.pointer, key);
    if (key == kCommentKey) {
      if (!value.is_string()) {
        throw error_at(pointer, fmt::format("expected a string, got {}", describe_json_value(value)));
      }
      (*object.resolved)[key] = value;
      continue;
    }
    std::vector<std::string> candidates = declared;
    candidates.emplace_back(kCommentKey);
    if (const std::optional<std::string> near = closest_name(key, candidates)) {
      throw error_at(pointer, fmt::format("unknown key '{}'; did you mean '{}'?", key, *near));
    }
    if (declared.empty()) throw error_at(pointer, fmt::format("unknown key '{}'; this object takes no keys", key));
    throw error_at(pointer, fmt::format("unknown key '{}'; valid keys here: {}", key, fmt::join(declared, ", ")));
  }
  object.finished = true;
}

template <typename T>
std::optional<T> ReadContext::read_scalar(std::size_t state, std::string_view key, ParamType type,
                                          bool optional_accessor) {
  const Fetched fetched = fetch(state, key, type, optional_accessor);
  if (fetched.value == nullptr) return std::nullopt;
  check(*fetched.spec, fetched.spec->type, fetched.pointer, *fetched.value);
  json resolved = resolved_value(fetched.spec->type, *fetched.value);
  T result = resolved.get<T>();
  (*states_[state].resolved)[std::string(key)] = std::move(resolved);
  return result;
}

std::optional<ObjectReader> ReadContext::read_object(std::size_t state, std::string_view key, bool optional_accessor) {
  const Fetched fetched = fetch(state, key, ParamType::object, optional_accessor);
  if (fetched.value == nullptr) return std::nullopt;
  check(*fetched.spec, ParamType::object, fetched.pointer, *fetched.value);
  json& resolved = (*states_[state].resolved)[std::string(key)];
  return open_object(fetched.pointer, fetched.spec->pattern, *fetched.value, resolved);
}

std::vector<ObjectReader> ReadContext::read_objects(std::size_t state, std::string_view key) {
  const Fetched fetched = fetch(state, key, ParamType::array, false);
  DSIM_CHECK(fetched.spec->element_type == ParamType::object, "{} holds {}s but is read as objects",
             fetched.spec->pattern, to_string(fetched.spec->element_type));
  std::vector<ObjectReader> readers;
  if (fetched.value == nullptr) return readers;
  check(*fetched.spec, ParamType::array, fetched.pointer, *fetched.value);
  const std::size_t count = fetched.value->size();
  for (std::size_t i = 0; i < count; ++i) {
    check(*fetched.spec, ParamType::object, append_pointer(fetched.pointer, std::to_string(i)), (*fetched.value)[i]);
  }
  // Sized once, before any element reader points into it, and never resized afterwards.
  json& resolved = (*states_[state].resolved)[std::string(key)];
  if (!resolved.is_array() || resolved.size() != count) {
    resolved = json::array();
    for (std::size_t i = 0; i < count; ++i) resolved.push_back(json::object());
  }
  const std::string element_pattern = fetched.spec->pattern + "/*";
  readers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    readers.push_back(open_object(append_pointer(fetched.pointer, std::to_string(i)), element_pattern,
                                  (*fetched.value)[i], resolved[i]));
  }
  return readers;
}

std::int64_t ObjectReader::integer(std::string_view key) {
  return *context_->read_scalar<std::int64_t>(state_, key, ParamType::integer, false);
}
std::optional<std::int64_t> ObjectReader::optional_integer(std::string_view key) {
  return context_->read_scalar<std::int64_t>(state_, key, ParamType::integer, true);
}
double ObjectReader::number(std::string_view key) {
  return *context_->read_scalar<double>(state_, key, ParamType::number, false);
}
std::optional<double> ObjectReader::optional_number(std::string_view key) {
  return context_->read_scalar<double>(state_, key, ParamType::number, true);
}
bool ObjectReader::boolean(std::string_view key) {
  return *context_->read_scalar<bool>(state_, key, ParamType::boolean, false);
}
std::optional<bool> ObjectReader::optional_boolean(std::string_view key) {
  return context_->read_scalar<bool>(state_, key, ParamType::boolean, true);
}
std::string ObjectReader::string(std::string_view key) {
  return *context_->read_scalar<std::string>(state_, key, ParamType::string, false);
}
std::optional<std::string> ObjectReader::optional_string(std::string_view key) {
  return context_->read_scalar<std::string>(state_, key, ParamType::string, true);
}
std::string ObjectReader::choice(std::string_view key) {
  return *context_->read_scalar<std::string>(state_, key, ParamType::choice, false);
}
std::optional<std::string> ObjectReader::optional_choice(std::string_view key) {
  return context_->read_scalar<std::string>(state_, key, ParamType::choice, true);
}
ObjectReader ObjectReader::object(std::string_view key) { return *context_->read_object(state_, key, false); }
std::optional<ObjectReader> ObjectReader::optional_object(std::string_view key) {
  return context_->read_object(state_, key, true);
}

bool ObjectReader::has(std::string_view key) const {
  ReadContext::ObjectState& object = context_->states_[state_];
  const std::string pattern = append_pointer(object.pattern, key);
  DSIM_CHECK(context_->table_.find(pattern) != nullptr, "asking for {}, which the parameter table does not declare",
             pattern);
  ReadContext::mark_read(object, key);
  return object.input->contains(key);
}

std::vector<ObjectReader> ObjectReader::objects(std::string_view key) { return context_->read_objects(state_, key); }
std::vector<std::string> ObjectReader::strings(std::string_view key) {
  return context_->read_array<std::string>(state_, key, ParamType::string);
}
std::vector<std::int64_t> ObjectReader::integers(std::string_view key) {
  return context_->read_array<std::int64_t>(state_, key, ParamType::integer);
}
std::vector<double> ObjectReader::numbers(std::string_view key) {
  return context_->read_array<double>(state_, key, ParamType::number);
}

std::string ObjectReader::pointer() const { return context_->states_[state_].pointer; }
std::string ObjectReader::pointer_of(std::string_view key) const { return append_pointer(pointer(), key); }
InputError ObjectReader::error(std::string_view key, std::string message) const {
  return context_->error_at(pointer_of(key), std::move(message));
}
InputError ObjectReader::error_here(std::string message) const {
  return context_->error_at(pointer(), std::move(message));
}
void ObjectReader::finish() { context_->finish(state_); }

}  // namespace dsim::scenario
