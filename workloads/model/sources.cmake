# SPDX-License-Identifier: Apache-2.0
target_sources(dsim_workloads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/model_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/op_costs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/param_count.cpp
)
