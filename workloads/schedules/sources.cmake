# SPDX-License-Identifier: Apache-2.0
target_sources(dsim_workloads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pipeline_schedule.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schedule_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/one_f_one_b.cpp
  ${CMAKE_CURRENT_LIST_DIR}/zero_bubble.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dualpipe_steps.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dualpipe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dualpipe_v.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schedule_trace.cpp
)
