// SPDX-License-Identifier: Apache-2.0
// Strict JSON parsing, scenario files with includes, and the origin of every value.
#include "sim/scenario/json_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/errors.hpp"

namespace dsim::scenario {

using nlohmann::json;

namespace {

// Builds the document from nlohmann's SAX events, which (unlike json::parse) lets us see a repeated key before it
// silently replaces the first, and hands us the byte position of every parse error.
class StrictDomBuilder {
 public:
  bool null() { return add(json(nullptr)) != nullptr; }
  bool boolean(bool value) { return add(json(value)) != nullptr; }
  bool number_integer(json::number_integer_t value) { return add(json(value)) != nullptr; }
  bool number_unsigned(json::number_unsigned_t value) { return add(json(value)) != nullptr; }
  bool number_float(json::number_float_t value, const json::string_t& /*text*/) { return add(json(value)) != nullptr; }
  bool string(json::string_t& value) { return add(json(std::move(value))) != nullptr; }
  bool binary(json::binary_t& value) { return add(json::binary(std::move(value))) != nullptr; }

  bool start_object(std::size_t /*elements*/) { return open(json::object()); }
  bool start_array(std::size_t /*elements*/) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& name) {
    if (stack_.back().node->contains(name)) {
      duplicate_pointer_ = append_pointer(stack_.back().pointer, name);
      duplicate_key_ = name;
      return false;
    }
    pending_key_ = std::move(name);
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/, const json::exception& error) {
    error_position_ = position;
    error_text_ = error.what();
    return false;
  }

  json& root() { return root_; }
  const std::string& duplicate_pointer() const { return duplicate_pointer_; }
  const std::string& duplicate_key() const { return duplicate_key_; }
  std::size_t error_position() const { return error_position_; }
  const std::string& error_text() const { return error_text_; }

 private:
  struct Frame {
    json* node;
    std::string pointer;
  };

  // Places value where the parser stands and returns it, with its pointer in *pointer when asked.
  json* add(json value, std::string* pointer = nullptr) {
    if (stack_.empty()) {
      root_ = std::move(value);
      if (pointer != nullptr) pointer->clear();
      return &root_;
    }
    Frame& parent = stack_.back();
    if (parent.node->is_array()) {
      if (pointer != nullptr) *pointer = append_pointer(parent.pointer, std::to_string(parent.node->size()));
      parent.node->push_back(std::move(value));
      return &parent.node->back();
    }
    if (pointer != nullptr) *pointer = append_pointer(parent.pointer, pending_key_);
    json& slot = (*parent.node)[pending_key_];
    slot = std::move(value);
    return &slot;
  }

  // Frames point into their parents; that is safe because a parent only grows while its child is closed.
  bool open(json container) {
    std::string pointer;
    json* node = add(std::move(container), &pointer);
    stack_.push_back(Frame{node, std::move(pointer)});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  json root_;
  std::vector<Frame> stack_;
  std::string pending_key_;
  std::string duplicate_pointer_;
  std::string duplicate_key_;
  std::size_t error_position_ = 0;
  std::string error_text_;
};

// "line L, column C" of a byte position as nlohmann counts it: the position counts the characters read, including
// the offending one (and one past the end at end of input), so the column is 1-based.
std::string line_and_column(std::string_view text, std::size_t position) {
  const std::size_t read = std::min(position, text.size());
  const std::size_t line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + read, '\n'));
  const std::size_t last_newline = text.substr(0, read).rfind('\n');
  const std::size_t line_start = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  const std::size_t column = std::max<std::size_t>(1, position - line_start);
  return fmt::format("line {}, column {}", line, column);
}

// nlohmann's what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ...";
// we keep only the part after the position, since the position is reported in `where`.
std::string short_parse_message(const std::string& what) {
  std::string_view text = what;
  if (const std::size_t tag_end = text.find("] "); text.starts_with("[json.exception") && tag_end != text.npos) {
    text.remove_prefix(tag_end + 2);
  }
  if (text.starts_with("parse error")) {
    if (const std::size_t colon = text.find(": "); colon != text.npos) text.remove_prefix(colon + 2);
  }
  std::string message(text);
  if (!message.empty() && message[0] >= 'A' && message[0] <= 'Z') {
    message[0] = static_cast<char>(message[0] - 'A' + 'a');
  }
  return message;
}

