// SPDX-License-Identifier: Apache-2.0
// dsim kernels and dsim calibrate (compare, import): the calibration side of the command line.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace dsim::cli {

// dsim kernels: the scenario's distinct kernels as a table, or as the kernel-list JSON (json) whose `source` is
// `list_source` (the scenario file and its overrides).
int kernels_command(const scenario::Scenario& scenario, const std::string& scenario_file,
                    const std::string& list_source, bool json, std::ostream& out);

// dsim calibrate compare|import ... (args after "calibrate").
int calibrate_command(const std::vector<std::string>& args, std::ostream& out);

}  // namespace dsim::cli
