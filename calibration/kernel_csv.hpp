// SPDX-License-Identifier: Apache-2.0
// External kernel measurements as CSV (docs/calibration.md): a header naming the columns, in any order, then one
// kernel a row. Columns: kind, dtype, groups, m, n, k, batch, heads, kv_heads, q_len, kv_len, qk_dim, v_dim,
// causal (true/false or 1/0), bytes, time_us (required), method (optional); cells a kind does not use may be empty.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "models/compute/kernel_table.hpp"

namespace dsim::calibration {

// Throws InputError naming `source`, the line and the column of the first bad cell.
std::vector<models::compute::MeasuredKernel> read_kernel_csv(std::istream& in, const std::string& source);

}  // namespace dsim::calibration
