// SPDX-License-Identifier: Apache-2.0
// Kernel table files (docs/calibration.md): reading one into the compute model's KernelTable, every field checked
// and every problem reported with the file and JSON path, and writing one (dsim calibrate import).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "models/compute/kernel_table.hpp"

namespace dsim::calibration {

inline constexpr std::string_view kernel_table_format = "dsim-kernel-table";
inline constexpr int kernel_table_version = 1;

// Throws InputError (file, JSON path or line and column, message).
models::compute::KernelTable read_kernel_table(const std::filesystem::path& path);
models::compute::KernelTable parse_kernel_table(std::string_view text, const std::string& source);

// The file's JSON for a table; `info.path` is not written (a file does not name itself).
nlohmann::ordered_json kernel_table_json(const models::compute::KernelTableInfo& info,
                                         std::span<const models::compute::MeasuredKernel> entries);

}  // namespace dsim::calibration
