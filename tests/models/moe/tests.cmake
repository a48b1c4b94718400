# SPDX-License-Identifier: Apache-2.0
list(APPEND models_test_sources
  moe/router_test.cpp
  moe/expert_placement_test.cpp
)
list(APPEND models_test_sources moe/deepep_kernels_test.cpp)
