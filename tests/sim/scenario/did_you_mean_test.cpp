// SPDX-License-Identifier: Apache-2.0
// Edit distance and the nearest-name suggestion behind "did you mean ...?".
#include <catch2/catch.hpp>

#include "sim/scenario/did_you_mean.hpp"

using dsim::scenario::closest_name;
using dsim::scenario::edit_distance;

TEST_CASE("edit distance counts insertions, deletions and substitutions", "[scenario]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("nic_gbs", "nic_gbps") == 1);  // one insertion
  CHECK(edit_distance("nodes", "nodez") == 1);       // one substitution
  CHECK(edit_distance("kitten", "sitting") == 3);    // the textbook case: k->s, e->i, +g
  CHECK(edit_distance("flaw", "lawn") == 2);
}

TEST_CASE("closest name: a candidate within a third of the length is suggested", "[scenario]") {
  const std::vector<std::string> keys = {"nodes", "gpus_per_node", "nic_gbps"};
  CHECK(closest_name("nic_gbs", keys) == "nic_gbps");
  CHECK(closest_name("gpu_per_nodes", keys) == "gpus_per_node");  // 2 edits, limit 13 / 3 = 4
  CHECK_FALSE(closest_name("zzz", keys).has_value());
  CHECK_FALSE(closest_name("fabric", keys).has_value());
}

TEST_CASE("closest name: short names allow one edit, ties go to the earlier candidate", "[scenario]") {
  CHECK(closest_name("ab", {"ax", "ay"}) == "ax");
  CHECK_FALSE(closest_name("ab", {"xy"}).has_value());
  CHECK(closest_name("a", {"b"}) == "b");  // max(1, 1 / 3) = 1 edit
  CHECK_FALSE(closest_name("x", {}).has_value());
}
