// SPDX-License-Identifier: Apache-2.0
// Declaration checks for the parameter table, and its help text.
#include "sim/scenario/param_table.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/check.hpp"
#include "sim/scenario/json_source.hpp"

namespace dsim::scenario {

namespace {

constexpr std::size_t kHelpWidth = 100;
constexpr std::size_t kKeyColumnMax = 48;
constexpr std::size_t kDescriptionIndent = 6;
// Joins words that should not be split across lines ("Range: >= 0"); printed as a space.
constexpr char kNoBreak = '\x01';

bool is_all_digits(std::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The object pattern that holds pattern's last key, and that key (still escaped).
std::pair<std::string_view, std::string_view> split_last(std::string_view pattern) {
  const std::size_t slash = pattern.rfind('/');
  return {pattern.substr(0, slash), pattern.substr(slash + 1)};
}

std::string type_text(const ParamSpec& spec) {
  if (spec.type != ParamType::array) return std::string(to_string(spec.type));
  return fmt::format("array of {}s", to_string(spec.element_type));
}

std::string presence_text(const ParamSpec& spec) {
  switch (spec.presence) {
    case Presence::required: return "required";
    case Presence::optional: return "optional";
    case Presence::defaulted: {
      // Containers print as JSON here ({}, [1, 2]), where error messages only name their kind.
      std::string text = spec.default_value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      constexpr std::size_t kLongest = 40;
      if (text.size() > kLongest) text = text.substr(0, kLongest - 3) + "...";
      return "default " + text;
    }
  }
  return {};
}

// Greedy word wrap of text at kHelpWidth, every line indented.
void write_wrapped(std::ostream& out, std::string_view text, std::size_t indent) {
  std::string line(indent, ' ');
  bool line_has_words = false;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (!word.empty()) {
      if (line_has_words && line.size() + 1 + word.size() > kHelpWidth) {
        out << line << '\n';
        line.assign(indent, ' ');
        line_has_words = false;
      }
      if (line_has_words) line += ' ';
      const std::size_t word_start = line.size();
      line += word;
      std::replace(line.begin() + static_cast<std::ptrdiff_t>(word_start), line.end(), kNoBreak, ' ');
      line_has_words = true;
    }
    start = end + 1;
  }
  if (line_has_words) out << line << '\n';
}

}  // namespace

std::string_view to_string(ParamType type) {
  switch (type) {
    case ParamType::integer: return "integer";
    case ParamType::number: return "number";
    case ParamType::boolean: return "boolean";
    case ParamType::string: return "string";
    case ParamType::choice: return "choice";
    case ParamType::object: return "object";
    case ParamType::array: return "array";
  }
  return "?";
}

std::string describe_range(const ParamSpec& spec) {
  if (spec.min && spec.max) {
    return fmt::format("in {}{}, {}]", spec.min_exclusive ? '(' : '[', *spec.min, *spec.max);
  }
  if (spec.min) return fmt::format("{} {}", spec.min_exclusive ? ">" : ">=", *spec.min);
  if (spec.max) return fmt::format("<= {}", *spec.max);
  return {};
}

const ParamSpec& ParamBuilder::spec() const { return table_->specs_[index_]; }
ParamSpec& ParamBuilder::mutable_spec() { return table_->specs_[index_]; }

ParamBuilder& ParamBuilder::unit(std::string unit) {
  mutable_spec().unit = std::move(unit);
  return *this;
}

ParamBuilder& ParamBuilder::defaults(nlohmann::json value) {
  ParamSpec& spec = mutable_spec();
  spec.default_value = std::move(value);
  spec.presence = Presence::defaulted;
  return *this;
}

ParamBuilder& ParamBuilder::required() {
  ParamSpec& spec = mutable_spec();
  spec.presence = Presence::required;
  spec.default_value = nullptr;
  return *this;
}

ParamBuilder& ParamBuilder::optional() {
  ParamSpec& spec = mutable_spec();
  spec.presence = Presence::optional;
  spec.default_value = nullptr;
  return *this;
}

void ParamBuilder::check_numeric() const {
  const ParamSpec& spec = this->spec();
  const bool numeric = spec.type == ParamType::integer || spec.type == ParamType::number ||
                       (spec.type == ParamType::array &&
                        (spec.element_type == ParamType::integer || spec.element_type == ParamType::number));
  DSIM_CHECK(numeric, "{}: a range needs a numeric parameter", spec.pattern);
}

ParamBuilder& ParamBuilder::at_least(double min) {
  check_numeric();
  mutable_spec().min = min;
  mutable_spec().min_exclusive = false;
  return *this;
}

ParamBuilder& ParamBuilder::greater_than(double min) {
  at_least(min);
  mutable_spec().min_exclusive = true;
  return *this;
}

ParamBuilder& ParamBuilder::positive() { return greater_than(0.0); }
ParamBuilder& ParamBuilder::non_negative() { return at_least(0.0); }

ParamBuilder& ParamBuilder::at_most(double max) {
  check_numeric();
  mutable_spec().max = max;
  return *this;
}

ParamBuilder& ParamBuilder::in_range(double min, double max) {
  DSIM_CHECK(min <= max, "{}: empty range [{}, {}]", spec().pattern, min, max);
  at_least(min);
  return at_most(max);
}

ParamBuilder ParamTable::declare(std::string pattern, ParamType type, std::string description) {
  DSIM_CHECK(pattern.size() > 1 && pattern.front() == '/', "parameter pattern '{}' is not a JSON pointer", pattern);
  DSIM_CHECK(!index_.contains(pattern), "parameter {} is declared twice", pattern);
  const auto [parent, key] = split_last(pattern);
  DSIM_CHECK(!key.empty() && key != "*", "{}: array elements are described by the array's element type", pattern);
  DSIM_CHECK(!is_all_digits(key), "{}: an all-digit key would read as an array index", pattern);
  DSIM_CHECK(unescape_pointer_token(key).has_value(), "{}: bad '~' escape", pattern);
  // The parent must be the root, a declared object, or the elements ("/*") of a declared array of objects.
  bool parent_ok = parent.empty();
  if (!parent_ok && parent.ends_with("/*")) {
    const ParamSpec* array = find(parent.substr(0, parent.size() - 2));
    parent_ok = array != nullptr && array->type == ParamType::array && array->element_type == ParamType::object;
  } else if (!parent_ok) {
    const ParamSpec* object = find(parent);
    parent_ok = object != nullptr && object->type == ParamType::object;
  }
  DSIM_CHECK(parent_ok, "{}: its parent {} is not a declared object or array of objects", pattern, parent);

  children_[std::string(parent)].push_back(*unescape_pointer_token(key));
  index_.emplace(pattern, specs_.size());
  ParamSpec spec;
  spec.pattern = std::move(pattern);
  spec.type = type;
  spec.description = std::move(description);
  specs_.push_back(std::move(spec));
  return ParamBuilder(*this, specs_.size() - 1);
}

ParamBuilder ParamTable::integer(std::string pattern, std::string description) {
  return declare(std::move(pattern), ParamType::integer, std::move(description));
}

ParamBuilder ParamTable::number(std::string pattern, std::string description) {
  return declare(std::move(pattern), ParamType::number, std::move(description));
}

ParamBuilder ParamTable::boolean(std::string pattern, std::string description) {
  return declare(std::move(pattern), ParamType::boolean, std::move(description));
}

ParamBuilder ParamTable::string(std::string pattern, std::string description) {
  return declare(std::move(pattern), ParamType::string, std::move(description));
}

ParamBuilder ParamTable::choice(std::string pattern, std::vector<std::string> choices, std::string description) {
  DSIM_CHECK(!choices.empty(), "{}: a choice needs at least one value", pattern);
  ParamBuilder builder = declare(std::move(pattern), ParamType::choice, std::move(description));
  specs_.back().choices = std::move(choices);
  return builder;
}

ParamBuilder ParamTable::object(std::string pattern, std::string description) {
  ParamBuilder builder = declare(std::move(pattern), ParamType::object, std::move(description));
  return builder.defaults(nlohmann::json::object());
}

ParamBuilder ParamTable::array(std::string pattern, ParamType element_type, std::string description) {
  DSIM_CHECK(element_type != ParamType::array && element_type != ParamType::choice,
             "{}: arrays hold objects, strings, integers, numbers or booleans", pattern);
  ParamBuilder builder = declare(std::move(pattern), ParamType::array, std::move(description));
  specs_.back().element_type = element_type;
  return builder.defaults(nlohmann::json::array());
}

const ParamSpec* ParamTable::find(std::string_view pattern) const {
  const auto found = index_.find(pattern);
  return found == index_.end() ? nullptr : &specs_[found->second];
}

std::vector<std::string> ParamTable::child_keys(std::string_view object_pattern) const {
  return children(object_pattern);
}

const std::vector<std::string>& ParamTable::children(std::string_view object_pattern) const {
  static const std::vector<std::string> kNone;
  const auto found = children_.find(object_pattern);
  return found == children_.end() ? kNone : found->second;
}

std::string ParamTable::pattern_of(std::string_view pointer) {
  std::string pattern;
  for (const std::string_view token : split_pointer(pointer)) {
    pattern += '/';
    pattern += is_all_digits(token) ? std::string_view("*") : token;
  }
  return pattern;
}

void ParamTable::write_help(std::ostream& out) const {
  // Columns: key, type, unit, then the default (or required/optional). Keys longer than the key column sit alone
  // on their line so the other columns stay aligned.
  std::size_t key_width = 0;
  std::size_t type_width = 0;
  std::size_t unit_width = 0;
  for (const ParamSpec& spec : specs_) {
    if (spec.pattern.size() <= kKeyColumnMax) key_width = std::max(key_width, spec.pattern.size());
    type_width = std::max(type_width, type_text(spec).size());
    unit_width = std::max(unit_width, spec.unit.size());
  }

  // Sections are the top-level objects and arrays in order of first declaration, with the top-level scalars
  // gathered in one section of their own; inside a section, declaration order.
  const auto section_of = [this](const ParamSpec& spec) {
    const std::string top(split_pointer(spec.pattern).front());
    const ParamSpec* top_spec = find("/" + top);
    const bool container = top_spec->type == ParamType::object || top_spec->type == ParamType::array;
    return container ? top : std::string("top level");
  };
  std::vector<std::string> sections;
  for (const ParamSpec& spec : specs_) {
    const std::string section = section_of(spec);
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) sections.push_back(section);
  }

