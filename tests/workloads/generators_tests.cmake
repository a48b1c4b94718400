# SPDX-License-Identifier: Apache-2.0
list(APPEND workloads_test_sources inference_step_test.cpp inference_order_test.cpp training_step_test.cpp)
