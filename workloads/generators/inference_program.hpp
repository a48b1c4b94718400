// SPDX-License-Identifier: Apache-2.0
// The host-side program of one inference step: compute kernels, communication issues and waits in the order every
// rank issues them (micro-batches already interleaved). Internal to generators/: inference_step.cpp turns it into
// trace ops on two streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/dtype.hpp"
#include "workloads/generators/inference_step.hpp"
#include "workloads/model/model_config.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::workloads::generators::detail {

// A dispatch or combine over the pool's EP group.
struct ProgramComm {
  std::string name;  // "L12.mb1.dispatch"
  CollectiveOp kind = CollectiveOp::moe_dispatch;
  MoeCall moe;
};

struct ProgramItem {
  // compute: a kernel on the compute stream; issue: a communication starts once what the compute stream has
  // issued so far is done; wait: the compute stream waits for an issued communication before going on.
  enum class Kind : std::uint8_t { compute, issue, wait };
  Kind kind = Kind::compute;
  std::string name;  // compute: "L12.mb1.attn0.fp8"
  double flops = 0.0;
  Dtype dtype = Dtype::bf16;
  std::uint64_t bytes = 0;
  std::size_t comm = 0;   // issue, wait: index in Program::comms
  bool overlapped = false;  // compute: runs beside the other micro-batch's communication
  std::vector<std::pair<Kernel, std::uint32_t>> kernels;  // compute: what runs, with repeat counts
};

struct Program {
  std::vector<ProgramItem> items;  // in issue order
  std::vector<ProgramComm> comms;  // each issued once and waited for once
};

// The embedding, the micro-batches' layers interleaved as described in inference_program.cpp, the head, then each
// MTP module's block interleaved and its head. `spec` must be valid (find_inference_problem).
Program build_program(const ModelConfig& config, const InferenceSpec& spec);

}  // namespace dsim::workloads::generators::detail
