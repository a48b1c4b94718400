// SPDX-License-Identifier: Apache-2.0
// Kernel table files: a valid table reads back with its device and entries; each kind of bad table is one error
// naming the file and the JSON path; CSV imports name the line and column.
#include <sstream>

#include <catch2/catch.hpp>

#include "calibration/kernel_csv.hpp"
#include "calibration/kernel_table_file.hpp"
#include "sim/core/errors.hpp"

namespace dsim::calibration {
namespace {

const char* valid = R"({
  "format": "dsim-kernel-table", "version": 1,
  "device": {"name": "NVIDIA H100 80GB HBM3", "sms": 132, "driver": "580.159.04"},
  "provenance": {"tool": "dsim-calibrate 1", "measured_at": "2026-11-25T23:59:00Z"},
  "entries": [
    {"kind": "gemm", "dtype": "fp8", "groups": 1, "m": 4096, "n": 1536, "k": 7168, "time_us": 61.5,
     "method": "cublaslt", "tflops": 785.2},
    {"kind": "attention_forward", "dtype": "bf16", "batch": 1, "heads": 128, "kv_heads": 128, "q_len": 4096,
     "kv_len": 4096, "qk_dim": 192, "v_dim": 128, "causal": true, "time_us": 1200},
    {"kind": "memory", "bytes": 8388608, "time_us": 4.25}
  ]
})";

// The error of parsing `text` as a table: "where: message".
std::string error_of(const std::string& text) {
  try {
    parse_kernel_table(text, "t.json");
  } catch (const InputError& e) {
    CHECK(e.source() == "t.json");
    return e.where() + ": " + e.message();
  }
  return "no error";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("kernel table file: a valid table reads back with its device and every entry", "[calibration]") {
  const auto table = parse_kernel_table(valid, "t.json");
  CHECK(table.info().device == "NVIDIA H100 80GB HBM3");
  CHECK(table.info().sms == 132);
  CHECK(table.info().measured_at == "2026-11-25T23:59:00Z");
  REQUIRE(table.entries().size() == 3);
  const auto* gemm = table.find(gemm_shape(Dtype::fp8, 1, 4096, 1536, 7168));
  REQUIRE(gemm);
  CHECK(gemm->time == units::us(61.5));
  CHECK(gemm->method == "cublaslt");
  CHECK(table.find(memory_shape(8388608))->time == units::us(4.25));
}

TEST_CASE("kernel table file: writing a table and reading it back gives the same entries", "[calibration]") {
  const auto table = parse_kernel_table(valid, "t.json");
  const auto again = parse_kernel_table(kernel_table_json(table.info(), table.entries()).dump(), "again.json");
  REQUIRE(again.entries().size() == table.entries().size());
  for (std::size_t i = 0; i < table.entries().size(); ++i) {
    CHECK(again.entries()[i].shape == table.entries()[i].shape);
    CHECK(again.entries()[i].time == table.entries()[i].time);
  }
}

TEST_CASE("kernel table file: each problem is one error naming its JSON path", "[calibration]") {
  CHECK(error_of("{") .find("parse error at line 1") != std::string::npos);
  CHECK(error_of(replaced(valid, "dsim-kernel-table", "other")) == "/format: must be \"dsim-kernel-table\"");
  CHECK(error_of(replaced(valid, "\"version\": 1", "\"version\": 2")) == "/version: this dsim reads version 1");
  CHECK(error_of(replaced(valid, "\"sms\": 132", "\"sms\": 0")) ==
        "/device/sms: must be the device's SM count, a positive integer");
  CHECK(error_of(replaced(valid, "\"m\": 4096", "\"m\": -4096")) ==
        "/entries/0/m: must be a positive integer, not -4096");
  CHECK(error_of(replaced(valid, "\"kind\": \"gemm\"", "\"kind\": \"conv\"")) ==
        "/entries/0/kind: must be one of gemm, attention_forward, attention_backward, memory, not \"conv\"");
  CHECK(error_of(replaced(valid, "\"time_us\": 4.25", "\"time_us\": 0")) ==
        "/entries/2/time_us: must be a positive number up to 1e12, not 0");
  CHECK(error_of(replaced(valid, "\"time_us\": 4.25", "\"time_us\": 1e300")) ==
        "/entries/2/time_us: must be a positive number up to 1e12, not 1e+300");
  CHECK(error_of(replaced(valid, "\"sms\": 132", "\"sms\": 4294967428")) ==
        "/device/sms: must be the device's SM count, a positive integer");
  CHECK(error_of(replaced(valid, "\"method\": \"cublaslt\"", "\"mehtod\": \"cublaslt\"")) ==
        "/entries/0/mehtod: not a field of a gemm entry; its fields are kind, dtype, groups, m, n, k, GBps, "
        "max_us, method, min_us, tflops, time_us");
  CHECK(error_of(replaced(valid, "{\"kind\": \"memory\", \"bytes\"", "{\"kind\": \"memory\", \"m\": 4, \"bytes\"")) ==
        "/entries/2/m: not a field of a memory entry; its fields are kind, bytes, GBps, max_us, method, min_us, "
        "tflops, time_us");
  CHECK(error_of(replaced(valid, "\"kv_heads\": 128", "\"kv_heads\": 3")) ==
        "/entries/1/kv_heads: 128 heads do not share 3 key/value heads evenly");
  CHECK(error_of(replaced(valid, "\"entries\"", "\"extra\": 1, \"entries\"")) ==
        "/extra: unknown key; expected comment, device, entries, format, provenance, version");
  CHECK(error_of(replaced(valid, "\"time_us\": 4.25}", "\"time_us\": 4.25}, {\"kind\": \"memory\", \"bytes\": 8388608, "
                                                      "\"time_us\": 5}")) ==
        "/entries/3: memory 8388608 B is measured twice (first at /entries/2)");
  CHECK(error_of(replaced(valid, "\"groups\": 1, ", "")) == "/entries/0: missing 'groups'");
}

TEST_CASE("kernel csv: rows become entries; columns come in any order, unused cells stay empty", "[calibration]") {
  std::istringstream csv(
      "time_us,kind,dtype,groups,m,n,k,bytes,method\n"
      "61.5,gemm,fp8,1,4096,1536,7168,,nsight\n"
      "\n"
      "4.25,memory,,,,,,8388608,\n");
  const auto entries = read_kernel_csv(csv, "m.csv");
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].shape == gemm_shape(Dtype::fp8, 1, 4096, 1536, 7168));
  CHECK(entries[0].time == units::us(61.5));
  CHECK(entries[0].method == "nsight");
  CHECK(entries[1].shape == memory_shape(8388608));
}

