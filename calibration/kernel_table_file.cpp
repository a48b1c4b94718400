// SPDX-License-Identifier: Apache-2.0
#include "calibration/kernel_table_file.hpp"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "calibration/kernel_json.hpp"
#include "sim/core/errors.hpp"

namespace dsim::calibration {
namespace {

using nlohmann::json;
using models::compute::KernelTable;
using models::compute::KernelTableInfo;
using models::compute::MeasuredKernel;

void only_keys(const json& object, const std::set<std::string>& allowed, const std::string& source,
               const std::string& pointer) {
  for (const auto& [key, value] : object.items()) {
    if (!allowed.contains(key)) {
      std::string names;
      for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
      throw InputError(source, fmt::format("{}/{}", pointer, key), fmt::format("unknown key; expected {}", names));
    }
  }
}

std::string optional_string(const json& object, const char* key, const std::string& source,
                            const std::string& pointer) {
  const auto it = object.find(key);
  if (it == object.end()) return {};
  if (!it->is_string()) throw InputError(source, fmt::format("{}/{}", pointer, key), "must be a string");
  return it->get<std::string>();
}

}  // namespace

KernelTable read_kernel_table(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), "", "cannot open the kernel table");
  std::ostringstream text;
  text << in.rdbuf();
  KernelTable table = parse_kernel_table(text.str(), path.string());
  KernelTableInfo info = table.info();
  info.path = path.string();
  return KernelTable(std::move(info), {table.entries().begin(), table.entries().end()});
}

KernelTable parse_kernel_table(std::string_view text, const std::string& source) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann's message names the line and column: "[json.exception.parse_error.101] parse error at line 3, ..."
    const std::string what = e.what();
    const auto at = what.find("parse error");
    throw InputError(source, "", at == std::string::npos ? what : what.substr(at));
  }
  if (!doc.is_object()) throw InputError(source, "", "a kernel table is a JSON object");
  only_keys(doc, {"format", "version", "device", "provenance", "entries", "comment"}, source, "");
  if (doc.value("format", json()) != json(kernel_table_format)) {
    throw InputError(source, "/format", fmt::format("must be \"{}\"", kernel_table_format));
  }
  if (doc.value("version", json()) != json(kernel_table_version)) {
    throw InputError(source, "/version", fmt::format("this dsim reads version {}", kernel_table_version));
  }
  KernelTableInfo info;
  const auto device = doc.find("device");
  if (device == doc.end() || !device->is_object()) throw InputError(source, "/device", "missing device object");
  info.device = optional_string(*device, "name", source, "/device");
  if (info.device.empty()) throw InputError(source, "/device/name", "missing the device's name");
  const auto sms = device->find("sms");
  if (sms == device->end() || !sms->is_number_integer() || sms->get<std::int64_t>() <= 0 ||
      sms->get<std::int64_t>() > 100'000) {
    throw InputError(source, "/device/sms", "must be the device's SM count, a positive integer");
  }
  info.sms = static_cast<int>(sms->get<std::int64_t>());
  if (const auto p = doc.find("provenance"); p != doc.end()) {
    if (!p->is_object()) throw InputError(source, "/provenance", "must be an object");
    info.measured_at = optional_string(*p, "measured_at", source, "/provenance");
    info.tool = optional_string(*p, "tool", source, "/provenance");
  }
  const auto entries = doc.find("entries");
  if (entries == doc.end() || !entries->is_array()) throw InputError(source, "/entries", "missing entries array");
  std::vector<MeasuredKernel> out;
  std::map<KernelShape, std::string> seen;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string pointer = fmt::format("/entries/{}", i);
    const json& e = (*entries)[i];
    MeasuredKernel m;
    m.shape = read_shape(e, source, pointer);
    m.time = units::us(read_positive(e, "time_us", source, pointer));
    m.method = optional_string(e, "method", source, pointer);
    check_entry_keys(e, m.shape, {"time_us", "min_us", "max_us", "method", "tflops", "GBps"}, source, pointer);
    const auto [it, fresh] = seen.emplace(m.shape, pointer);
    if (!fresh) {
      throw InputError(source, pointer,
                       fmt::format("{} is measured twice (first at {})", describe(m.shape), it->second));
    }
    out.push_back(std::move(m));
  }
  return KernelTable(std::move(info), std::move(out));
}

nlohmann::ordered_json kernel_table_json(const KernelTableInfo& info, std::span<const MeasuredKernel> entries) {
  nlohmann::ordered_json doc;
  doc["format"] = std::string(kernel_table_format);
  doc["version"] = kernel_table_version;
  doc["device"] = {{"name", info.device}, {"sms", info.sms}};
  doc["provenance"] = {{"tool", info.tool}, {"measured_at", info.measured_at}};
  auto& list = doc["entries"] = nlohmann::ordered_json::array();
  for (const MeasuredKernel& m : entries) {
    auto e = shape_json(m.shape);
    e["time_us"] = units::to_us(m.time);
    if (!m.method.empty()) e["method"] = m.method;
    list.push_back(std::move(e));
  }
  return doc;
}

}  // namespace dsim::calibration
