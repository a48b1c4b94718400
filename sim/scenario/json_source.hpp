// SPDX-License-Identifier: Apache-2.0
// Loading scenario JSON: strict parsing (positions and duplicate keys reported), includes deep-merged in order, and
// an OriginMap that remembers which file (or "--set") gave each value, so every error can name its source.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dsim::scenario {

// Which source gave the value at each JSON pointer. Only the roots of subtrees are recorded; a pointer with no
// record of its own belongs to its deepest recorded prefix.
class OriginMap {
 public:
  // The source of the longest recorded prefix of pointer, component-wise ("/a/b" is a prefix of "/a/b/c", not of
  // "/a/bc"); empty when nothing is recorded, not even the root "".
  std::string source_of(std::string_view pointer) const;

  // The whole subtree at pointer now comes from source: records below it are dropped.
  void assign(std::string_view pointer, std::string source);

  // The subtree at pointer now comes from wherever `from` says: records below it are dropped, from's records at
  // and below pointer are copied, and pointer itself is recorded as from.source_of(pointer).
  void adopt(std::string_view pointer, const OriginMap& from);

  const std::map<std::string, std::string, std::less<>>& entries() const { return entries_; }

 private:
  void erase_subtree(std::string_view pointer);

  std::map<std::string, std::string, std::less<>> entries_;
};

struct SourcedJson {
  nlohmann::json doc = nlohmann::json::object();
  OriginMap origins;
};

// Reads, parses and merges a scenario file and its includes. Errors are InputErrors whose source is the file's
// display name (the path as given, or as joined onto the including file's folder; never made absolute).
SourcedJson load_scenario_file(const std::filesystem::path& file);

// Parses scenario text held in memory (tests, stdin); source names it in errors. It has no folder, so an "include"
// key is an error here.
SourcedJson parse_scenario_text(std::string_view text, const std::string& source);

// Strict JSON parsing shared by the loader and --set.
struct JsonParseResult {
  std::optional<nlohmann::json> value;  // set on success
  std::string where;                    // on failure: "line L, column C", or the pointer of a duplicate key
  std::string message;                  // on failure: short and lower-case
  bool duplicate_key = false;           // on failure: the text is JSON but repeats a key in one object
};
JsonParseResult parse_json_strict(std::string_view text);

// A JSON value as error messages quote it: scalars as JSON text (long strings cut short), containers by kind
// ("an object", "an array").
std::string describe_json_value(const nlohmann::json& value);

// RFC 6901 pointer tokens: '~' is written ~0 and '/' is written ~1.
std::string escape_pointer_token(std::string_view token);
// The unescaped token, or nullopt when it holds a '~' not followed by 0 or 1.
std::optional<std::string> unescape_pointer_token(std::string_view token);
// pointer + "/" + escaped key.
std::string append_pointer(std::string_view pointer, std::string_view key);
// The raw (still escaped) tokens of a pointer that starts with '/'; "" gives none, "/" gives one empty token.
std::vector<std::string_view> split_pointer(std::string_view pointer);

}  // namespace dsim::scenario