// The whole file, or the reason it could not be read, as the system words it.
std::optional<std::string> read_text(const std::filesystem::path& file, std::string& reason) {
  std::FILE* stream = std::fopen(file.c_str(), "rb");
  if (stream == nullptr) {
    reason = std::error_code(errno, std::generic_category()).message();
    return std::nullopt;
  }
  std::string text;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, stream)) > 0) text.append(buffer, got);
  const bool failed = std::ferror(stream) != 0;
  const int error = errno;
  std::fclose(stream);
  if (failed) {
    reason = std::error_code(error, std::generic_category()).message();
    return std::nullopt;
  }
  return text;
}

// Parses text as one scenario source: strict JSON whose top level is an object.
json parse_scenario_object(std::string_view text, const std::string& source) {
  JsonParseResult parsed = parse_json_strict(text);
  if (!parsed.value) throw InputError(source, parsed.where, parsed.message);
  if (!parsed.value->is_object()) {
    throw InputError(
        source, "", fmt::format("expected a JSON object at the top level, got {}", describe_json_value(*parsed.value)));
  }
  return std::move(*parsed.value);
}

// Objects merge key by key; anything else in src replaces what dst holds, taking its origins along.
void merge_into(json& dst, OriginMap& dst_origins, json&& src, const OriginMap& src_origins,
                const std::string& pointer) {
  for (auto item = src.begin(); item != src.end(); ++item) {
    const std::string child = append_pointer(pointer, item.key());
    const auto existing = dst.find(item.key());
    if (existing != dst.end() && existing->is_object() && item->is_object()) {
      merge_into(*existing, dst_origins, std::move(*item), src_origins, child);
    } else {
      dst[item.key()] = std::move(*item);
      dst_origins.adopt(child, src_origins);
    }
  }
}

struct ChainLink {
  std::filesystem::path canonical;
  std::string display;
};

// The include names of doc's "include" key (removed from doc), each with the pointer that names it.
std::vector<std::pair<std::string, std::string>> take_includes(json& doc, const std::string& source) {
  std::vector<std::pair<std::string, std::string>> includes;
  const auto found = doc.find("include");
  if (found == doc.end()) return includes;
  const auto check_name = [&](const json& name, const std::string& where) {
    if (!name.is_string() || name.get_ref<const std::string&>().empty()) {
      throw InputError(source, where, fmt::format("expected a file name, got {}", describe_json_value(name)));
    }
    includes.emplace_back(name.get<std::string>(), where);
  };
  if (found->is_string()) {
    check_name(*found, "/include");
  } else if (found->is_array()) {
    for (std::size_t i = 0; i < found->size(); ++i) check_name((*found)[i], fmt::format("/include/{}", i));
  } else {
    throw InputError(
        source, "/include",
        fmt::format("expected a file name or an array of file names, got {}", describe_json_value(*found)));
  }
  doc.erase(found);
  return includes;
}

SourcedJson load_file(const std::filesystem::path& file, std::vector<ChainLink>& chain) {
  const std::string display = file.string();
  std::string reason;
  const std::optional<std::string> text = read_text(file, reason);
  if (!text) throw InputError(display, "", "cannot read file: " + reason);
  json own = parse_scenario_object(*text, display);

  std::error_code error;
  std::filesystem::path canonical = std::filesystem::canonical(file, error);
  if (error) canonical = std::filesystem::absolute(file).lexically_normal();
  chain.push_back(ChainLink{canonical, display});

  SourcedJson merged;
  merged.origins.assign("", display);
  for (const auto& [name, where] : take_includes(own, display)) {
    const std::filesystem::path included = file.parent_path() / name;
    const std::filesystem::path included_canonical = std::filesystem::canonical(included, error);
    if (error) {
      throw InputError(display, where,
                       fmt::format("cannot read included file '{}': {}", included.string(), error.message()));
    }
    const auto seen = std::find_if(chain.begin(), chain.end(),
                                   [&](const ChainLink& link) { return link.canonical == included_canonical; });
    if (seen != chain.end()) {
      std::string cycle;
      for (auto link = seen; link != chain.end(); ++link) cycle += link->display + " -> ";
      throw InputError(display, where, "include cycle: " + cycle + included.string());
    }
    SourcedJson part = load_file(included, chain);
    merge_into(merged.doc, merged.origins, std::move(part.doc), part.origins, "");
  }
  // The including file's own keys win over everything it includes.
  OriginMap own_origins;
  own_origins.assign("", display);
  merge_into(merged.doc, merged.origins, std::move(own), own_origins, "");
  chain.pop_back();
  return merged;
}

}  // namespace

