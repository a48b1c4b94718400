// SPDX-License-Identifier: Apache-2.0
// DualPipe's step structure, written from the loops of deepseek-ai/DualPipe (DualPipe.step, DualPipeV.step): the
// step counts, the one non-overlapped pair at the fold, and where weight passes are deferred are theirs.
#include "workloads/schedules/dualpipe_steps.hpp"

#include <deque>
#include <utility>

#include "sim/core/check.hpp"

namespace dsim::workloads::schedules::detail {
namespace {

// Appends items for one rank, counting forwards and backwards per phase (each phase runs its micro-batches in
// order) and keeping the deferred weight passes in a FIFO, as DualPipe's WeightGradStore does.
class StepWriter {
 public:
  explicit StepWriter(const DualStepsInput& in) : in_(in) {}

  void forward(int phase, bool overlapped = false) {
    items_.push_back({ChunkPass::forward, next_microbatch(forwards_, phase), chunk(phase), overlapped});
  }
  // A backward whose weight pass is deferred becomes a backward_input now and a backward_weight at a later weight().
  void backward(int phase, bool defer_weight = false) {
    const ScheduleItem item{defer_weight ? ChunkPass::backward_input : ChunkPass::backward,
                            next_microbatch(backwards_, phase), chunk(phase)};
    items_.push_back(item);
    if (defer_weight) pending_.push_back({ChunkPass::backward_weight, item.microbatch, item.chunk});
  }
  void weight() {
    DSIM_CHECK(!pending_.empty(), "DualPipe step {} asks for a weight pass with none pending", items_.size());
    items_.push_back(pending_.front());
    pending_.pop_front();
  }
  // "F&B": a forward of one phase and a full backward of the other, overlapped.
  void overlapped(int forward_phase, int backward_phase) {
    forward(forward_phase, true);
    backward(backward_phase);
  }
  std::vector<ScheduleItem> finish() {
    DSIM_CHECK(pending_.empty(), "DualPipe leaves {} weight passes unrun", pending_.size());
    return std::move(items_);
  }

 private:
  int chunk(int phase) const { return in_.chunk_of_phase[static_cast<std::size_t>(phase)]; }
  int next_microbatch(std::array<int, 2>& counters, int phase) const {
    const auto p = static_cast<std::size_t>(phase);
    return in_.first_microbatch[p] + counters[p]++;
  }

  const DualStepsInput& in_;
  std::array<int, 2> forwards_ = {0, 0};
  std::array<int, 2> backwards_ = {0, 0};
  std::deque<ScheduleItem> pending_;
  std::vector<ScheduleItem> items_;
};

}  // namespace

std::vector<ScheduleItem> dual_steps(const DualStepsInput& in) {
  const int n = in.ranks;
  const int h = in.position;
  DSIM_CHECK(n >= 1 && h >= 0 && h < n && in.microbatches >= 2 * n,
             "DualPipe steps for rank {} of {}, {} micro-batches", h, n, in.microbatches);
  StepWriter w(in);
  // Step 1, warm-up: phase-0 forwards only, fewer the nearer the rank is to the fold, where phase 1 starts.
  for (int i = 0; i < 2 * (n - h - 1); ++i) w.forward(0);
  // Step 2: the first phase-1 forwards arrive; one forward of each phase.
  for (int i = 0; i < h + 1; ++i) {
    w.forward(0);
    w.forward(1);
  }
  // Step 3: the first phase-1 backwards, zero-bubble style: the input gradient goes upstream at once and the weight
  // pass runs right after it, before the next forward.
  for (int i = 0; i < n - h - 1; ++i) {
    w.backward(1, true);
    w.weight();
    w.forward(1);
  }
  // Step 4, the main step: each iteration overlaps a phase-0 forward with a phase-1 backward, then a phase-1 forward
  // with a phase-0 backward. The fold runs its first pair one after the other instead: dualpipe.py does not overlap
  // them "to further reduce bubble size". (With free communication, as in schedule_trace, overlapping them too
  // would end the step F+B-F&B sooner; whatever the split gains must come from communication, which the replay
  // models.)
  for (int i = 0; i < in.microbatches - 2 * n + h + 1; ++i) {
    if (i == 0 && in.fold) {
      w.forward(0);
      w.backward(1);
    } else {
      w.overlapped(0, 1);
    }
    w.overlapped(1, 0);
  }
  // Step 5: phase 0 has run all its forwards; a phase-1 backward alone, then phase 1's last forwards overlapped with
  // phase-0 backwards.
  for (int i = 0; i < n - h - 1; ++i) {
    w.backward(1);
    w.overlapped(1, 0);
  }
  // Step 6: backwards of both phases. The first h+1 of these 2(h+1) backwards run whole; the rest defer their weight
  // passes (dualpipe.py switches at i = (h+1)/2, before the phase-1 backward when h is odd and after it when h is
  // even, which is the same count).
  for (int i = 0; i < 2 * (h + 1); ++i) w.backward(i % 2 == 0 ? 1 : 0, i >= h + 1);
  // Step 7: the last phase-0 backwards wait on input gradients from upstream; a deferred weight pass fills each wait.
  for (int i = 0; i < n - h - 1; ++i) {
    w.weight();
    w.backward(0, true);
  }
  // Step 8: the weight passes still owed.
  for (int i = 0; i < h + 1; ++i) w.weight();
  return w.finish();
}

}  // namespace dsim::workloads::schedules::detail
