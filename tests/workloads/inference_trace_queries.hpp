// SPDX-License-Identifier: Apache-2.0
// Queries on an inference step trace shared by its tests: op counts, rank 0's ops by name and per stream, deps.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "workloads/generators/inference_step.hpp"

namespace dsim::workloads::generators::testing {

inline ModelConfig v3() { return *find_model_config("deepseek-v3"); }

inline InferenceSpec decode_spec() {
  InferenceSpec spec;
  spec.phase = InferencePhase::decode;
  spec.ranks = 4;
  spec.batch_per_rank = 8;
  spec.context_len = 1024;
  return spec;
}

inline StepTrace checked(const ModelConfig& config, const InferenceSpec& spec, int rank_count) {
  StepTrace trace = make_inference_step(config, spec, rank_count);
  REQUIRE_FALSE(trace.match_transfers().has_value());
  REQUIRE(find_deadlock(trace).empty());
  return trace;
}

inline std::size_t count(const StepTrace& trace, std::uint32_t rank, OpKind kind) {
  std::size_t n = 0;
  for (const Op& op : trace.ops()) n += op.rank == RankId(rank) && op.kind == kind ? 1 : 0;
  return n;
}

// Rank 0's ops by name.
inline std::map<std::string, OpId> by_name(const StepTrace& trace) {
  std::map<std::string, OpId> ids;
  for (std::size_t i = 0; i < trace.ops().size(); ++i) {
    if (trace.ops()[i].rank == RankId(0)) ids.emplace(trace.ops()[i].name, OpId(static_cast<OpId::Value>(i)));
  }
  return ids;
}

// Rank 0's op names on `stream` in order, without the ".fp8"/".bf16" of a part split by format (one entry per part).
inline std::vector<std::string> order(const StepTrace& trace, const std::string& stream) {
  std::vector<std::string> names;
  for (const Op& op : trace.ops()) {
    if (op.rank != RankId(0) || trace.stream_names()[op.stream.index()] != stream) continue;
    std::string name = op.name;
    for (const char* suffix : {".fp8", ".bf16"}) {
      if (name.ends_with(suffix)) name.resize(name.size() - std::string(suffix).size());
    }
    if (names.empty() || names.back() != name) names.push_back(name);
  }
  return names;
}

inline bool depends(const StepTrace& trace, OpId op, OpId on) {
  for (const OpId d : trace.op(op).deps) {
    if (d == on) return true;
  }
  return false;
}

}  // namespace dsim::workloads::generators::testing
