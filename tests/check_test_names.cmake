# SPDX-License-Identifier: Apache-2.0
# Fails when a Catch2 TEST_CASE name contains '[' or ']' or starts with '-': catch_discover_tests then registers the
# case under a wrong name (brackets read as tags) or Catch2 takes the name for an option, and the case silently
# merges with its neighbours or fails under ctest. Run as: cmake -DSOURCE_DIR=<repo> -P tests/check_test_names.cmake
cmake_minimum_required(VERSION 3.25)
file(GLOB_RECURSE files "${SOURCE_DIR}/tests/*.cpp")
set(bad 0)
foreach(file ${files})
  file(STRINGS "${file}" cases REGEX "TEST_CASE\\(\"")
  foreach(line ${cases})
    string(REGEX REPLACE ".*TEST_CASE\\(\"([^\"]*)\".*" "\\1" name "${line}")
    if(name MATCHES "[][]" OR name MATCHES "^-")
      file(RELATIVE_PATH rel "${SOURCE_DIR}" "${file}")
      message(SEND_ERROR "${rel}: test name '${name}' has '[' or ']' or starts with '-'")
      math(EXPR bad "${bad} + 1")
    endif()
  endforeach()
endforeach()
if(bad GREATER 0)
  message(FATAL_ERROR "${bad} test name(s) would break test discovery")
endif()
message(STATUS "test names: none would break catch_discover_tests")
