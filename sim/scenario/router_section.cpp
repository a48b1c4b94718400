// SPDX-License-Identifier: Apache-2.0
#include "sim/scenario/router_section.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "sim/core/enum_names.hpp"
#include "sim/core/errors.hpp"

namespace dsim::scenario {

namespace moe = models::collectives::moe;

void declare_router_params(ParamTable& t, const std::string& r) {
  t.object(r, "Which experts each token picks.");
  t.choice(r + "/kind", enum_names(moe::router_kind_names),
           "uniform: random scores; zipf: expert popularity 1/rank^s; balanced: every expert gets exactly equal "
           "load; file: routes recorded in a file.")
      .defaults("uniform");
  t.integer(r + "/experts", "Routed experts (V3: 256).").defaults(256).in_range(1, 65535);
  t.integer(r + "/top_k", "Experts per token (V3: 8).").defaults(8).in_range(1, 64);
  t.integer(r + "/groups", "Expert groups for node-limited routing (V3: 8); 1: no limit.").defaults(8).at_least(1);
  t.integer(r + "/topk_groups", "Groups a token may use (V3: 4). Experts are laid out contiguously, so when groups "
                                 "equals the nodes of the group a token reaches at most topk_groups nodes.")
      .defaults(4)
      .at_least(1);
  t.choice(r + "/group_score", enum_names(moe::group_score_names),
           "How a group is scored: top2_sum (V3's config) or max (DeepEP's tests).")
      .defaults("top2_sum");
  t.number(r + "/zipf_exponent", "zipf: the exponent s.").defaults(1.0).greater_than(0.0);
  t.string(r + "/file", "file: recorded routes (JSON, format in models/collectives/moe/router.hpp), relative to "
                        "the scenario file.")
      .optional();

}

moe::RouterSpec read_router(ObjectReader r, const std::string& scenario_dir, std::uint64_t seed,
                            const std::optional<moe::RouterSpec>& shape) {
  moe::RouterSpec spec;
  spec.kind = *parse_enum<moe::RouterKind>(moe::router_kind_names, r.choice("kind"));
  const auto sized = [&](std::string_view key, int from_shape) {
    const auto value = static_cast<int>(r.integer(key));
    return shape && !r.has(key) ? from_shape : value;
  };
  spec.experts = sized("experts", shape ? shape->experts : 0);
  spec.top_k = sized("top_k", shape ? shape->top_k : 0);
  spec.groups = sized("groups", shape ? shape->groups : 0);
  spec.topk_groups = sized("topk_groups", shape ? shape->topk_groups : 0);
  spec.group_score = *parse_enum<moe::GroupScore>(moe::group_score_names, r.choice("group_score"));
  spec.zipf_exponent = r.number("zipf_exponent");
  const auto file = r.optional_string("file");
  if (spec.kind == moe::RouterKind::file && !file) {
    throw r.error("file", "router kind 'file' needs a file of recorded routes");
  }
  if (file) {
    if (spec.kind != moe::RouterKind::file) {
      throw r.error("file", "a routing file is read only by router kind 'file'; remove it or set kind to file");
    }
    const std::filesystem::path path(*file);
    spec.file = path.is_absolute() ? path : std::filesystem::path(scenario_dir) / path;
  }
  // Keys the chosen router would not read are errors, never silently ignored.
  if (spec.kind != moe::RouterKind::zipf && r.has("zipf_exponent")) {
    throw r.error("zipf_exponent", "only router kind 'zipf' reads zipf_exponent");
  }
  if (spec.kind == moe::RouterKind::file) {
    for (const std::string_view key : {"groups", "topk_groups", "group_score"}) {
      if (r.has(key)) throw r.error(key, fmt::format("a recorded routing file fixes the experts; {} does not apply", key));
    }
  }
  if (r.has("group_score") && spec.topk_groups == spec.groups) {
    throw r.error("group_score", "every group is kept when topk_groups equals groups, so no group score is used");
  }
  spec.seed = seed;
  r.finish();
  // The router checks its spec (and reads a routing file) now, so `dsim validate` reports what a run would.
  try {
    const moe::Router check(spec);
  } catch (const InputError& e) {
    if (e.source() != "router") throw;
    throw r.error(e.where(), e.message());
  }
  return spec;
}

}  // namespace dsim::scenario
