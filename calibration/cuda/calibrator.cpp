// SPDX-License-Identifier: Apache-2.0
// Per-kind measurement: operand setup, L2 rotation, cuBLASLt fallbacks, and the entry each kernel yields.
#include "calibration/cuda/calibrator.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "calibration/cuda/device_buffer.hpp"
#include "calibration/cuda/device_kernels.hpp"
#include "calibration/cuda/gemm_plan.hpp"

namespace dsim::calibration::cuda {
namespace {

// A kernel that cannot be timed (no configuration ran, too large for the GPU); the run goes on without it.
class KernelSkipped : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

constexpr int kLabelWidth = 40;

std::size_t round_up(std::size_t a, std::size_t b) { return (a + b - 1) / b * b; }

// x to `digits` decimals; dividing by a power of ten gives the double nearest the decimal, so JSON shows it short.
double rounded(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

std::string describe(ScaleMode scale, GroupMode group, std::int64_t groups) {
  std::string s = scale == ScaleMode::block        ? "cublaslt e4m3 block scales (vec128 x blk128x128)"
                  : scale == ScaleMode::per_tensor ? "cublaslt e4m3 per-tensor scales"
                                                   : "cublaslt bf16";
  if (group == GroupMode::strided_batch) s += ", strided batch of " + std::to_string(groups);
  if (group == GroupMode::loop) s += ", " + std::to_string(groups) + " matmuls in one graph";
  return s;
}

void fill_gemm_operands(const GemmOperands& ops, const GemmShape& s, ScaleMode scale, std::uint64_t seed,
                        cudaStream_t stream, const std::string& ctx) {
  const GemmStrides st = group_strides(s, scale);
  const auto groups = static_cast<std::size_t>(s.groups);
  const auto fill = s.dtype == GemmDtype::fp8 ? fill_e4m3 : fill_bf16;
  DSIM_CUDA_CALL(fill(ops.a, groups * st.a, seed + 1, stream), ctx);
  DSIM_CUDA_CALL(fill(ops.b, groups * st.b, seed + 2, stream), ctx);
  if (scale == ScaleMode::none) return;
  DSIM_CUDA_CALL(fill_f32(ops.a_scale, groups * st.a_scale, seed + 3, 0.5f, 2.0f, stream), ctx);
  DSIM_CUDA_CALL(fill_f32(ops.b_scale, groups * st.b_scale, seed + 4, 0.5f, 2.0f, stream), ctx);
}

std::string format_row(const std::string& label, double time_us, double rate, const char* unit,
                       const std::string& method) {
  std::ostringstream row;
  row << "  " << std::left << std::setw(kLabelWidth) << label << ' ' << std::right << std::fixed << std::setprecision(2)
      << std::setw(12) << time_us << " us" << std::setprecision(1) << std::setw(10) << rate << ' ' << std::left
      << std::setw(7) << unit << method;
  return row.str();
}

}  // namespace

Calibrator::Calibrator(const GpuContext& gpu, NvmlReader& clocks, CalibrationOptions options)
    : gpu_(gpu), clocks_(clocks), options_(std::move(options)) {
  // The clocks the kernels ran at: read while the timed samples run, not after (an idle GPU reads its top clock).
  options_.timing.while_busy = [this] { clocks_.sample(); };
}

int Calibrator::copies_for(std::size_t footprint) const {
  // Inputs a real step reads come from HBM, not from L2: below twice the L2 size, rotate among enough copies that
  // one sample's working set exceeds it (twice, because L2 keeps part of what it saw across a sample).
  // At most kMaxCopies: a kernel under 2 x L2 / kMaxCopies (0.8 MB on an H100) is bound by its launch, not by where
  // its few bytes come from.
  constexpr std::size_t kMaxCopies = 128;
  const std::size_t target = 2 * gpu_.l2_bytes();
  if (footprint == 0 || footprint >= target) return 1;
  return static_cast<int>(std::min((target + footprint - 1) / footprint, kMaxCopies));
}

void Calibrator::check_fits(std::size_t bytes, const std::string& context) const {
  std::size_t free_bytes = 0, total = 0;
  DSIM_CUDA_CALL(cudaMemGetInfo(&free_bytes, &total), context);
  // Keep 1 GiB back for cuBLASLt and the CUDA graph.
  if (bytes + (std::size_t{1} << 30) > free_bytes)
    throw KernelSkipped("needs " + std::to_string(bytes >> 20) + " MiB of GPU memory, " +
                        std::to_string(free_bytes >> 20) + " MiB are free");
}

nlohmann::ordered_json Calibrator::time_gemm(const KernelSpec& spec, std::uint64_t seed) {
  const GemmShape& s = spec.gemm;
  const std::vector<ScaleMode> scales = s.dtype == GemmDtype::fp8
                                            ? std::vector<ScaleMode>{ScaleMode::block, ScaleMode::per_tensor}
                                            : std::vector<ScaleMode>{ScaleMode::none};
  const std::vector<GroupMode> group_modes =
      s.groups > 1 ? std::vector<GroupMode>{GroupMode::strided_batch, GroupMode::loop}
                   : std::vector<GroupMode>{GroupMode::single};
  // cuBLASLt's FP8 kernels refuse some dimensions (seen with cuBLASLt 13.1 on an H100: m = 37 and m = 300 refused,
  // m = 4104 accepted), and an expert's busiest row count can be anything. A refused shape runs with its dimensions
  // padded to multiples of 16, as the real kernels pad to their tiles. V3's scaling comes first, padded or not.
  GemmShape padded = s;
  padded.m = static_cast<std::int64_t>(round_up(static_cast<std::size_t>(s.m), 16));
  padded.n = static_cast<std::int64_t>(round_up(static_cast<std::size_t>(s.n), 16));
  padded.k = static_cast<std::int64_t>(round_up(static_cast<std::size_t>(s.k), 16));
  std::vector<GemmShape> shapes = {s};
  if (padded.m != s.m || padded.n != s.n || padded.k != s.k) shapes.push_back(padded);

  std::string refusals;  // why earlier configurations were passed over, for `method`
  for (ScaleMode scale : scales) {
    for (const GemmShape& shape : shapes) {
      for (GroupMode group : group_modes) {
        if (auto entry = try_gemm(spec, shape, scale, group, seed, refusals)) return *entry;
      }
    }
  }
  throw KernelSkipped("no cuBLASLt configuration ran: " + refusals);
}

std::optional<nlohmann::ordered_json> Calibrator::try_gemm(const KernelSpec& spec, const GemmShape& s,
                                                           ScaleMode scale, GroupMode group, std::uint64_t seed,
                                                           std::string& refusals) {
  const std::string& ctx = spec.label;
  std::string what = describe(scale, group, s.groups);
  const bool padded = s.m != spec.gemm.m || s.n != spec.gemm.n || s.k != spec.gemm.k;
  if (padded) {
    what += ", run as " + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) +
            " (dimensions padded to multiples of 16)";
  }
  const auto refuse = [&](const std::string& why) {
    refusals += (refusals.empty() ? "" : "; ") + what + " refused: " + why;
    return std::nullopt;
  };
  GemmPlan plan(gpu_.handle(), s, scale, group, gpu_.workspace(), GpuContext::kWorkspaceBytes, 3, ctx);
  if (plan.algorithm_count() == 0) return refuse(plan.refusal());

