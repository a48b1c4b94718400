// SPDX-License-Identifier: Apache-2.0
// Suggestions for misspelt names: "unknown key 'nic_gbs'; did you mean 'nic_gbps'?".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsim::scenario {

// Levenshtein distance: the fewest single-character insertions, deletions and substitutions turning a into b.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to name, if it lies within max(1, name.size() / 3) edits; ties go to the earlier candidate,
// so the answer is deterministic and follows the order the caller lists (declaration order for keys).
std::optional<std::string> closest_name(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace dsim::scenario
