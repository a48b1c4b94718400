// SPDX-License-Identifier: Apache-2.0
// Tree all-reduce as NCCL's double binary tree (Sanders, Speck & Traeff 2009; NCCL 2.4): two binary trees, each
// carrying half of the buffer, built so that a rank that is interior in one is a leaf in the other. Each tree
// reduces its half up to its root and broadcasts it back down, pipelined chunk by chunk.
#include <array>
#include <vector>

#include "models/collectives/algorithms/algorithm_parts.hpp"

namespace dsim::models::collectives::detail {
namespace {

constexpr int no_node = -1;

// A binary tree over positions 0..n-1, in in-order: with labels q = position + 1, the root of a range of labels is
// the one with the most trailing zero bits, and its left and right subranges hang below it. Odd labels (even
// positions) are exactly the leaves, and the height is floor(log2 n).
struct Tree {
  std::vector<int> parent;                // by position; no_node at the root
  std::vector<std::array<int, 2>> child;  // by position; no_node where absent
  std::vector<int> post_order;            // children before their parent
  int root = no_node;
};

// The label in [lo, hi] (1-based, lo <= hi) with the most trailing zero bits: hi with its low bits cleared, for
// the most bits that leave it at least lo.
std::uint64_t top_label(std::uint64_t lo, std::uint64_t hi) {
  for (int bits = 63; bits > 0; --bits) {
    const std::uint64_t label = (hi >> bits) << bits;
    if (label >= lo) return label;
  }
  return hi;
}

// Depth of recursion is at most log2(n) + 1: the trailing zeros fall at every level.
int build_range(Tree& tree, std::uint64_t lo, std::uint64_t hi, int parent) {
  if (lo > hi) return no_node;
  const std::uint64_t label = top_label(lo, hi);
  const auto position = static_cast<int>(label - 1);
  tree.parent[static_cast<std::size_t>(position)] = parent;
  auto& child = tree.child[static_cast<std::size_t>(position)];
  child[0] = build_range(tree, lo, label - 1, position);
  child[1] = build_range(tree, label + 1, hi, position);
  tree.post_order.push_back(position);
  return position;
}

Tree binary_tree(std::size_t n) {
  Tree tree;
  tree.parent.assign(n, no_node);
  tree.child.assign(n, {no_node, no_node});
  tree.post_order.reserve(n);
  tree.root = build_range(tree, 1, n, no_node);
  return tree;
}

// One tree's pipeline state: each position's last send up, and its last send down to each child.
struct TreeChannels {
  std::vector<StepId> up;
  std::vector<std::array<StepId, 2>> down;
  std::vector<bool> sent_up;
  std::vector<std::array<bool, 2>> sent_down;
};

struct TreePhases {
  std::uint32_t up = 0;
  std::uint32_t down = 0;
  std::uint32_t reduce = 0;
};

// One chunk of `size` bytes through one tree: up to the root, reduced at every rank with children, then down.
// `gpu_at[p]` is the GPU at tree position p. Steps are made children first going up and parents first going down,
// so each step's dependencies are earlier steps.
void run_chunk(CommPlan& plan, const Tree& tree, std::span<const GpuId> gpu_at, Bytes size, TreePhases phases,
               Bandwidth reduce_bandwidth, TreeChannels& channels) {
  const std::size_t n = gpu_at.size();
  std::vector<Deps> have(n);  // per position: the steps after which it holds the chunk (its subtree's sum, then all)
  for (const int p : tree.post_order) {
    const auto pu = static_cast<std::size_t>(p);
    Deps received;
    std::uint64_t inputs = 0;
    for (const int c : tree.child[pu]) {
      if (c == no_node) continue;
      received.add(channels.up[static_cast<std::size_t>(c)]);
      inputs += size.count();
    }
    if (inputs > 0 && reduce_bandwidth.Bps() > 0) {
      received = Deps{
          plan.local(gpu_at[pu], reduction_time(Bytes(inputs), reduce_bandwidth), received.span(), phases.reduce)};
    }
    if (p == tree.root) {
      have[pu] = received;
      continue;
    }
    if (channels.sent_up[pu]) received.add(channels.up[pu]);
    channels.up[pu] = plan.transfer(gpu_at[pu], gpu_at[static_cast<std::size_t>(tree.parent[pu])], size,
                                    received.span(), phases.up);
    channels.sent_up[pu] = true;
  }
  for (auto it = tree.post_order.rbegin(); it != tree.post_order.rend(); ++it) {
    const auto pu = static_cast<std::size_t>(*it);
    for (std::size_t i = 0; i < 2; ++i) {
      const int c = tree.child[pu][i];
      if (c == no_node) continue;
      Deps deps = have[pu];
      if (channels.sent_down[pu][i]) deps.add(channels.down[pu][i]);
      const StepId sent = plan.transfer(gpu_at[pu], gpu_at[static_cast<std::size_t>(c)], size, deps.span(),
                                        phases.down);
      channels.down[pu][i] = sent;
      channels.sent_down[pu][i] = true;
      have[static_cast<std::size_t>(c)] = Deps{sent};
    }
  }
}

}  // namespace

// Tree 0 puts rank r at position r; tree 1 at position (r+1) mod n. Leaves are the even positions, so a rank is a
// leaf in tree 0 exactly when r is even and in tree 1 exactly when r is odd (for odd n, rank n-1 is a leaf in both:
// each tree has only floor(n/2) interior ranks). Each tree carries size/2 in C chunks of c = size/(2C); a rank's
// sends up, and to each child, go one chunk at a time.
//
// Ideal time, with h = floor(log2 n) levels below each root: the first chunk crosses 2h hops, and the C-1 others
// follow one hop behind. Once the pipeline is full, an interior rank's in-link carries its two children's chunks
// and two chunks coming down (one per tree), and its out-link as many, so each link moves 2 x size in all
// (size for n = 2, where no rank has two children):
//   T ~= (2h + C - 1) a + 2 size / B   (n >= 3, C >> h; n = 2: exactly (C + 1) a + size / B with free reductions)
// plus the reductions on the critical path (k received chunks of c folded in r(k c)). With C small the stages do
// not overlap and the link sharing of each hop adds up instead: e.g. n = 4, C = 1 takes 4a + 3 size/B + r(size) +
// r(size/2).
void build_tree_all_reduce(CommPlan& plan, const CollectiveRequest& request) {
  TreePhases phases;  // made in the order they run, so reports list them so
  phases.up = plan.phase("tree reduce");
  phases.reduce = reduce_phase(plan, request);
  phases.down = plan.phase("tree broadcast");
  const auto& group = request.group;
  const std::size_t n = group.size();
  const Tree tree = binary_tree(n);
  std::array<std::vector<GpuId>, 2> gpu_at{group, std::vector<GpuId>(n)};
  for (std::size_t r = 0; r < n; ++r) gpu_at[1][(r + 1) % n] = group[r];
  const std::vector<Bytes> halves = split_evenly(request.size, 2);
  const std::array<std::vector<Bytes>, 2> chunks{split_evenly(halves[0], request.pipeline_chunks),
                                                 split_evenly(halves[1], request.pipeline_chunks)};
  std::array<TreeChannels, 2> channels;
  for (auto& c : channels) {
    c.up.assign(n, 0);
    c.down.assign(n, {0, 0});
    c.sent_up.assign(n, false);
    c.sent_down.assign(n, {false, false});
  }
  for (std::size_t k = 0; k < static_cast<std::size_t>(request.pipeline_chunks); ++k) {
    for (std::size_t t = 0; t < 2; ++t) {
      run_chunk(plan, tree, gpu_at[t], chunks[t][k], phases, request.reduce_bandwidth, channels[t]);
    }
  }
}

}  // namespace dsim::models::collectives::detail
