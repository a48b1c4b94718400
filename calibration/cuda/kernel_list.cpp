// SPDX-License-Identifier: Apache-2.0
// Parses the kernel list: every entry's kind, key fields and ranges are checked here, so that a bad list fails in a
// second with one message instead of minutes into a GPU run.
#include "calibration/cuda/kernel_list.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace dsim::calibration::cuda {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// cuBLASLt and the launch grids index with 32-bit ints; larger dimensions would not fit any GPU's memory anyway.
constexpr std::int64_t kMaxDim = 2147483647;
// 256 TiB: far past any GPU's memory, small enough that bytes / 2 and the vector counts stay exact.
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 48;

struct KindFields {
  KernelKind kind;
  const char* name;
  std::vector<std::string> keys;  // key fields in the documented order, without `kind` and `count`
};

const std::vector<KindFields>& kind_table() {
  static const std::vector<KindFields> table = {
      {KernelKind::gemm, "gemm", {"dtype", "groups", "m", "n", "k"}},
      {KernelKind::attention_forward, "attention_forward",
       {"dtype", "batch", "heads", "kv_heads", "q_len", "kv_len", "qk_dim", "v_dim", "causal"}},
      {KernelKind::attention_backward, "attention_backward",
       {"dtype", "batch", "heads", "kv_heads", "q_len", "kv_len", "qk_dim", "v_dim", "causal"}},
      {KernelKind::memory, "memory", {"bytes"}},
  };
  return table;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

class EntryReader {
public:
  EntryReader(const json& entry, std::string path, const std::string& file)
      : entry_(entry), path_(std::move(path)), file_(file) {}

  const json& field(const std::string& key) const {
    auto it = entry_.find(key);
    if (it == entry_.end()) throw InputError(file_, path_, "missing key '" + key + "'");
    return *it;
  }

  std::int64_t positive(const std::string& key, std::uint64_t max) const {
    const json& v = field(key);
    const std::string at = path_ + "/" + key;
    if (!v.is_number_integer()) throw InputError(file_, at, "must be a positive integer");
    if (!v.is_number_unsigned()) throw InputError(file_, at, "must be a positive integer");
    const auto u = v.get<std::uint64_t>();
    if (u == 0) throw InputError(file_, at, "must be a positive integer");
    if (u > max) throw InputError(file_, at, "must be at most " + std::to_string(max));
    return static_cast<std::int64_t>(u);
  }

  std::string one_of(const std::string& key, const std::vector<std::string>& allowed) const {
    const json& v = field(key);
    const std::string at = path_ + "/" + key;
    if (v.is_string()) {
      for (const auto& a : allowed)
        if (v.get<std::string>() == a) return a;
    }
    throw InputError(file_, at, "must be one of " + join(allowed) + ", not " + v.dump());
  }

  void boolean(const std::string& key) const {
    if (!field(key).is_boolean()) throw InputError(file_, path_ + "/" + key, "must be true or false");
  }

  void only_keys(const std::vector<std::string>& keys) const {
    for (const auto& [k, v] : entry_.items()) {
      bool known = k == "kind" || k == "count";
      for (const auto& key : keys) known = known || k == key;
      if (!known)
        throw InputError(file_, path_, "unknown key '" + k + "'; valid keys: kind, " + join(keys) + ", count");
    }
  }

private:
  const json& entry_;
  std::string path_;
  const std::string& file_;
};

std::string format_bytes(std::uint64_t bytes) {
  std::ostringstream out;
  out.precision(1);
  if (bytes < 1024) out << bytes << " B";
  else if (bytes < 1024 * 1024) out << std::fixed << static_cast<double>(bytes) / 1024.0 << " KiB";
  else out << std::fixed << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return out.str();
}

KernelSpec parse_entry(const json& entry, const std::string& path, const std::string& file) {
  if (!entry.is_object()) throw InputError(file, path, "must be an object");
  auto kind_it = entry.find("kind");
  if (kind_it == entry.end()) throw InputError(file, path, "missing key 'kind'");
  const KindFields* fields = nullptr;
  std::vector<std::string> names;
  for (const auto& k : kind_table()) {
    names.emplace_back(k.name);
    if (kind_it->is_string() && kind_it->get<std::string>() == k.name) fields = &k;
  }
  if (fields == nullptr)
    throw InputError(file, path + "/kind", "unknown kind " + kind_it->dump() + "; valid kinds: " + join(names));

  const EntryReader r(entry, path, file);
  r.only_keys(fields->keys);
  if (entry.contains("count") && !entry["count"].is_number_unsigned())
    throw InputError(file, path + "/count", "must be a non-negative integer");

  KernelSpec spec;
  spec.kind = fields->kind;
  spec.json_path = path;
  spec.key["kind"] = fields->name;
  std::ostringstream label;
  switch (spec.kind) {
    case KernelKind::gemm: {
      const std::string dtype = r.one_of("dtype", {"fp8", "bf16"});
      spec.gemm.dtype = dtype == "fp8" ? GemmDtype::fp8 : GemmDtype::bf16;
      spec.gemm.groups = r.positive("groups", 1u << 20);
      spec.gemm.m = r.positive("m", kMaxDim);
      spec.gemm.n = r.positive("n", kMaxDim);
      spec.gemm.k = r.positive("k", kMaxDim);
      label << "gemm " << dtype << ' ';
      if (spec.gemm.groups > 1) label << spec.gemm.groups << "x ";
      label << spec.gemm.m << 'x' << spec.gemm.n << 'x' << spec.gemm.k;
      break;
    }
    case KernelKind::attention_forward:
    case KernelKind::attention_backward: {
      r.one_of("dtype", {"bf16", "fp8"});
      for (const char* key : {"batch", "heads", "kv_heads", "q_len", "kv_len", "qk_dim", "v_dim"})
        r.positive(key, kMaxDim);
      r.boolean("causal");
      if (r.positive("heads", kMaxDim) % r.positive("kv_heads", kMaxDim) != 0)
        throw InputError(file, path + "/kv_heads", "must divide heads");
      label << fields->name << " h" << entry["heads"] << '/' << entry["kv_heads"] << " q" << entry["q_len"] << " kv"
            << entry["kv_len"];
      break;
    }
    case KernelKind::memory:
      spec.memory_bytes = static_cast<std::uint64_t>(r.positive("bytes", kMaxBytes));
      label << "memory " << format_bytes(spec.memory_bytes);
      break;
  }
  for (const auto& key : fields->keys) spec.key[key] = entry[key];
  spec.label = label.str();
  return spec;
}

}  // namespace

