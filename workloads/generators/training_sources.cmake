# SPDX-License-Identifier: Apache-2.0
target_sources(dsim_workloads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/training_chunk.cpp
  ${CMAKE_CURRENT_LIST_DIR}/training_step.cpp
)
