# SPDX-License-Identifier: Apache-2.0
target_sources(dsim_workloads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/parallel_layout.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stage_split.cpp
  ${CMAKE_CURRENT_LIST_DIR}/memory_footprint.cpp
)
