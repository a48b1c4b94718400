// SPDX-License-Identifier: Apache-2.0
#include "calibration/kernel_json.hpp"

#include <set>

#include <fmt/format.h>

#include "sim/core/errors.hpp"

namespace dsim::calibration {
namespace {

using nlohmann::json;

// Where a field is: a JSON pointer below `pointer`, or a CSV column when `pointer` names a line ("line 7").
std::string field_place(const std::string& pointer, const char* key) {
  if (pointer.starts_with("line ")) return fmt::format("{}, column {}", pointer, key);
  return fmt::format("{}/{}", pointer, key);
}

InputError bad(const std::string& source, const std::string& pointer, const char* key, std::string message) {
  return InputError(source, field_place(pointer, key), std::move(message));
}

const json& field(const json& entry, const char* key, const std::string& source, const std::string& pointer) {
  const auto it = entry.find(key);
  if (it == entry.end()) throw InputError(source, pointer, fmt::format("missing '{}'", key));
  return *it;
}

std::int64_t positive_integer(const json& entry, const char* key, const std::string& source,
                              const std::string& pointer) {
  const json& v = field(entry, key, source, pointer);
  if (!v.is_number_integer() || v.get<std::int64_t>() <= 0) {
    throw bad(source, pointer, key, fmt::format("must be a positive integer, not {}", v.dump()));
  }
  return v.get<std::int64_t>();
}

Dtype dtype_of(const json& entry, const std::string& source, const std::string& pointer) {
  const json& v = field(entry, "dtype", source, pointer);
  const auto d = v.is_string() ? parse_dtype(v.get<std::string>()) : std::nullopt;
  if (!d) throw bad(source, pointer, "dtype", fmt::format("must be one of fp8, bf16, fp32, not {}", v.dump()));
  return *d;
}

}  // namespace

nlohmann::ordered_json shape_json(const KernelShape& s) {
  nlohmann::ordered_json j;
  j["kind"] = std::string(to_string(s.kind));
  switch (s.kind) {
    case KernelKind::gemm:
      j["dtype"] = std::string(to_string(s.dtype));
      j["groups"] = s.groups;
      j["m"] = s.m;
      j["n"] = s.n;
      j["k"] = s.k;
      break;
    case KernelKind::attention_forward:
    case KernelKind::attention_backward:
      j["dtype"] = std::string(to_string(s.dtype));
      j["batch"] = s.batch;
      j["heads"] = s.heads;
      j["kv_heads"] = s.kv_heads;
      j["q_len"] = s.q_len;
      j["kv_len"] = s.kv_len;
      j["qk_dim"] = s.qk_dim;
      j["v_dim"] = s.v_dim;
      j["causal"] = s.causal;
      break;
    case KernelKind::memory:
      j["bytes"] = s.bytes;
      break;
  }
  return j;
}

KernelShape read_shape(const json& entry, const std::string& source, const std::string& pointer) {
  if (!entry.is_object()) throw InputError(source, pointer, "a kernel must be a JSON object");
  const json& kind_field = field(entry, "kind", source, pointer);
  const auto kind = kind_field.is_string() ? parse_kernel_kind(kind_field.get<std::string>()) : std::nullopt;
  if (!kind) {
    throw bad(source, pointer, "kind",
              fmt::format("must be one of gemm, attention_forward, attention_backward, memory, not {}",
                          kind_field.dump()));
  }
  const auto count = [&](const char* key) { return positive_integer(entry, key, source, pointer); };
  switch (*kind) {
    case KernelKind::gemm:
      return gemm_shape(dtype_of(entry, source, pointer), count("groups"), count("m"), count("n"), count("k"));
    case KernelKind::attention_forward:
    case KernelKind::attention_backward: {
      const json& causal = field(entry, "causal", source, pointer);
      if (!causal.is_boolean()) throw bad(source, pointer, "causal", "must be true or false");
      const KernelShape s = attention_shape(*kind == KernelKind::attention_backward, dtype_of(entry, source, pointer),
                                            count("batch"), count("heads"), count("kv_heads"), count("q_len"),
                                            count("kv_len"), count("qk_dim"), count("v_dim"), causal.get<bool>());
      if (s.heads % s.kv_heads != 0) {
        throw bad(source, pointer, "kv_heads",
                  fmt::format("{} heads do not share {} key/value heads evenly", s.heads, s.kv_heads));
      }
      return s;
    }
    case KernelKind::memory:
      return memory_shape(static_cast<std::uint64_t>(count("bytes")));
  }
  throw InputError(source, pointer, "unknown kernel kind");
}

double read_positive(const json& entry, const char* key, const std::string& source, const std::string& pointer) {
  const json& v = field(entry, key, source, pointer);
  // Times are microseconds: anything past 1e12 (11 days) is a unit mistake, and would overflow picoseconds.
  if (!v.is_number() || !(v.get<double>() > 0.0) || !(v.get<double>() <= 1e12)) {
    throw bad(source, pointer, key, fmt::format("must be a positive number up to 1e12, not {}", v.dump()));
  }
  return v.get<double>();
}

void check_entry_keys(const json& entry, const KernelShape& shape, const std::set<std::string>& extra,
                      const std::string& source, const std::string& pointer) {
  const auto used = shape_json(shape);  // the kind's key fields, in file order
  for (const auto& [key, value] : entry.items()) {
    if (used.contains(key) || extra.contains(key)) continue;
    std::string allowed;
    for (const auto& [k, v] : used.items()) allowed += k + ", ";
    for (const auto& k : extra) allowed += k + ", ";
    allowed.resize(allowed.size() - 2);
    throw InputError(source, field_place(pointer, key.c_str()),
                     fmt::format("not a field of a {} entry; its fields are {}", to_string(shape.kind), allowed));
  }
}

}  // namespace dsim::calibration
