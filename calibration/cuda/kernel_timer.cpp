// SPDX-License-Identifier: Apache-2.0
// Graph-based kernel timing; see kernel_timer.hpp.
#include "calibration/cuda/kernel_timer.hpp"

#include <algorithm>
#include <memory>
#include <cmath>
#include <vector>

#include "calibration/cuda/cuda_check.hpp"

namespace dsim::calibration::cuda {
namespace {

// Graph replays beyond this many launches add capture time without improving the sample.
constexpr int kMaxInner = 4096;

class Events {
public:
  Events(std::size_t count, const std::string& context) : events_(count, nullptr), context_(context) {
    for (auto& e : events_) DSIM_CUDA_CALL(cudaEventCreate(&e), context_);
  }
  ~Events() {
    for (auto e : events_)
      if (e != nullptr) cudaEventDestroy(e);
  }
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;
  cudaEvent_t operator[](std::size_t i) const { return events_[i]; }

  double elapsed_us(std::size_t from, std::size_t to) const {
    float ms = 0;
    DSIM_CUDA_CALL(cudaEventElapsedTime(&ms, events_[from], events_[to]), context_);
    return static_cast<double>(ms) * 1000.0;
  }

private:
  std::vector<cudaEvent_t> events_;
  const std::string& context_;
};

class Graph {
public:
  Graph(const LaunchFn& launch, int copies, int inner, cudaStream_t stream, const std::string& context)
      : context_(context) {
    DSIM_CUDA_CALL(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), context_);
    try {
      for (int i = 0; i < inner; ++i) launch(i % copies, stream);
    } catch (...) {
      cudaGraph_t broken = nullptr;
      cudaStreamEndCapture(stream, &broken);
      if (broken != nullptr) cudaGraphDestroy(broken);
      throw;
    }
    DSIM_CUDA_CALL(cudaStreamEndCapture(stream, &graph_), context_);
    DSIM_CUDA_CALL(cudaGraphInstantiate(&exec_, graph_, 0), context_);
  }
  ~Graph() {
    if (exec_ != nullptr) cudaGraphExecDestroy(exec_);
    if (graph_ != nullptr) cudaGraphDestroy(graph_);
  }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  void launch(cudaStream_t stream) const { DSIM_CUDA_CALL(cudaGraphLaunch(exec_, stream), context_); }

private:
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
  const std::string& context_;
};

}  // namespace

Timing time_kernel(const LaunchFn& launch, int copies, const TimingOptions& options, cudaStream_t stream,
                   const std::string& context) {
  copies = std::max(copies, 1);
  // Eager warm-up: loads modules and lets the library settle before anything is captured.
  for (int i = 0; i < std::max(options.warmup, 1); ++i) launch(i % copies, stream);
  DSIM_CUDA_CALL(cudaGetLastError(), context);

  // A first guess of `inner` from a short eager burst (launch gaps make it long, so `inner` may come out short),
  // then the graph itself is timed and rebuilt larger until one sample lasts min_sample_us.
  constexpr int kProbe = 4;
  Events probe(2, context);
  DSIM_CUDA_CALL(cudaEventRecord(probe[0], stream), context);
  for (int i = 0; i < kProbe; ++i) launch(i % copies, stream);
  DSIM_CUDA_CALL(cudaEventRecord(probe[1], stream), context);
  DSIM_CUDA_CALL(cudaStreamSynchronize(stream), context);
  const auto rounded_inner = [&](double wanted) {
    const int n = std::clamp(static_cast<int>(std::ceil(wanted)), 1, kMaxInner);
    return (n + copies - 1) / copies * copies;
  };
  int inner = rounded_inner(options.min_sample_us / std::max(probe.elapsed_us(0, 1) / kProbe, 0.5));
  auto graph = std::make_unique<Graph>(launch, copies, inner, stream, context);
  for (int attempt = 0; attempt < 4; ++attempt) {
    graph->launch(stream);  // the first launch uploads the graph; untimed
    DSIM_CUDA_CALL(cudaEventRecord(probe[0], stream), context);
    graph->launch(stream);
    DSIM_CUDA_CALL(cudaEventRecord(probe[1], stream), context);
    DSIM_CUDA_CALL(cudaStreamSynchronize(stream), context);
    const double sample_us = probe.elapsed_us(0, 1);
    if (sample_us >= options.min_sample_us || inner >= kMaxInner) break;
    inner = rounded_inner(1.2 * inner * options.min_sample_us / std::max(sample_us, 0.1));
    graph = std::make_unique<Graph>(launch, copies, inner, stream, context);
  }

  const int repeats = std::max(options.repeats, 1);
  Events marks(static_cast<std::size_t>(repeats) * 2, context);
  for (int r = 0; r < repeats; ++r) {
    DSIM_CUDA_CALL(cudaEventRecord(marks[2 * static_cast<std::size_t>(r)], stream), context);
    graph->launch(stream);
    DSIM_CUDA_CALL(cudaEventRecord(marks[2 * static_cast<std::size_t>(r) + 1], stream), context);
    if (options.while_busy) options.while_busy();
  }
  DSIM_CUDA_CALL(cudaStreamSynchronize(stream), context);
  DSIM_CUDA_CALL(cudaGetLastError(), context);

  std::vector<double> samples;
  for (std::size_t r = 0; r < static_cast<std::size_t>(repeats); ++r)
    samples.push_back(marks.elapsed_us(2 * r, 2 * r + 1) / inner);
  std::sort(samples.begin(), samples.end());
  const std::size_t mid = samples.size() / 2;
  Timing t;
  t.median_us = samples.size() % 2 == 1 ? samples[mid] : 0.5 * (samples[mid - 1] + samples[mid]);
  t.min_us = samples.front();
  t.max_us = samples.back();
  t.inner = inner;
  return t;
}

}  // namespace dsim::calibration::cuda
