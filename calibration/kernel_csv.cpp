// SPDX-License-Identifier: Apache-2.0
// Each row becomes the same JSON object a table entry is, so the CSV and JSON forms share one set of checks.
#include "calibration/kernel_csv.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calibration/kernel_json.hpp"
#include "sim/core/errors.hpp"

namespace dsim::calibration {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 17> columns = {"kind",   "dtype",  "groups",   "m",      "n",       "k",
                                                      "batch",  "heads",  "kv_heads", "q_len",  "kv_len",  "qk_dim",
                                                      "v_dim",  "causal", "bytes",    "time_us", "method"};

// One line's cells (RFC 4180 within a line: a cell in double quotes may hold commas, and "" is a quote), trimmed of
// spaces outside quotes. Throws on a quote left open.
std::vector<std::string> split(const std::string& line, const std::string& source, std::size_t line_number) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  bool was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"' && std::all_of(cells.back().begin(), cells.back().end(), [](char x) { return x == ' '; })) {
      cells.back().clear();
      quoted = was_quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
      was_quoted = false;
    } else if (c != '\r' && !(was_quoted && c == ' ')) {
      cells.back() += c;
    }
  }
  if (quoted) throw InputError(source, fmt::format("line {}", line_number), "a quoted cell is not closed");
  for (auto& s : cells) {
    const auto first = s.find_first_not_of(" \t");
    s = first == std::string::npos ? "" : s.substr(first, s.find_last_not_of(" \t") - first + 1);
  }
  return cells;
}

// A cell as the JSON value its column holds: text for kind, dtype and method, a boolean for causal, a number
// otherwise (decimal only: no hex, no inf or nan).
json cell_value(std::string_view column, const std::string& cell, const std::string& source,
                const std::string& where) {
  if (column == "kind" || column == "dtype" || column == "method") return cell;
  if (column == "causal") {
    if (cell == "true" || cell == "1") return true;
    if (cell == "false" || cell == "0") return false;
    throw InputError(source, where, fmt::format("causal must be true, false, 1 or 0, not '{}'", cell));
  }
  const char* end = cell.data() + cell.size();
  if (column != "time_us") {
    std::int64_t v = 0;
    const auto [at, ec] = std::from_chars(cell.data(), end, v);
    if (ec != std::errc() || at != end) {
      throw InputError(source, where, fmt::format("{} must be an integer, not '{}'", column, cell));
    }
    return v;
  }
  double v = 0.0;
  const auto [at, ec] = std::from_chars(cell.data(), end, v, std::chars_format::general);
  if (ec != std::errc() || at != end || !std::isfinite(v)) {
    throw InputError(source, where, fmt::format("time_us must be a number, not '{}'", cell));
  }
  return v;
}

}  // namespace

std::vector<models::compute::MeasuredKernel> read_kernel_csv(std::istream& in, const std::string& source) {
  std::string line;
  std::size_t line_number = 0;
  std::vector<std::string> header;
  std::size_t header_line = 0;
  while (header.empty() && std::getline(in, line)) {
    ++line_number;
    if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // a UTF-8 byte order mark
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    header = split(line, source, line_number);
    header_line = line_number;
  }
  if (header.empty()) throw InputError(source, "", "no header line (kind,dtype,...,time_us)");
  std::map<std::string, std::size_t> seen;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string where = fmt::format("line {}, column {}", header_line, c + 1);
    if (header[c].empty()) throw InputError(source, where, "a column without a name (a trailing comma?)");
    if (std::find(columns.begin(), columns.end(), header[c]) == columns.end()) {
      throw InputError(source, where, fmt::format("unknown column '{}'", header[c]));
    }
    if (!seen.emplace(header[c], c).second) {
      throw InputError(source, where, fmt::format("column '{}' twice", header[c]));
    }
  }
  for (const char* required : {"kind", "time_us"}) {
    if (!seen.contains(required)) {
      throw InputError(source, fmt::format("line {}", header_line), fmt::format("no '{}' column", required));
    }
  }
  std::vector<models::compute::MeasuredKernel> out;
  std::map<KernelShape, std::size_t> rows;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto cells = split(line, source, line_number);
    const std::string row = fmt::format("line {}", line_number);
    if (cells.size() != header.size()) {
      throw InputError(source, row, fmt::format("{} cells, but the header has {}", cells.size(), header.size()));
    }
    json entry = json::object();
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (cells[c].empty()) continue;
      entry[header[c]] = cell_value(header[c], cells[c], source, fmt::format("{}, column {}", row, header[c]));
    }
    models::compute::MeasuredKernel m;
    // The row's checks are a JSON entry's; a row's place is its line, a field's its column.
    m.shape = read_shape(entry, source, row);
    m.time = units::us(read_positive(entry, "time_us", source, row));
    check_entry_keys(entry, m.shape, {"time_us", "method"}, source, row);
    if (entry.contains("method")) m.method = entry["method"].get<std::string>();
    const auto [it, fresh] = rows.emplace(m.shape, line_number);
    if (!fresh) {
      throw InputError(source, row,
                       fmt::format("{} is measured twice (first on line {})", describe(m.shape), it->second));
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace dsim::calibration