InputError::InputError(const std::string& source, const std::string& json_path, const std::string& message)
    : std::runtime_error(source + ": " + (json_path.empty() ? "" : json_path + ": ") + message) {}

const char* to_string(KernelKind kind) {
  for (const auto& k : kind_table())
    if (k.kind == kind) return k.name;
  return "?";
}

const char* to_string(GemmDtype dtype) { return dtype == GemmDtype::fp8 ? "fp8" : "bf16"; }

KernelList parse_kernel_list(const std::string& text, const std::string& file) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " tag; its message already gives line and column.
    std::string what = e.what();
    const auto tag_end = what.find("] ");
    throw InputError(file, "", tag_end == std::string::npos ? what : what.substr(tag_end + 2));
  }
  if (!doc.is_object()) throw InputError(file, "", "must be a JSON object");
  for (const auto& [k, v] : doc.items()) {
    if (k != "format" && k != "version" && k != "source" && k != "kernels")
      throw InputError(file, "/" + k, "unknown key; valid keys: format, version, source, kernels");
  }
  if (!doc.contains("format") || doc["format"] != "dsim-kernel-list")
    throw InputError(file, "/format", "must be \"dsim-kernel-list\" (is this a kernel list?)");
  if (!doc.contains("version") || doc["version"] != 1) throw InputError(file, "/version", "must be 1");
  if (!doc.contains("source") || !doc["source"].is_string()) throw InputError(file, "/source", "must be a string");
  if (!doc.contains("kernels") || !doc["kernels"].is_array()) throw InputError(file, "/kernels", "must be an array");

  KernelList list;
  list.file = file;
  list.source = doc["source"].get<std::string>();
  std::map<std::string, std::string> seen;  // key dump -> path of its first entry
  for (std::size_t i = 0; i < doc["kernels"].size(); ++i) {
    const std::string path = "/kernels/" + std::to_string(i);
    KernelSpec spec = parse_entry(doc["kernels"][i], path, file);
    auto [it, inserted] = seen.emplace(spec.key.dump(), path);
    if (!inserted) throw InputError(file, path, "same key as " + it->second + "; a table holds each key once");
    list.kernels.push_back(std::move(spec));
  }
  return list;
}

KernelList read_kernel_list(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path, "", "cannot read the file");
  return parse_kernel_list(text.str(), path);
}

}  // namespace dsim::calibration::cuda