  const std::size_t footprint = round_up(operand_bytes(s, scale), 256);
  const int copies = copies_for(footprint);
  check_fits(footprint * static_cast<std::size_t>(copies), ctx);
  const DeviceBuffer buffer(footprint * static_cast<std::size_t>(copies), ctx);
  std::vector<GemmOperands> ops;
  for (int c = 0; c < copies; ++c) {
    ops.push_back(carve_operands(static_cast<char*>(buffer.get()) + footprint * static_cast<std::size_t>(c), s, scale));
    fill_gemm_operands(ops.back(), s, scale, seed + 16 * static_cast<std::uint64_t>(c), gpu_.stream(), ctx);
  }

  const auto launch = [&](int c, cudaStream_t stream) { plan.enqueue(ops[static_cast<std::size_t>(c)], stream); };
  // The heuristic's order is a prediction: time each candidate the library accepts briefly, keep the fastest.
  int best = -1, ran = 0;
  double best_us = 0;
  cublasStatus_t last_refusal = CUBLAS_STATUS_SUCCESS;
  const TimingOptions quick{2, 5, options_.timing.min_sample_us, {}};  // choosing an algorithm: no clock readings
  for (int a = 0; a < plan.algorithm_count(); ++a) {
    plan.select_algorithm(a);
    const cublasStatus_t trial = plan.try_enqueue(ops[0], gpu_.stream());
    if (trial != CUBLAS_STATUS_SUCCESS) {
      last_refusal = trial;
      continue;
    }
    DSIM_CUDA_CALL(cudaStreamSynchronize(gpu_.stream()), ctx);
    ++ran;
    const double us =
        plan.algorithm_count() > 1 ? time_kernel(launch, copies, quick, gpu_.stream(), ctx).median_us : 0.0;
    if (best < 0 || us < best_us) {
      best = a;
      best_us = us;
    }
  }
  if (best < 0) return refuse(std::string("cublasLtMatmul ") + cublasLtGetStatusName(last_refusal));
  plan.select_algorithm(best);
  const Timing t = time_kernel(launch, copies, options_.timing, gpu_.stream(), ctx);

