// SPDX-License-Identifier: Apache-2.0
// The InputError a piece of code throws, for tests that check an error's message, source and path.
#pragma once

#include <stdexcept>

#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"

namespace dsim::testing {

template <typename Body>
InputError input_error_of(Body&& body) {
  try {
    body();
  } catch (const InputError& error) {
    return error;
  }
  FAIL("expected an InputError");
  throw std::logic_error("unreachable");
}

}  // namespace dsim::testing
