# SPDX-License-Identifier: Apache-2.0
target_sources(dsim_workloads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/inference_program.cpp
  ${CMAKE_CURRENT_LIST_DIR}/inference_step.cpp
)
