// SPDX-License-Identifier: Apache-2.0
// The order builders behind the schedule-kind table (one file each), and the argument check they share. Internal
// to workloads/schedules: callers go through make_schedule.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workloads/schedules/pipeline_schedule.hpp"

namespace dsim::workloads::schedules::detail {

using RankOrders = std::vector<std::vector<ScheduleItem>>;

RankOrders one_f_one_b_orders(int ranks, int microbatches, std::string_view where);
RankOrders zb1p_orders(int ranks, int microbatches, std::string_view where);
RankOrders dualpipe_orders(int ranks, int microbatches, std::string_view where);
RankOrders dualpipe_v_orders(int ranks, int microbatches, std::string_view where);

// Throws InputError{"", where, message}: the arguments are impossible for the kind.
[[noreturn]] void refuse(std::string_view where, std::string message);

}  // namespace dsim::workloads::schedules::detail
