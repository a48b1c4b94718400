# SPDX-License-Identifier: Apache-2.0
list(APPEND workloads_test_sources op_costs_test.cpp param_count_test.cpp)
