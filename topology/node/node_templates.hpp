// SPDX-License-Identifier: Apache-2.0
// Named node templates (h800, h100, h20, gb200-nvl72): one table of {name, description, source, factory}. A scenario
// picks one by name and overrides fields; an unknown name fails with the list of valid ones.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "topology/node/node_spec.hpp"

namespace dsim::topology {

struct NodeTemplateInfo {
  std::string_view name;
  std::string_view description;
  std::string_view source;
  NodeSpec (*make)();
};

std::span<const NodeTemplateInfo> node_templates();
std::optional<NodeSpec> make_node_template(std::string_view name);

}  // namespace dsim::topology
