# SPDX-License-Identifier: Apache-2.0
target_sources(dsim_models PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/router.cpp
  ${CMAKE_CURRENT_LIST_DIR}/routing_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/expert_placement.cpp
  ${CMAKE_CURRENT_LIST_DIR}/moe_traffic.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deepep_kernels.cpp
)
