// SPDX-License-Identifier: Apache-2.0
// Recorded routing (format in router.hpp): reading a file, checking every value against the router spec (naming
// the JSON pointer of the first value that does not fit), and replaying it.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "models/collectives/moe/router.hpp"
#include "sim/core/errors.hpp"

namespace dsim::models::collectives::moe {
namespace {

using nlohmann::json;

std::string read_text(const std::filesystem::path& file, const std::string& source) {
  std::FILE* stream = std::fopen(file.c_str(), "rb");
  if (stream == nullptr) {
    throw InputError(source, "", fmt::format("cannot open the routing file: {}",
                                             std::error_code(errno, std::generic_category()).message()));
  }
  std::string text;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, stream)) > 0) text.append(buffer, got);
  const bool failed = std::ferror(stream) != 0;
  std::fclose(stream);
  if (failed) throw InputError(source, "", "cannot read the routing file");
  return text;
}

// "line L, column C" of nlohmann's error position, which counts the bytes read including the offending one.
std::string line_and_column(std::string_view text, std::size_t position) {
  const std::size_t read = std::min(position, text.size());
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(read), '\n');
  const std::size_t last_newline = text.substr(0, read).rfind('\n');
  const std::size_t line_start = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  return fmt::format("line {}, column {}", line, std::max<std::size_t>(1, position - line_start));
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." without the tag
// and the position, which the caller reports on its own.
std::string short_parse_message(std::string_view what) {
  if (const std::size_t colon = what.find(": "); what.starts_with("[json.exception") && colon != what.npos) {
    what.remove_prefix(colon + 2);
  }
  return std::string(what);
}

