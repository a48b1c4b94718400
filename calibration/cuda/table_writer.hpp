// SPDX-License-Identifier: Apache-2.0
// Builds the kernel table of docs/calibration.md and writes it atomically.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dsim::calibration::cuda {

inline constexpr const char* kToolVersion = "dsim-calibrate 1";

struct Provenance {
  int warmup = 0;
  int repeats = 0;
  std::string kernel_list;  // the list's `source`
  std::string notes;
};

nlohmann::ordered_json make_table(const nlohmann::ordered_json& device, const Provenance& provenance,
                                  const std::vector<nlohmann::ordered_json>& entries);

// Current UTC time as "2026-11-25T23:59:00Z".
std::string utc_now();

// Throws InputError when the folder `path` would be written to does not exist, so a bad --out fails before any
// GPU work rather than after it.
void check_output_folder(const std::string& path);

// Writes `text` to a temporary file in the same folder, then renames it over `path`: readers never see half a file.
void write_atomically(const std::string& path, const std::string& text);

}  // namespace dsim::calibration::cuda
