// SPDX-License-Identifier: Apache-2.0
// The kernel list of docs/calibration.md, parsed and validated into plain specs before any GPU work starts.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dsim::calibration::cuda {

// Bad input: names the file, the JSON pointer and what is wrong ("kernels.json: /kernels/3/m: must be ...").
class InputError : public std::runtime_error {
public:
  InputError(const std::string& source, const std::string& json_path, const std::string& message);
};

enum class KernelKind { gemm, attention_forward, attention_backward, memory };
enum class GemmDtype { fp8, bf16 };

const char* to_string(KernelKind kind);
const char* to_string(GemmDtype dtype);

// D[m x n] = A[m x k] B[k x n] for each of `groups` weight matrices (elements).
struct GemmShape {
  GemmDtype dtype = GemmDtype::bf16;
  std::int64_t groups = 1;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
};

struct KernelSpec {
  KernelKind kind = KernelKind::memory;
  // The entry's key fields copied verbatim from the list (kind first, `count` dropped), in the documented order.
  nlohmann::ordered_json key;
  GemmShape gemm;                // kind == gemm
  std::uint64_t memory_bytes = 0;  // kind == memory: bytes moved, half read and half written
  std::string json_path;         // "/kernels/3", for messages
  std::string label;             // short human name for the progress table
};

struct KernelList {
  std::string file;    // as named on the command line, for messages
  std::string source;  // the list's own `source`
  std::vector<KernelSpec> kernels;
};

// Parses and validates `text`; every problem is an InputError naming `file` and the JSON pointer.
KernelList parse_kernel_list(const std::string& text, const std::string& file);
KernelList read_kernel_list(const std::string& path);

}  // namespace dsim::calibration::cuda
