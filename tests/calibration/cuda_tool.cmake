# SPDX-License-Identifier: Apache-2.0
# Tests of dsim-calibrate (calibration/cuda/), registered only where the tool is built (nvcc found).
if(TARGET dsim-calibrate)
  # Exit code 77 (no GPU) reads as a skip, so the test passes on GPU machines and skips on CI.
  add_test(NAME "calibrate: the CUDA tool's self-test passes on a GPU and skips without one"
           COMMAND dsim-calibrate --self-test)
  set_tests_properties("calibrate: the CUDA tool's self-test passes on a GPU and skips without one"
                       PROPERTIES SKIP_RETURN_CODE 77)
  add_test(NAME "calibrate: the CUDA tool rejects a bad kernel list with exit code 2 and the file and JSON path"
           COMMAND ${CMAKE_COMMAND} -DTOOL=$<TARGET_FILE:dsim-calibrate>
                   -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/cuda_tool_bad_input
                   -P ${PROJECT_SOURCE_DIR}/calibration/cuda/check_bad_input.cmake)
endif()
