// SPDX-License-Identifier: Apache-2.0
// The kernel table's top level (format, version, device, provenance, entries) and its atomic write.
#include "calibration/cuda/table_writer.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "calibration/cuda/kernel_list.hpp"

namespace dsim::calibration::cuda {

nlohmann::ordered_json make_table(const nlohmann::ordered_json& device, const Provenance& provenance,
                                  const std::vector<nlohmann::ordered_json>& entries) {
  nlohmann::ordered_json table;
  table["format"] = "dsim-kernel-table";
  table["version"] = 1;
  table["device"] = device;
  nlohmann::ordered_json& p = table["provenance"];
  p["tool"] = kToolVersion;
  p["measured_at"] = utc_now();
  p["warmup"] = provenance.warmup;
  p["repeats"] = provenance.repeats;
  p["kernel_list"] = provenance.kernel_list;
  p["notes"] = provenance.notes;
  table["entries"] = nlohmann::ordered_json::array();
  for (const auto& e : entries) table["entries"].push_back(e);
  return table;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

void check_output_folder(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path folder = fs::path(path).parent_path();
  std::error_code ec;
  if (!folder.empty() && !fs::is_directory(folder, ec))
    throw InputError(path, "", "cannot write here: folder '" + folder.string() + "' does not exist");
  if (fs::is_directory(path, ec)) throw InputError(path, "", "cannot write here: it is a folder");
}

void write_atomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  fs::path temp = target;
  temp += ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(temp, ignored);
      throw InputError(path, "", "cannot write the temporary file '" + temp.string() + "'");
    }
  }
  std::error_code ec;
  fs::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw InputError(path, "", "cannot rename '" + temp.string() + "' into place: " + ec.message());
  }
}

}  // namespace dsim::calibration::cuda
