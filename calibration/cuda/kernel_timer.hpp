// SPDX-License-Identifier: Apache-2.0
// Times one kernel: untimed warm-up runs, then `repeats` samples, each a CUDA graph of `inner` back-to-back launches
// (inputs rotated among copies) timed with CUDA events and divided by `inner`; median, min and max. Graphs shrink
// the gaps between launches, events read the GPU's own clock, and the median resists the odd slow sample.
#pragma once

#include <functional>
#include <string>

#include <cuda_runtime_api.h>

namespace dsim::calibration::cuda {

struct Timing {
  double median_us = 0;
  double min_us = 0;
  double max_us = 0;
  int inner = 0;  // launches per sample
};

struct TimingOptions {
  int warmup = 10;
  int repeats = 30;
  // A sample lasts at least this long, so event resolution (~0.5 us) and graph launch cost stay under 1%.
  double min_sample_us = 200;
  // Called while the timed samples run (after each is enqueued, so the GPU is busy): clock sampling.
  std::function<void()> while_busy;
};

// `launch(copy, stream)` enqueues one kernel instance on input copy `copy` (0 <= copy < copies). Launch i of a
// sample uses copy i % copies, and `inner` is a multiple of `copies`, so every sample touches every copy alike.
using LaunchFn = std::function<void(int copy, cudaStream_t stream)>;

Timing time_kernel(const LaunchFn& launch, int copies, const TimingOptions& options, cudaStream_t stream,
                   const std::string& context);

}  // namespace dsim::calibration::cuda
