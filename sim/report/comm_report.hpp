// SPDX-License-Identifier: Apache-2.0
// What `dsim comm` prints: a table in nccl-tests' or DeepEP's terms, and the same figures as JSON.
#pragma once

#include <string>

#include "sim/run/comm_run.hpp"
#include "sim/scenario/scenario.hpp"

namespace dsim::report {

struct CommView {
  const scenario::Scenario& scenario;
  const run::CommResult& result;
};

std::string comm_text(const CommView& view);
// Deterministic: no wall-clock figures.
std::string comm_json(const CommView& view);

}  // namespace dsim::report
