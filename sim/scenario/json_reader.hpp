// SPDX-License-Identifier: Apache-2.0
// Reading a scenario through the parameter table: every accessor checks type and range, fills in the default and
// records the value in the resolved scenario; finish() rejects keys nobody declared. Errors name the JSON pointer
// and the file (or --set) the value came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/errors.hpp"
#include "sim/scenario/json_source.hpp"
#include "sim/scenario/param_table.hpp"

namespace dsim::scenario {

class ReadContext;

// One JSON object being read. Copies refer to the same object; it is cheap to pass by value. Reading a key the
// table does not declare, or with the accessor of another type, is a dsim bug (InternalError); string accessors
// also read choices. An absent key takes its default when it has one; otherwise a plain accessor reports it missing
// and an optional_* accessor returns nullopt (array accessors return an empty array).
class ObjectReader {
 public:
  std::int64_t integer(std::string_view key);
  std::optional<std::int64_t> optional_integer(std::string_view key);
  double number(std::string_view key);
  std::optional<double> optional_number(std::string_view key);
  bool boolean(std::string_view key);
  std::optional<bool> optional_boolean(std::string_view key);
  std::string string(std::string_view key);
  std::optional<std::string> optional_string(std::string_view key);
  std::string choice(std::string_view key);
  std::optional<std::string> optional_choice(std::string_view key);
  ObjectReader object(std::string_view key);
  std::optional<ObjectReader> optional_object(std::string_view key);
  // Whether the input itself holds key (defaults do not count). Asking counts as reading for finish(): code that
  // reads a key only when present has still dealt with it.
  bool has(std::string_view key) const;

  std::vector<ObjectReader> objects(std::string_view key);  // an array of objects
  std::vector<std::string> strings(std::string_view key);
  std::vector<std::int64_t> integers(std::string_view key);
  std::vector<double> numbers(std::string_view key);

  std::string pointer() const;
  std::string pointer_of(std::string_view key) const;
  // Errors for checks the table cannot express (consistency between keys), attributed like the reader's own.
  InputError error(std::string_view key, std::string message) const;
  InputError error_here(std::string message) const;

  // Every key of the object must now be read or be "comment": an unknown key is an InputError, a declared key
  // left unread is a dsim bug. Call it once, after the last accessor.
  void finish();

 private:
  friend class ReadContext;
  ObjectReader(ReadContext& context, std::size_t state) : context_(&context), state_(state) {}

  ReadContext* context_;
  std::size_t state_;
};

class ReadContext {
 public:
  // Both must outlive the context and every reader it hands out. Checks that the table's defaults fit their own
  // types and ranges (a dsim bug otherwise).
  ReadContext(const ParamTable& table, const SourcedJson& scenario);
  ReadContext(const ReadContext&) = delete;
  ReadContext& operator=(const ReadContext&) = delete;

  ObjectReader root();
  // The scenario as read: every value the readers took, defaults filled in, comments kept, integers as integers.
  nlohmann::json resolved() const { return resolved_; }
  // An InputError at pointer, whose source is the file (or "--set") that gave the value there.
  InputError error_at(std::string_view pointer, std::string message) const;
  // A dsim bug check: every ObjectReader handed out had finish() called.
  void check_all_finished() const;

 private:
  friend class ObjectReader;

  struct ObjectState {
    std::string pointer;
    std::string pattern;
    const nlohmann::json* input;  // into the scenario, or a default in the table
    nlohmann::json* resolved;     // into resolved_; stable, since an object's node is never replaced once made
    std::vector<std::string> read_keys;
    bool finished = false;
  };

  // A declared key, fetched: value is nullptr when an optional key is absent.
  struct Fetched {
    const ParamSpec* spec;
    std::string pointer;
    const nlohmann::json* value;
  };

  static void mark_read(ObjectState& object, std::string_view key);
  Fetched fetch(std::size_t state, std::string_view key, ParamType type, bool optional_accessor);
  ObjectReader open_object(const std::string& pointer, const std::string& pattern, const nlohmann::json& input,
                           nlohmann::json& resolved);
  // Throws the InputError for value at pointer unless it fits spec read as `type`.
  void check(const ParamSpec& spec, ParamType type, const std::string& pointer, const nlohmann::json& value) const;
  template <typename T>
  std::optional<T> read_scalar(std::size_t state, std::string_view key, ParamType type, bool optional_accessor);
  template <typename T>
  std::vector<T> read_array(std::size_t state, std::string_view key, ParamType element_type);
  std::optional<ObjectReader> read_object(std::size_t state, std::string_view key, bool optional_accessor);
  std::vector<ObjectReader> read_objects(std::size_t state, std::string_view key);
  void finish(std::size_t state);

  const ParamTable& table_;
  const SourcedJson& scenario_;
  nlohmann::json resolved_ = nlohmann::json::object();
  std::vector<ObjectState> states_;
};

}  // namespace dsim::scenario
