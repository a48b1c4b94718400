// SPDX-License-Identifier: Apache-2.0
// The command line of dsim-calibrate; see --help. Input is validated before the GPU is touched.
#include "calibration/cuda/cli.hpp"

#include <charconv>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "calibration/cuda/builtin_v3_list.hpp"
#include "calibration/cuda/calibrator.hpp"
#include "calibration/cuda/cuda_check.hpp"
#include "calibration/cuda/device_info.hpp"
#include "calibration/cuda/gpu_context.hpp"
#include "calibration/cuda/kernel_list.hpp"
#include "calibration/cuda/self_check.hpp"
#include "calibration/cuda/table_writer.hpp"

namespace dsim::calibration::cuda {
namespace {

constexpr const char* kUsage = R"(usage: dsim-calibrate (--kernels LIST.json | --builtin v3) --out TABLE.json [options]
       dsim-calibrate --self-test [--device I]

Times the GEMM and memory kernels of a dsim kernel list on a CUDA GPU and writes a kernel table
(docs/calibration.md). Attention kernels are left to calibration/cuda/time_attention.py.

  --kernels LIST.json  the kernel list to time (dsim kernels SCENARIO --json)
  --builtin v3         the list compiled in from calibration/lists/v3.json
  --out TABLE.json     the kernel table to write (atomically: a temporary file, then a rename)
  --warmup N           untimed runs before each kernel's samples (default 10)
  --repeats N          timed samples per kernel; the table keeps their median (default 30)
  --device I           CUDA device index (default 0)
  --only KIND          time only `gemm` or only `memory` kernels
  --self-test          check cuBLASLt's GEMMs against a reference and exit
  --help               print this text

Exit codes: 0 done; 1 self-check failed, CUDA error or a kernel not timed; 2 bad input;
3 no CUDA GPU (77 for --self-test, CTest's skip code).
)";

struct Args {
  std::string kernels;
  std::string builtin;
  std::string out;
  int warmup = 10;
  int repeats = 30;
  int device = 0;
  std::optional<KernelKind> only;
  bool self_test = false;
  bool help = false;
};

int parse_int(const std::string& option, const std::string& text, int min) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min)
    throw UsageError(option + ": must be an integer of at least " + std::to_string(min) + ", not '" + text + "'");
  return value;
}

Args parse_args(int argc, char** argv) {
  Args args;
  std::vector<std::string> words(argv + 1, argv + argc);
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string option = words[i];
    std::optional<std::string> inline_value;
    if (const auto eq = option.find('='); option.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = option.substr(eq + 1);
      option = option.substr(0, eq);
    }
    const auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= words.size()) throw UsageError(option + ": needs a value; see --help");
      return words[++i];
    };
    if (option == "--help" || option == "-h") args.help = true;
    else if (option == "--self-test") args.self_test = true;
    else if (option == "--kernels") args.kernels = value();
    else if (option == "--builtin") args.builtin = value();
    else if (option == "--out") args.out = value();
    else if (option == "--warmup") args.warmup = parse_int(option, value(), 0);
    else if (option == "--repeats") args.repeats = parse_int(option, value(), 1);
    else if (option == "--device") args.device = parse_int(option, value(), 0);
    else if (option == "--only") {
      const std::string kind = value();
      if (kind == "gemm") args.only = KernelKind::gemm;
      else if (kind == "memory") args.only = KernelKind::memory;
      else throw UsageError("--only: must be gemm or memory, not '" + kind + "'");
    } else {
      throw UsageError("unknown option '" + words[i] + "'; see --help");
    }
  }
  if (args.help || args.self_test) return args;
  if (args.kernels.empty() == args.builtin.empty())
    throw UsageError("give exactly one of --kernels LIST.json and --builtin v3; see --help");
  if (!args.builtin.empty() && args.builtin != "v3")
    throw UsageError("--builtin: the only built-in list is 'v3', not '" + args.builtin + "'");
  if (args.out.empty()) throw UsageError("--out TABLE.json is required; see --help");
  return args;
}

void open_gpu(const Args& args) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    const std::string why = status != cudaSuccess ? cudaGetErrorString(status) : "no device";
    throw NoGpuError("no CUDA GPU (" + why + ")" + (args.self_test ? "; self-test skipped" : ""), args.self_test);
  }
  if (args.device >= count)
    throw UsageError("--device: " + std::to_string(args.device) + " is out of range; this machine has " +
                     std::to_string(count) + " CUDA device(s)");
}

std::string self_check_note(const SelfCheckReport& report) {
  int passed = 0;
  std::string refused;
  for (const auto& r : report.results) {
    if (r.supported) ++passed;
    else refused += (refused.empty() ? "" : ", ") + r.name;
  }
  std::string note = "self-check: " + std::to_string(passed) + " GEMM cases matched an FP32 reference within " +
                     "1e-2 relative Frobenius error";
  if (!refused.empty()) note += "; not supported by this cuBLASLt: " + refused;
  return note;
}

}  // namespace

int run_cli(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  if (args.help) {
    std::cout << kUsage;
    return 0;
  }
  std::optional<KernelList> list;
  if (!args.self_test) {
    list = args.builtin.empty() ? read_kernel_list(args.kernels)
                                : parse_kernel_list(kBuiltinV3List, "builtin v3 (" + std::string(kBuiltinV3Path) + ")");
    check_output_folder(args.out);
  }
  open_gpu(args);
  const GpuContext gpu(args.device);
  char bus_id[32] = {};
  DSIM_CUDA_CALL(cudaDeviceGetPCIBusId(bus_id, sizeof(bus_id), args.device), "device query");
  NvmlReader nvml(bus_id);
  const DeviceInfo info = query_device(args.device, nvml);
  std::cout << "device " << args.device << ": " << info.name << ", " << info.sms << " SMs, L2 " << (info.l2_bytes >> 20)
            << " MiB, driver " << info.driver << ", CUDA runtime " << info.cuda_runtime << ", cuBLASLt "
            << info.cublaslt << std::endl;

  const SelfCheckReport report = run_self_check(gpu, std::cout);
  if (!report.passed()) throw SelfCheckFailed("the GEMM self-check failed; no timing is trustworthy");
  if (args.self_test) {
    std::cout << "self-test passed\n";
    return 0;
  }

  CalibrationOptions options;
  options.timing.warmup = args.warmup;
  options.timing.repeats = args.repeats;
  options.only = args.only;
  Calibrator calibrator(gpu, nvml, options);
  CalibrationSummary summary;
  const auto entries = calibrator.run(*list, std::cout, summary);

  Provenance provenance;
  provenance.warmup = args.warmup;
  provenance.repeats = args.repeats;
  provenance.kernel_list = list->source;
  provenance.notes = clock_note(info, nvml) + ". " + self_check_note(report) +
                     ". Attention entries, if any, are added by time_attention.py.";
  write_atomically(args.out, make_table(device_json(info, nvml), provenance, entries).dump(2) + "\n");

  std::cout << "timed " << summary.gemm << " gemm and " << summary.memory << " memory kernels; "
            << summary.attention << " attention kernels left to time_attention.py";
  if (summary.skipped > 0) std::cout << "; " << summary.skipped << " left out by --only";
  std::cout << "; wrote " << args.out << std::endl;
  if (!summary.failures.empty()) {
    std::string all;
    for (const auto& f : summary.failures) all += "\n  " + f;
    throw KernelsNotTimed(std::to_string(summary.failures.size()) + " kernel(s) not timed (the table has the rest):" +
                          all);
  }
  return 0;
}

}  // namespace dsim::calibration::cuda
