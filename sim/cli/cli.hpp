// SPDX-License-Identifier: Apache-2.0
// The dsim command line: subcommands run, validate, show, help. Throws InputError for bad input or usage (main maps
// it to exit code 2) and lets InternalError through (exit code 1); prints results to `out`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dsim::cli {

// args excludes the program name. Returns 0 on success.
int run(const std::vector<std::string>& args, std::ostream& out);

}  // namespace dsim::cli
