// SPDX-License-Identifier: Apache-2.0
#include "models/network/group_cache.hpp"

#include <algorithm>
#include <bit>

namespace dsim::models::network {
namespace {

template <typename T>
std::size_t bytes_of(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// FNV-1a over 64-bit words: the cache compares contents in full on a hit, so the hash only has to spread them.
void mix(std::uint64_t& h, std::uint64_t word) {
  h ^= word;
  h *= 0x100000001b3ull;
}

std::uint64_t hash_words(const std::vector<std::uint64_t>& words) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const std::uint64_t word : words) mix(h, word);
  return h;
}

}  // namespace

void GroupContent::clear() {
  sizes.clear();
  latencies.clear();
  path_begin.assign(1, 0);
  paths.clear();
  limit_capacity.clear();
}

std::uint64_t GroupContent::hash() const {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const std::uint64_t size : sizes) mix(h, size);
  for (const Time latency : latencies) mix(h, static_cast<std::uint64_t>(latency.ps()));
  for (const std::uint32_t begin : path_begin) mix(h, begin);
  for (const std::uint32_t link : paths) mix(h, link);
  for (const double capacity : limit_capacity) mix(h, std::bit_cast<std::uint64_t>(capacity));
  return h;
}

std::size_t GroupRun::bytes() const {
  return bytes_of(leave) + bytes_of(completion) + bytes_of(state_begin) + bytes_of(state_at) +
         bytes_of(state_rate) + bytes_of(footprint) + bytes_of(release) + bytes_of(limit_release) +
         bytes_of(order);
}

void GroupRun::find_footprint(const GroupContent& content) {
  footprint.clear();
  release.clear();
  limit_release.assign(content.limit_capacity.size(), Time::zero());
  std::vector<std::pair<std::uint32_t, Time>> crossings;
  for (std::size_t i = 0; i < content.size(); ++i) {
    for (std::uint32_t k = content.path_begin[i]; k < content.path_begin[i + 1]; ++k) {
      const std::uint32_t entry = content.paths[k];
      if ((entry & GroupContent::limit_tag) == 0) {
        crossings.emplace_back(entry, leave[i]);
      } else {
        Time& limit = limit_release[entry & ~GroupContent::limit_tag];
        limit = std::max(limit, leave[i]);
      }
    }
  }
  std::sort(crossings.begin(), crossings.end());
  for (const auto& [link, left] : crossings) {
    if (!footprint.empty() && footprint.back() == link) {
      release.back() = std::max(release.back(), left);
    } else {
      footprint.push_back(link);
      release.push_back(left);
    }
  }
  footprint.shrink_to_fit();
  release.shrink_to_fit();
}

const CachedGroup* GroupCache::find(const GroupContent& content, std::uint64_t hash) const {
  const auto [first, last] = by_hash_.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    if (it->second->content == content) return it->second;
  }
  return nullptr;
}

const CachedGroup* GroupCache::insert(const GroupContent& content, std::uint64_t hash, GroupRun run) {
  auto group = std::make_unique<CachedGroup>(CachedGroup{content, std::move(run)});
  const CachedGroup* kept = group.get();
  bytes_ += kept->run.bytes() + bytes_of(kept->content.sizes) + bytes_of(kept->content.latencies) +
            bytes_of(kept->content.path_begin) + bytes_of(kept->content.paths) +
            bytes_of(kept->content.limit_capacity);
  by_hash_.emplace(hash, kept);
  groups_.push_back(std::move(group));
  return kept;
}

const KnownGroup* GroupCache::find_requests(const std::vector<std::uint64_t>& words) const {
  const auto [first, last] = known_by_hash_.equal_range(hash_words(words));
  for (auto it = first; it != last; ++it) {
    if (it->second->words == words) return it->second;
  }
  return nullptr;
}

void GroupCache::remember(const std::vector<std::uint64_t>& words, const CachedGroup& cached,
                          std::vector<std::pair<std::uint32_t, std::uint64_t>> link_bytes) {
  auto known = std::make_unique<KnownGroup>();
  known->words = words;
  known->cached = &cached;
  std::sort(link_bytes.begin(), link_bytes.end());
  for (const auto& [link, bytes] : link_bytes) {
    if (!known->link_bytes.empty() && known->link_bytes.back().first == link) {
      known->link_bytes.back().second += bytes;
    } else {
      known->link_bytes.emplace_back(link, bytes);
    }
  }
  known->link_bytes.shrink_to_fit();
  bytes_ += bytes_of(known->words) + bytes_of(known->link_bytes);
  known_by_hash_.emplace(hash_words(words), known.get());
  known_.push_back(std::move(known));
}

}  // namespace dsim::models::network
