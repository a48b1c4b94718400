// SPDX-License-Identifier: Apache-2.0
// The table of scenario parameters: each key declared once with its type, unit, default, range and description.
// The reader validates against it and `dsim help scenario` prints it, so the two cannot drift apart.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dsim::scenario {

enum class ParamType { integer, number, boolean, string, choice, object, array };
// required: absent is an error; defaulted: absent means default_value; optional: absent means "not given".
enum class Presence { required, defaulted, optional };

std::string_view to_string(ParamType type);

struct ParamSpec {
  // A JSON pointer in which array elements are written '*': "/workload/trace/ranks/*/ops/*/size_bytes".
  std::string pattern;
  ParamType type = ParamType::integer;
  std::string unit;
  nlohmann::json default_value;
  Presence presence = Presence::required;
  std::optional<double> min;
  bool min_exclusive = false;
  std::optional<double> max;
  std::vector<std::string> choices;
  ParamType element_type = ParamType::object;  // arrays only: object, string, integer, number or boolean
  std::string description;
};

// The allowed range as messages and help print it: "> 0", ">= 1", "<= 8", "in [0, 1]", "in (0, 1]"; empty when
// the spec has no bounds.
std::string describe_range(const ParamSpec& spec);

class ParamTable;

// Fluent refinement of the parameter just declared:
//   table.integer("/cluster/nodes", "Number of nodes.").unit("nodes").defaults(2).at_least(1);
// It refers to the table by index, so it stays valid while more parameters are declared.
class ParamBuilder {
 public:
  ParamBuilder(ParamTable& table, std::size_t index) : table_(&table), index_(index) {}

  ParamBuilder& unit(std::string unit);
  ParamBuilder& defaults(nlohmann::json value);  // presence becomes defaulted
  ParamBuilder& required();
  ParamBuilder& optional();
  ParamBuilder& at_least(double min);              // value >= min
  ParamBuilder& greater_than(double min);          // value > min
  ParamBuilder& positive();                        // value > 0
  ParamBuilder& non_negative();                    // value >= 0
  ParamBuilder& at_most(double max);               // value <= max
  ParamBuilder& in_range(double min, double max);  // min <= value <= max

  const ParamSpec& spec() const;

 private:
  ParamSpec& mutable_spec();
  void check_numeric() const;

  ParamTable* table_;
  std::size_t index_;
};

class ParamTable {
 public:
  // Scalars start out required; objects start out defaulted to {} and arrays defaulted to [].
  ParamBuilder integer(std::string pattern, std::string description);
  ParamBuilder number(std::string pattern, std::string description);
  ParamBuilder boolean(std::string pattern, std::string description);
  ParamBuilder string(std::string pattern, std::string description);
  ParamBuilder choice(std::string pattern, std::vector<std::string> choices, std::string description);
  ParamBuilder object(std::string pattern, std::string description);
  ParamBuilder array(std::string pattern, ParamType element_type, std::string description);

  // The spec declared for pattern, or nullptr.
  const ParamSpec* find(std::string_view pattern) const;
  // The keys declared directly inside the object at object_pattern, in declaration order (unescaped).
  std::vector<std::string> child_keys(std::string_view object_pattern) const;
  // The same, without a copy: the reader asks this for every object it finishes.
  const std::vector<std::string>& children(std::string_view object_pattern) const;

  // The pattern of a concrete pointer: every all-digit token becomes '*'. Exact for every declared parameter,
  // because declaring an all-digit object key is refused.
  static std::string pattern_of(std::string_view pointer);

  const std::vector<ParamSpec>& specs() const { return specs_; }

  // Every parameter for `dsim help scenario`, grouped by top-level section, in declaration order, in 100 columns.
  void write_help(std::ostream& out) const;

 private:
  friend class ParamBuilder;
  ParamBuilder declare(std::string pattern, ParamType type, std::string description);

  std::vector<ParamSpec> specs_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::map<std::string, std::vector<std::string>, std::less<>> children_;
};

}  // namespace dsim::scenario
