# SPDX-License-Identifier: Apache-2.0
list(APPEND workloads_test_sources parallel_layout_test.cpp stage_split_test.cpp memory_footprint_test.cpp)