std::string describe(const json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

// RFC 6901: '~' is written ~0 and '/' is written ~1.
std::string pointer_token(std::string_view key) {
  std::string out;
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

class Checker {
 public:
  explicit Checker(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& message) const {
    throw InputError(source_, where, message);
  }

  // An object holding exactly the keys named, all of them.
  void keys(const json& value, const std::string& where, std::initializer_list<std::string_view> names) const {
    if (!value.is_object()) fail(where, fmt::format("expected an object, got {}", describe(value)));
    for (auto item = value.begin(); item != value.end(); ++item) {
      if (std::find(names.begin(), names.end(), item.key()) == names.end()) {
        fail(where + "/" + pointer_token(item.key()),
             fmt::format("unknown key '{}'; expected {}", item.key(), fmt::join(names, ", ")));
      }
    }
    for (const std::string_view name : names) {
      if (!value.contains(name)) fail(where, fmt::format("missing key '{}'", name));
    }
  }

  int integer(const json& value, const std::string& where, int min, int max) const {
    std::optional<long long> number;
    if (value.is_number_unsigned()) {
      number = static_cast<long long>(std::min<std::uint64_t>(value.get<std::uint64_t>(), 1ull << 62));
    } else if (value.is_number_integer()) {
      number = value.get<std::int64_t>();
    }
    if (!number) fail(where, fmt::format("expected an integer, got {}", describe(value)));
    if (*number < min || *number > max) fail(where, fmt::format("{} is out of range [{}, {}]", *number, min, max));
    return static_cast<int>(*number);
  }

  const json& array(const json& value, const std::string& where) const {
    if (!value.is_array()) fail(where, fmt::format("expected an array, got {}", describe(value)));
    return value;
  }

 private:
  std::string source_;
};

}  // namespace

RecordedRouting read_routing_file(const std::filesystem::path& file, int experts, int top_k) {
  const std::string source = file.string();
  const std::string text = read_text(file, source);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& error) {
    throw InputError(source, line_and_column(text, error.byte), short_parse_message(error.what()));
  }
  const Checker check(source);
  check.keys(doc, "", {"experts", "top_k", "ranks"});

  RecordedRouting routing;
  routing.experts = check.integer(doc["experts"], "/experts", 1, std::numeric_limits<int>::max());
  if (routing.experts != experts) {
    check.fail("/experts", fmt::format("the file has {} experts, but the router has {}", routing.experts, experts));
  }
  routing.top_k = check.integer(doc["top_k"], "/top_k", 1, std::numeric_limits<int>::max());
  if (routing.top_k != top_k) {
    check.fail("/top_k", fmt::format("the file has top_k {}, but the router has {}", routing.top_k, top_k));
  }

  const json& ranks = check.array(doc["ranks"], "/ranks");
  // stamp[e] == token number + 1 while expert e is seen in the current token: no clearing per token.
  std::vector<std::uint64_t> stamp(static_cast<std::size_t>(experts), 0);
  std::vector<int> where_in_token(static_cast<std::size_t>(experts), 0);
  std::uint64_t token_number = 0;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const std::string at = fmt::format("/ranks/{}", i);
    check.keys(ranks[i], at, {"rank", "tokens"});
    RecordedRank rank;
    rank.rank = check.integer(ranks[i]["rank"], at + "/rank", 0, std::numeric_limits<int>::max());
    rank.position = static_cast<int>(i);
    const json& tokens = check.array(ranks[i]["tokens"], at + "/tokens");
    rank.tokens = static_cast<int>(tokens.size());
    rank.experts.reserve(tokens.size() * static_cast<std::size_t>(top_k));
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      const std::string token_at = fmt::format("{}/tokens/{}", at, t);
      const json& token = check.array(tokens[t], token_at);
      if (token.size() != static_cast<std::size_t>(top_k)) {
        check.fail(token_at, fmt::format("expected top_k = {} experts, got {}", top_k, token.size()));
      }
      ++token_number;
      for (std::size_t j = 0; j < token.size(); ++j) {
        const std::string expert_at = fmt::format("{}/{}", token_at, j);
        const int e = check.integer(token[j], expert_at, 0, experts - 1);
        const auto slot = static_cast<std::size_t>(e);
        if (stamp[slot] == token_number) {
          check.fail(expert_at, fmt::format("expert {} appears twice in this token (also at {}/{})", e, token_at,
                                            where_in_token[slot]));
        }
        stamp[slot] = token_number;
        where_in_token[slot] = static_cast<int>(j);
        rank.experts.push_back(static_cast<std::uint16_t>(e));
      }
    }
    routing.ranks.push_back(std::move(rank));
  }
  std::stable_sort(routing.ranks.begin(), routing.ranks.end(),
                   [](const RecordedRank& a, const RecordedRank& b) { return a.rank < b.rank; });
  for (std::size_t i = 1; i < routing.ranks.size(); ++i) {
    if (routing.ranks[i].rank == routing.ranks[i - 1].rank) {
      check.fail(fmt::format("/ranks/{}/rank", routing.ranks[i].position),
                 fmt::format("rank {} is listed twice (first at /ranks/{})", routing.ranks[i].rank,
                             routing.ranks[i - 1].position));
    }
  }
  return routing;
}

std::vector<std::uint16_t> Router::route_file(int rank, int tokens) const {
  const auto found = std::lower_bound(recorded_.ranks.begin(), recorded_.ranks.end(), rank,
                                      [](const RecordedRank& r, int value) { return r.rank < value; });
  if (found == recorded_.ranks.end() || found->rank != rank) {
    std::string listed;
    for (std::size_t i = 0; i < recorded_.ranks.size() && i < 8; ++i) {
      listed += fmt::format("{}{}", i == 0 ? "" : ", ", recorded_.ranks[i].rank);
    }
    if (recorded_.ranks.size() > 8) listed += ", ...";
    throw InputError(spec_.file.string(), "",
                     fmt::format("no routing recorded for rank {}; the file has rank(s) {}", rank,
                                 listed.empty() ? "none" : listed));
  }
  if (found->tokens != tokens) {
    throw InputError(spec_.file.string(), fmt::format("/ranks/{}/tokens", found->position),
                     fmt::format("rank {} has {} recorded tokens, but {} were asked for", rank, found->tokens, tokens));
  }
  return found->experts;
}

}  // namespace dsim::models::collectives::moe
