// SPDX-License-Identifier: Apache-2.0
// DSIM_CHECK: an always-on assertion for broken invariants (bugs in dsim, never bad input). It survives release
// builds and throws InternalError, which main maps to exit code 1.
#pragma once

#include <fmt/format.h>

#include "sim/core/errors.hpp"

#define DSIM_CHECK(cond, ...)                                                                         \
  do {                                                                                                \
    if (!(cond)) [[unlikely]] {                                                                       \
      ::dsim::detail::check_failed(#cond, __FILE__, __LINE__, ::fmt::format(__VA_ARGS__));            \
    }                                                                                                 \
  } while (false)
