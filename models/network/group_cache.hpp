// SPDX-License-Identifier: Apache-2.0
// Flow groups that FlowNetwork has simulated alone, and how they ran: the cache behind its replay of isolated
// groups (flow_network_groups.cpp). A group is the flows a caller starts at one instant (a DeepEP dispatch's
// transfers); a training step starts each distinct dispatch hundreds of times, most of them on links nothing else
// uses meanwhile. Max-min sharing splits into independent parts along connected flows, so a group on idle links
// runs as it ran alone, shifted in time; this cache keeps that run.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "sim/core/units.hpp"

namespace dsim::models::network {

// What decides how a group runs alone: its flows' sizes, fixed costs and solver paths, in start order. A path entry
// is a solver link, or limit_tag | k for the group's k-th shared limit (by first use): a plan's limits get new ids
// at every run, so the content names them by order, with their capacities.
struct GroupContent {
  static constexpr std::uint32_t limit_tag = 0x80000000u;

  std::vector<std::uint64_t> sizes;        // bytes, by flow
  std::vector<Time> latencies;             // fixed cost paid after the bytes, by flow
  std::vector<std::uint32_t> path_begin{0};  // flow i's path is paths[path_begin[i], path_begin[i + 1])
  std::vector<std::uint32_t> paths;
  std::vector<double> limit_capacity;  // bytes/s, by limit order

  std::size_t size() const { return sizes.size(); }
  void clear();
  std::uint64_t hash() const;
  bool operator==(const GroupContent& other) const = default;
};

// How a group ran alone from offset 0: every time is an offset from its start. Flow i left the sharing at leave[i]
// (its bytes phase over, or within the completion tolerance of it) and completed at completion[i]; while it moved,
// its rate was set at the offsets state_at[state_begin[i], state_begin[i + 1]) to the matching state_rate (bytes/s),
// which is all FlowNetwork needs to rebuild its record at any offset with the same arithmetic. The footprint is
// every cluster link a moving flow crossed, free again (its last flow gone) at the matching release offset.
struct GroupRun {
  std::vector<Time> leave;
  std::vector<Time> completion;
  std::vector<std::uint32_t> state_begin{0};
  std::vector<Time> state_at;
  std::vector<double> state_rate;
  std::vector<std::uint32_t> footprint;
  std::vector<Time> release;
  std::vector<Time> limit_release;  // by limit order: when the last flow naming the limit left
  std::vector<std::uint32_t> order;  // flow indices by (completion, index)

  std::size_t bytes() const;
  // Fills footprint and release from the content's paths and leave (call once leave is complete).
  void find_footprint(const GroupContent& content);
};

struct CachedGroup {
  GroupContent content;
  GroupRun run;
};

// A group's requests, as FlowNetwork::describe writes them, whose routes no ECMP key chose: the same requests then
// have the same content at every start, and the bytes they put on each link of their routes.
struct KnownGroup {
  std::vector<std::uint64_t> words;
  const CachedGroup* cached = nullptr;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> link_bytes;  // (link, bytes), by link
};

class GroupCache {
 public:
  // The cached group with this content (whose hash() is `hash`), or nullptr.
  const CachedGroup* find(const GroupContent& content, std::uint64_t hash) const;
  // Keeps a group's run; returns the kept copy.
  const CachedGroup* insert(const GroupContent& content, std::uint64_t hash, GroupRun run);

  // The known group with these request words, or nullptr.
  const KnownGroup* find_requests(const std::vector<std::uint64_t>& words) const;
  // Remembers requests whose routes no key chose, with their group and the (link, bytes) pairs of their routes (in
  // any order, a link any number of times).
  void remember(const std::vector<std::uint64_t>& words, const CachedGroup& cached,
                std::vector<std::pair<std::uint32_t, std::uint64_t>> link_bytes);

  std::size_t groups() const { return groups_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  std::vector<std::unique_ptr<CachedGroup>> groups_;
  std::unordered_multimap<std::uint64_t, const CachedGroup*> by_hash_;
  std::vector<std::unique_ptr<KnownGroup>> known_;
  std::unordered_multimap<std::uint64_t, const KnownGroup*> known_by_hash_;
  std::size_t bytes_ = 0;
};

}  // namespace dsim::models::network