  std::string method = what;
  method += ran > 1 ? ", fastest of " + std::to_string(ran) + " heuristic algorithms (#" + std::to_string(best + 1) +
                          " in its order)"
                    : ", the heuristic's algorithm";
  if (copies > 1) method += ", " + std::to_string(copies) + " input copies rotated against L2";
  if (!refusals.empty()) method += " [" + refusals + "]";
  // TFLOPS count the listed shape's useful work, padding excluded.
  const GemmShape& listed = spec.gemm;
  const double flops = 2.0 * static_cast<double>(listed.groups) * static_cast<double>(listed.m) *
                       static_cast<double>(listed.n) * static_cast<double>(listed.k);
  nlohmann::ordered_json entry = spec.key;
  entry["time_us"] = rounded(t.median_us, 3);
  entry["min_us"] = rounded(t.min_us, 3);
  entry["max_us"] = rounded(t.max_us, 3);
  entry["method"] = method;
  entry["tflops"] = rounded(flops / (t.median_us * 1e-6) / 1e12, 1);
  return entry;
}

nlohmann::ordered_json Calibrator::time_memory(const KernelSpec& spec, std::uint64_t seed) {
  const std::string& ctx = spec.label;
  const std::size_t half = spec.memory_bytes / 2;  // read this many bytes, write as many
  const std::size_t slot = round_up(half, 256);
  const int copies = copies_for(2 * half);
  check_fits(2 * slot * static_cast<std::size_t>(copies), ctx);
  const DeviceBuffer buffer(2 * slot * static_cast<std::size_t>(copies), ctx);
  auto* base = static_cast<char*>(buffer.get());
  DSIM_CUDA_CALL(fill_bf16(base, slot * static_cast<std::size_t>(copies) / 2, seed, gpu_.stream()), ctx);
  // Enough blocks to keep every SM's memory pipeline busy; the grid-stride loop covers the rest.
  const std::size_t vectors = half / 16;
  const int blocks = static_cast<int>(
      std::clamp<std::size_t>((vectors + 255) / 256, 1, static_cast<std::size_t>(gpu_.sms()) * 16));
  const auto launch = [&](int c, cudaStream_t stream) {
    const std::size_t in = slot * static_cast<std::size_t>(c);
    const std::size_t out = slot * static_cast<std::size_t>(copies + c);
    DSIM_CUDA_CALL(launch_elementwise(base + in, base + out, half, blocks, stream), ctx);
  };
  const Timing t = time_kernel(launch, copies, options_.timing, gpu_.stream(), ctx);
  std::string method = "elementwise read+write";
  if (copies > 1) method += ", " + std::to_string(copies) + " input copies rotated against L2";
  nlohmann::ordered_json entry = spec.key;
  entry["time_us"] = rounded(t.median_us, 3);
  entry["min_us"] = rounded(t.min_us, 3);
  entry["max_us"] = rounded(t.max_us, 3);
  entry["method"] = method;
  entry["GBps"] = rounded(static_cast<double>(spec.memory_bytes) / (t.median_us * 1e-6) / 1e9, 1);
  return entry;
}

std::vector<nlohmann::ordered_json> Calibrator::run(const KernelList& list, std::ostream& out,
                                                    CalibrationSummary& summary) {
  std::vector<nlohmann::ordered_json> entries;
  out << "  " << std::left << std::setw(kLabelWidth) << "kernel" << std::right << std::setw(16) << "median"
      << std::setw(18) << "rate" << "  method\n";
  std::uint64_t seed = 0xd51ca1;  // fixed: the same list times the same data
  for (const KernelSpec& spec : list.kernels) {
    seed += 0x10000;
    const bool attention = spec.kind == KernelKind::attention_forward || spec.kind == KernelKind::attention_backward;
    if (attention) {
      ++summary.attention;
      out << "  " << std::left << std::setw(kLabelWidth) << spec.label << " left to time_attention.py\n";
      continue;
    }
    if (options_.only && *options_.only != spec.kind) {
      ++summary.skipped;
      continue;
    }
    try {
      nlohmann::ordered_json entry = spec.kind == KernelKind::gemm ? time_gemm(spec, seed) : time_memory(spec, seed);
      const bool gemm = spec.kind == KernelKind::gemm;
      out << format_row(spec.label, entry["time_us"].get<double>(),
                        gemm ? entry["tflops"].get<double>() : entry["GBps"].get<double>(), gemm ? "TFLOPS" : "GB/s",
                        entry["method"].get<std::string>())
          << std::endl;
      ++(gemm ? summary.gemm : summary.memory);
      entries.push_back(std::move(entry));
    } catch (const KernelSkipped& e) {
      summary.failures.push_back(list.file + ": " + spec.json_path + " (" + spec.label + "): " + e.what());
      out << "  " << std::left << std::setw(kLabelWidth) << spec.label << " NOT TIMED: " << e.what() << std::endl;
    } catch (const CudaError& e) {
      // One kernel's failure (out of memory, a refused descriptor) must not lose the others' times: record it and go
      // on. A sticky error fails every later kernel the same way; the table still keeps those timed before it.
      cudaGetLastError();
      summary.failures.push_back(list.file + ": " + spec.json_path + " (" + spec.label + "): " + e.what());
      out << "  " << std::left << std::setw(kLabelWidth) << spec.label << " NOT TIMED: " << e.what() << std::endl;
    }
  }
  return entries;
}

}  // namespace dsim::calibration::cuda
