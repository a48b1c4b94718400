// SPDX-License-Identifier: Apache-2.0
// The ring stages (reduce-scatter, all-gather, and the all-reduce made of both) and the ring collectives built on
// them. Ideal times with n ranks, per-rank link bandwidth B, per-transfer latency a and a reduction of c bytes
// taking r(c) = c / reduce_bandwidth, as in Thakur, Rabenseifner & Gropp 2005 (ring all-gather; all-reduce as
// reduce-scatter + all-gather) and nccl-tests' doc/PERFORMANCE.md (bus bandwidth).
#include <algorithm>
#include <array>

#include "models/collectives/algorithms/algorithm_parts.hpp"

namespace dsim::models::collectives::detail {
namespace {

Deps start_of(StageStart start, std::size_t position) {
  Deps deps;
  if (!start.data.empty()) deps.add(start.data[position]);
  if (!start.channel.empty()) deps.add(start.channel[position]);
  return deps;
}

// A ring of one rank moves nothing: its result is ready when its input is, and it holds no channel.
std::vector<Deps> pass_through(StageStart start, std::size_t m) {
  if (start.data.empty()) return std::vector<Deps>(m);
  return {start.data.begin(), start.data.end()};
}

}  // namespace

std::vector<Deps> ring_reduce_scatter(CommPlan& plan, std::span<const GpuId> ring, std::span<const Bytes> chunk,
                                      StageStart start, RingPhases phases, Bandwidth reduce_bandwidth) {
  const std::size_t m = ring.size();
  if (m < 2) return pass_through(start, m);
  const bool reduce = reduce_bandwidth.Bps() > 0;
  std::vector<Deps> ready(m);  // what each position's next send waits for
  for (std::size_t r = 0; r < m; ++r) ready[r] = start_of(start, r);
  std::vector<StepId> sent(m);
  std::vector<Bytes> moving(m);
  for (std::size_t s = 0; s + 1 < m; ++s) {
    for (std::size_t r = 0; r < m; ++r) {
      moving[r] = chunk[(r + 2 * m - 1 - s) % m];
      sent[r] = plan.transfer(ring[r], ring[(r + 1) % m], moving[r], ready[r].span(), phases.transfer);
    }
    for (std::size_t r = 0; r < m; ++r) {
      const std::size_t to = (r + 1) % m;
      StepId got = sent[r];
      if (reduce) {
        got = plan.local(ring[to], reduction_time(moving[r], reduce_bandwidth), std::array{sent[r]}, phases.reduce);
      }
      ready[to] = Deps{got, sent[to]};
    }
  }
  return ready;
}

std::vector<Deps> ring_all_gather(CommPlan& plan, std::span<const GpuId> ring, std::span<const Bytes> block,
                                  StageStart start, std::uint32_t phase) {
  const std::size_t m = ring.size();
  if (m < 2) return pass_through(start, m);
  std::vector<Deps> ready(m);
  for (std::size_t r = 0; r < m; ++r) ready[r] = start_of(start, r);
  std::vector<StepId> sent(m);
  for (std::size_t t = 0; t + 1 < m; ++t) {
    for (std::size_t r = 0; r < m; ++r) {
      sent[r] = plan.transfer(ring[r], ring[(r + 1) % m], block[(r + m - t) % m], ready[r].span(), phase);
    }
    for (std::size_t r = 0; r < m; ++r) ready[(r + 1) % m] = Deps{sent[r], sent[(r + 1) % m]};
  }
  return ready;
}

std::vector<Deps> ring_all_reduce(CommPlan& plan, std::span<const GpuId> ring, Bytes size, StageStart start,
                                  RingPhases reduce_scatter, std::uint32_t all_gather, Bandwidth reduce_bandwidth) {
  // Position e ends the reduce-scatter holding chunk e, fully reduced, and starts the all-gather with it.
  const std::vector<Bytes> chunks = split_evenly(size, static_cast<int>(std::max<std::size_t>(ring.size(), 1)));
  const std::vector<Deps> reduced = ring_reduce_scatter(plan, ring, chunks, start, reduce_scatter, reduce_bandwidth);
  return ring_all_gather(plan, ring, chunks, StageStart{reduced, {}}, all_gather);
}

// Ring all-reduce: reduce-scatter then all-gather, 2(n-1) steps of size/n, and a reduction of size/n after each of
// the n-1 reduce-scatter receives, before the chunk is forwarded:
//   T = 2(n-1) (a + size/(nB)) + (n-1) r(size/n)
// Each rank sends and receives 2(n-1)/n x size: the bus-bandwidth factor.
void build_ring_all_reduce(CommPlan& plan, const CollectiveRequest& request) {
  const RingPhases reduce_scatter{plan.phase("reduce-scatter"), reduce_phase(plan, request)};
  const std::uint32_t all_gather = plan.phase("all-gather");
  ring_all_reduce(plan, request.group, request.size, {}, reduce_scatter, all_gather, request.reduce_bandwidth);
}

// Ring reduce-scatter: the first half of the ring all-reduce; each rank ends with size/n fully reduced.
//   T = (n-1) (a + size/(nB)) + (n-1) r(size/n)
void build_reduce_scatter(CommPlan& plan, const CollectiveRequest& request) {
  const RingPhases phases{plan.phase("reduce-scatter"), reduce_phase(plan, request)};
  const std::vector<Bytes> chunks(request.group.size(), Bytes(request.size.count() / request.group.size()));
  ring_reduce_scatter(plan, request.group, chunks, {}, phases, request.reduce_bandwidth);
}

// Ring all-gather: the second half; each rank starts with size/n and ends with all n blocks.
//   T = (n-1) (a + size/(nB))
void build_all_gather(CommPlan& plan, const CollectiveRequest& request) {
  const std::uint32_t phase = plan.phase("all-gather");
  const std::vector<Bytes> blocks(request.group.size(), Bytes(request.size.count() / request.group.size()));
  ring_all_gather(plan, request.group, blocks, {}, phase);
}

}  // namespace dsim::models::collectives::detail
