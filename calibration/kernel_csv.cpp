// SPDX-License-Identifier: Apache-2.0
// Each row becomes the same JSON object a table entry is, so the CSV and JSON forms share one set of checks.
#include "calibration/kernel_csv.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calibration/kernel_json.hpp"
#include "sim/core/errors.hpp"

namespace dsim::calibration {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 17> columns = {"kind",   "dtype", "groups", "m",      "n",      "k",
                                                      "batch",  "heads", "kv_heads", "q_len", "kv_len", "qk_dim",
                                                      "v_dim",  "causal", "bytes",  "time_us", "method"};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (const char c : line) {
    if (c == ',') {
      cells.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  cells.push_back(cell);
  for (auto& s : cells) {
    const auto first = s.find_first_not_of(" \t");
    s = first == std::string::npos ? "" : s.substr(first, s.find_last_not_of(" \t") - first + 1);
  }
  return cells;
}

// A cell as the JSON value its column holds: text for kind, dtype and method, a boolean for causal, a number
// otherwise.
json cell_value(std::string_view column, const std::string& cell, const std::string& source, const std::string& where) {
  if (column == "kind" || column == "dtype" || column == "method") return cell;
  if (column == "causal") {
    if (cell == "true" || cell == "1") return true;
    if (cell == "false" || cell == "0") return false;
    throw InputError(source, where, fmt::format("causal must be true, false, 1 or 0, not '{}'", cell));
  }
  if (column != "time_us") {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (ec != std::errc() || end != cell.data() + cell.size()) {
      throw InputError(source, where, fmt::format("{} must be an integer, not '{}'", column, cell));
    }
    return v;
  }
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(cell, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != cell.size() || used == 0) throw InputError(source, where, fmt::format("time_us must be a number, not '{}'", cell));
  return v;
}

}  // namespace

std::vector<models::compute::MeasuredKernel> read_kernel_csv(std::istream& in, const std::string& source) {
  std::string line;
  std::size_t line_number = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++line_number;
    if (!split(line).front().empty()) header = split(line);
  }
  if (header.empty()) throw InputError(source, "", "no header line (kind,dtype,...,time_us)");
  std::map<std::string, std::size_t> seen;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string where = fmt::format("line {}, column {}", line_number, c + 1);
    if (std::find(columns.begin(), columns.end(), header[c]) == columns.end()) {
      throw InputError(source, where, fmt::format("unknown column '{}'", header[c]));
    }
    if (!seen.emplace(header[c], c).second) throw InputError(source, where, fmt::format("column '{}' twice", header[c]));
  }
  for (const char* required : {"kind", "time_us"}) {
    if (!seen.contains(required)) throw InputError(source, "line 1", fmt::format("no '{}' column", required));
  }
  std::vector<models::compute::MeasuredKernel> out;
  std::map<KernelShape, std::size_t> rows;
  while (std::getline(in, line)) {
    ++line_number;
    const auto cells = split(line);
    if (cells.size() == 1 && cells[0].empty()) continue;
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
    if (entry.contains("method")) m.method = entry["method"].get<std::string>();
    const auto [it, fresh] = rows.emplace(m.shape, line_number);
    if (!fresh) {
      throw InputError(source, row, fmt::format("{} is measured twice (first on line {})", describe(m.shape), it->second));
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace dsim::calibration