std::string OriginMap::source_of(std::string_view pointer) const {
  while (true) {
    if (const auto found = entries_.find(pointer); found != entries_.end()) return found->second;
    if (pointer.empty()) return {};
    pointer = pointer.substr(0, pointer.rfind('/'));
  }
}

void OriginMap::erase_subtree(std::string_view pointer) {
  // Entries at or below pointer all start with it, and so sort in the run of keys that do; siblings sharing the
  // prefix ("/ab" for "/a") fall in that run too and are kept.
  auto entry = entries_.lower_bound(pointer);
  while (entry != entries_.end()) {
    const std::string_view key = entry->first;
    if (!key.starts_with(pointer)) break;
    if (key.size() == pointer.size() || key[pointer.size()] == '/') {
      entry = entries_.erase(entry);
    } else {
      ++entry;
    }
  }
}

void OriginMap::assign(std::string_view pointer, std::string source) {
  erase_subtree(pointer);
  entries_.emplace(std::string(pointer), std::move(source));
}

void OriginMap::adopt(std::string_view pointer, const OriginMap& from) {
  erase_subtree(pointer);
  entries_.emplace(std::string(pointer), from.source_of(pointer));
  for (auto entry = from.entries_.upper_bound(pointer); entry != from.entries_.end(); ++entry) {
    const std::string_view key = entry->first;
    if (!key.starts_with(pointer)) break;
    if (key[pointer.size()] == '/') entries_.insert(*entry);
  }
}

SourcedJson load_scenario_file(const std::filesystem::path& file) {
  std::vector<ChainLink> chain;
  return load_file(file, chain);
}

SourcedJson parse_scenario_text(std::string_view text, const std::string& source) {
  SourcedJson result;
  result.doc = parse_scenario_object(text, source);
  if (result.doc.contains("include")) {
    throw InputError(source, "/include", "includes are only allowed in scenario files, which give them a folder");
  }
  result.origins.assign("", source);
  return result;
}

JsonParseResult parse_json_strict(std::string_view text) {
  StrictDomBuilder builder;
  const bool ok = json::sax_parse(text.data(), text.data() + text.size(), &builder, json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  JsonParseResult result;
  if (ok) {
    result.value = std::move(builder.root());
  } else if (!builder.duplicate_pointer().empty()) {
    result.where = builder.duplicate_pointer();
    result.duplicate_key = true;
    result.message = fmt::format("duplicate key '{}'; a key may appear once per object", builder.duplicate_key());
  } else {
    DSIM_CHECK(!builder.error_text().empty(), "the JSON parser stopped without saying why");
    result.where = line_and_column(text, builder.error_position());
    result.message = short_parse_message(builder.error_text());
  }
  return result;
}

std::string describe_json_value(const nlohmann::json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  // Replace rather than throw on invalid UTF-8: a --set string is not checked by any parser.
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  constexpr std::size_t kLongest = 40;
  if (text.size() > kLongest) text = text.substr(0, kLongest - 3) + "...";
  return text;
}

std::string escape_pointer_token(std::string_view token) {
  std::string escaped;
  escaped.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::optional<std::string> unescape_pointer_token(std::string_view token) {
  std::string plain;
  plain.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '~') {
      plain += token[i];
    } else if (i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      plain += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      return std::nullopt;
    }
  }
  return plain;
}

std::string append_pointer(std::string_view pointer, std::string_view key) {
  std::string out(pointer);
  out += '/';
  out += escape_pointer_token(key);
  return out;
}

std::vector<std::string_view> split_pointer(std::string_view pointer) {
  std::vector<std::string_view> tokens;
  if (pointer.empty()) return tokens;
  DSIM_CHECK(pointer.front() == '/', "'{}' is not a JSON pointer", pointer);
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = pointer.find('/', start);
    tokens.push_back(pointer.substr(start, slash == pointer.npos ? pointer.npos : slash - start));
    if (slash == pointer.npos) break;
    start = slash + 1;
  }
  return tokens;
}

}  // namespace dsim::scenario