  write_wrapped(out,
                "Scenario parameters. Keys are JSON pointers into the scenario file; '*' stands for any array index. "
                "Any object may also hold a \"comment\" string, which dsim ignores.",
                0);
  for (const std::string& section : sections) {
    out << '\n' << section << '\n';
    for (const ParamSpec& spec : specs_) {
      if (section_of(spec) != section) continue;
      std::string line = "  " + spec.pattern;
      if (spec.pattern.size() > key_width) {
        out << line << '\n';
        line.clear();
      }
      line.resize(2 + key_width, ' ');
      line +=
          fmt::format("  {:<{}}  {:<{}}  {}", type_text(spec), type_width, spec.unit, unit_width, presence_text(spec));
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << '\n';

      std::string description = spec.description;
      const std::string range_text = describe_range(spec);
      if (std::string_view range = range_text; !range.empty()) {
        if (range.starts_with("in ")) range.remove_prefix(3);  // help reads "Range: [0, 1]."
        description += fmt::format(" Range: {}.", range);
        std::replace(description.end() - static_cast<std::ptrdiff_t>(range.size()) - 8, description.end(), ' ',
                     kNoBreak);
      }
      if (!spec.choices.empty()) {
        description += fmt::format(" One{}of:{}{}.", kNoBreak, kNoBreak, fmt::join(spec.choices, ", "));
      }
      write_wrapped(out, description, kDescriptionIndent);
    }
  }
}

}  // namespace dsim::scenario
