# SPDX-License-Identifier: Apache-2.0
# CTest script: dsim-calibrate rejects each class of bad kernel list with exit code 2, one line naming the file and
# the JSON path, and no table written. Needs no GPU: the list is checked before the GPU is touched.
# Run as: cmake -DTOOL=<dsim-calibrate> -DWORK_DIR=<scratch folder> -P check_bad_input.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

set(head "{\"format\": \"dsim-kernel-list\", \"version\": 1, \"source\": \"test\", \"kernels\": [")
set(gemm "\"kind\": \"gemm\", \"dtype\": \"fp8\", \"groups\": 1")
set(failures 0)

# check(name, list text, expected message fragment)
function(check name text expected)
  set(list_file "${WORK_DIR}/${name}.json")
  set(out_file "${WORK_DIR}/${name}-table.json")
  file(WRITE "${list_file}" "${text}")
  execute_process(COMMAND "${TOOL}" --kernels "${list_file}" --out "${out_file}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(STRIP "${err}" err)
  set(problems "")
  if(NOT rc EQUAL 2)
    string(APPEND problems " exit code ${rc}, not 2;")
  endif()
  string(FIND "${err}" "${list_file}: ${expected}" at)
  if(at EQUAL -1)
    string(APPEND problems " message lacks '${list_file}: ${expected}';")
  endif()
  if(err MATCHES "\n")
    string(APPEND problems " message has more than one line;")
  endif()
  if(EXISTS "${out_file}")
    string(APPEND problems " a table was written;")
  endif()
  if(problems)
    message(SEND_ERROR "${name}:${problems}\n  stderr: ${err}")
  else()
    message(STATUS "${name}: ${err}")
  endif()
endfunction()

check(syntax "${head}{\"kind\": \"gemm\",]}" "parse error at line 1")
check(format "{\"format\": \"dsim-kernel-table\", \"version\": 1, \"source\": \"x\", \"kernels\": []}"
      "/format: must be \"dsim-kernel-list\"")
check(top_key "{\"format\": \"dsim-kernel-list\", \"version\": 1, \"source\": \"x\", \"kernels\": [], \"extra\": 1}"
      "/extra: unknown key")
check(kind "${head}{\"kind\": \"conv\"}]}" "/kernels/0/kind: unknown kind \"conv\"; valid kinds: gemm")
check(missing "${head}{${gemm}, \"m\": 64, \"n\": 64}]}" "/kernels/0: missing key 'k'")
check(zero "${head}{${gemm}, \"m\": 0, \"n\": 64, \"k\": 64}]}" "/kernels/0/m: must be a positive integer")
check(negative "${head}{\"kind\": \"memory\", \"bytes\": 8}, {${gemm}, \"m\": 64, \"n\": -4, \"k\": 64}]}"
      "/kernels/1/n: must be a positive integer")
check(fraction "${head}{\"kind\": \"memory\", \"bytes\": 1.5}]}" "/kernels/0/bytes: must be a positive integer")
check(dtype "${head}{\"kind\": \"gemm\", \"dtype\": \"fp16\", \"groups\": 1, \"m\": 64, \"n\": 64, \"k\": 64}]}"
      "/kernels/0/dtype: must be one of fp8, bf16")
check(entry_key "${head}{\"kind\": \"memory\", \"bytes\": 8, \"byte\": 8}]}" "/kernels/0: unknown key 'byte'")
check(duplicate "${head}{\"kind\": \"memory\", \"bytes\": 8}, {\"kind\": \"memory\", \"bytes\": 8, \"count\": 2}]}"
      "/kernels/1: same key as /kernels/0")
check(gqa "${head}{\"kind\": \"attention_forward\", \"dtype\": \"bf16\", \"batch\": 1, \"heads\": 6, \"kv_heads\": 4,
\"q_len\": 8, \"kv_len\": 8, \"qk_dim\": 64, \"v_dim\": 64, \"causal\": true}]}" "/kernels/0/kv_heads: must divide heads")
check(empty "" "parse error at line 1")

# A file that cannot be read.
execute_process(COMMAND "${TOOL}" --kernels "${WORK_DIR}/absent.json" --out "${WORK_DIR}/absent-table.json"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "absent.json: cannot read the file")
  message(SEND_ERROR "absent: exit code ${rc}, stderr: ${err}")
endif()