TEST_CASE("kernel csv: quoted cells, a byte order mark and CRLF line ends read as spreadsheets write them",
          "[calibration]") {
  std::istringstream csv(
      "\xEF\xBB\xBFkind,bytes,time_us,method\r\n"
      "memory,8,\"1.5\",\"elementwise, \"\"fused\"\"\"\r\n");
  const auto entries = read_kernel_csv(csv, "m.csv");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].time == units::us(1.5));
  CHECK(entries[0].method == "elementwise, \"fused\"");
}

TEST_CASE("kernel csv: a bad cell is one error naming its line and column", "[calibration]") {
  const auto error_of_csv = [](const std::string& text) {
    std::istringstream in(text);
    try {
      read_kernel_csv(in, "m.csv");
    } catch (const InputError& e) {
      return e.where() + ": " + e.message();
    }
    return std::string("no error");
  };
  CHECK(error_of_csv("kind,time_us,flavour\n") == "line 1, column 3: unknown column 'flavour'");
  CHECK(error_of_csv("kind,m\ngemm,1\n") == "line 1: no 'time_us' column");
  CHECK(error_of_csv("kind,dtype,groups,m,n,k,time_us\ngemm,fp8,1,4k,1,1,2\n") ==
        "line 2, column m: m must be an integer, not '4k'");
  CHECK(error_of_csv("kind,dtype,groups,m,n,k,time_us\ngemm,fp8,1,4096,1,1\n") == "line 2: 6 cells, but the header has 7");
  CHECK(error_of_csv("kind,dtype,groups,m,n,k,time_us\ngemm,fp8,1,0,1,1,2\n") ==
        "line 2, column m: must be a positive integer, not 0");
  CHECK(error_of_csv("kind,bytes,time_us\nmemory,8,1\nmemory,8,2\n") ==
        "line 3: memory 8 B is measured twice (first on line 2)");
  CHECK(error_of_csv("\nkind,bytes\n") == "line 2: no 'time_us' column");
  CHECK(error_of_csv("kind,bytes,time_us,\n") == "line 1, column 4: a column without a name (a trailing comma?)");
  CHECK(error_of_csv("kind,bytes,time_us\nmemory,8,inf\n") == "line 2, column time_us: time_us must be a number, not 'inf'");
  CHECK(error_of_csv("kind,bytes,time_us\nmemory,8,0x1p3\n") ==
        "line 2, column time_us: time_us must be a number, not '0x1p3'");
  CHECK(error_of_csv("kind,dtype,bytes,time_us\nmemory,fp8,8,1\n") ==
        "line 2, column dtype: not a field of a memory entry; its fields are kind, bytes, method, time_us");
  CHECK(error_of_csv("kind,bytes,time_us,method\nmemory,8,1,\"a, b\n") == "line 2: a quoted cell is not closed");
}

}  // namespace dsim::calibration
