// SPDX-License-Identifier: Apache-2.0
// --set /json/pointer=VALUE: walks the pointer (RFC 6901), creating missing objects, and replaces the value there.
#include "sim/scenario/set_override.hpp"

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/core/errors.hpp"

namespace dsim::scenario {

using nlohmann::json;

namespace {

constexpr const char* kSource = "--set";

// The index an array token names, if it is one: decimal digits without a leading zero, as RFC 6901 requires.
std::optional<std::size_t> array_index(const std::string& token) {
  if (token.empty() || token.size() > 18) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  std::size_t index = 0;
  for (const char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return index;
}

// VALUE as JSON when it is JSON, else as the plain string it is.
json parse_value(std::string_view text, const std::string& pointer) {
  JsonParseResult parsed = parse_json_strict(text);
  if (parsed.value) return std::move(*parsed.value);
  if (parsed.duplicate_key) {
    throw InputError(kSource, pointer, fmt::format("the value repeats a key at {}: {}", parsed.where, parsed.message));
  }
  json plain = std::string(text);
  try {
    (void)plain.dump();
  } catch (const json::type_error&) {
    throw InputError(kSource, pointer, "the value is not valid UTF-8 text");
  }
  return plain;
}

}  // namespace

void apply_set_override(SourcedJson& scenario, std::string_view assignment) {
  const std::size_t equals = assignment.find('=');
  const std::string pointer(assignment.substr(0, equals));
  if (equals == std::string_view::npos) {
    throw InputError(kSource, pointer, "expected /json/pointer=value, as in --set /cluster/nodes=4");
  }
  if (pointer.empty() || pointer.front() != '/') {
    throw InputError(kSource, pointer, "a JSON pointer starts with '/', as in --set /cluster/nodes=4");
  }
  std::vector<std::string> tokens;
  for (const std::string_view raw : split_pointer(pointer)) {
    std::optional<std::string> token = unescape_pointer_token(raw);
    if (!token) {
      throw InputError(kSource, pointer,
                       fmt::format("bad escape in '{}': write ~0 for '~' and ~1 for '/' in a key", raw));
    }
    tokens.push_back(std::move(*token));
  }
  json value = parse_value(assignment.substr(equals + 1), pointer);

  // Walk to the parent of the last token; `walked` is the canonical pointer of `node`.
  json* node = &scenario.doc;
  std::string walked;
  std::optional<std::string> first_created;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    const bool last = i + 1 == tokens.size();
    const std::string child = append_pointer(walked, token);
    if (node->is_object()) {
      if (last) {
        (*node)[token] = std::move(value);
      } else if (!node->contains(token)) {
        (*node)[token] = json::object();
        if (!first_created) first_created = child;
      }
    } else if (node->is_array()) {
      const std::optional<std::size_t> index = array_index(token);
      if (!index) {
        throw InputError(kSource, pointer,
                         fmt::format("'{}' is not an array index; {} is an array, so write a number from 0 to {}",
                                     token, walked, node->size() == 0 ? 0 : node->size() - 1));
      }
      if (*index >= node->size()) {
        throw InputError(kSource, pointer,
                         fmt::format("index {} is past the end of {}, which has {} element{}; --set can only "
                                     "replace existing elements (set the whole array instead)",
                                     *index, walked, node->size(), node->size() == 1 ? "" : "s"));
      }
      if (last) (*node)[*index] = std::move(value);
    } else {
      throw InputError(kSource, pointer,
                       fmt::format("{} holds {}, not an object or array, so it has no '{}'; set {} itself instead",
                                   walked, describe_json_value(*node), token, walked));
    }
    if (last) break;
    node = node->is_object() ? &(*node)[token] : &(*node)[*array_index(token)];
    walked = child;
  }
  // Created objects belong to --set as well: an error about them must not blame the scenario file.
  scenario.origins.assign(first_created.value_or(append_pointer(walked, tokens.back())), kSource);
}

}  // namespace dsim::scenario
