# SPDX-License-Identifier: Apache-2.0
list(APPEND workloads_test_sources pipeline_schedule_test.cpp dualpipe_test.cpp schedule_trace_test.cpp)
