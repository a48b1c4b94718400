# SPDX-License-Identifier: Apache-2.0
target_sources(dsim_workloads PRIVATE
)
