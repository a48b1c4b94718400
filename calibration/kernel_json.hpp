// SPDX-License-Identifier: Apache-2.0
// A kernel's key as JSON fields, shared by kernel lists and kernel tables (docs/calibration.md): writing them in one
// fixed order, and reading them back with every field checked.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/core/kernel.hpp"

namespace dsim::calibration {

// {"kind": ..., then the kind's key fields}; memory kernels carry no dtype.
nlohmann::ordered_json shape_json(const KernelShape& shape);

// Reads the kind and its key fields from `entry` (other fields are left to the caller); throws InputError naming
// `source` and the JSON pointer of the bad field below `pointer`.
KernelShape read_shape(const nlohmann::json& entry, const std::string& source, const std::string& pointer);

// A number field of `entry` that must be positive and finite (a time in microseconds, at most 1e12).
double read_positive(const nlohmann::json& entry, const char* key, const std::string& source,
                     const std::string& pointer);

// Every field of `entry` must be a key field of `shape`'s kind or one of `extra`: a misspelt field, or a field of
// another kind (m on a memory entry), is an error rather than silently ignored.
void check_entry_keys(const nlohmann::json& entry, const KernelShape& shape, const std::set<std::string>& extra,
                      const std::string& source, const std::string& pointer);

}  // namespace dsim::calibration
