// SPDX-License-Identifier: Apache-2.0
// The replay walks a StepTrace on a cluster: it is the one place where workloads meet hardware, and the one place
// that schedules events. Compute ops are timed by the compute model; a send/recv pair becomes a one-transfer plan
// that the collectives layer (models/collectives) runs on the network model. Ordering rules are those stated in
// workloads/trace/step_trace.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "models/compute/compute_model.hpp"
#include "models/network/network_model.hpp"
#include "sim/replay/call_planner.hpp"
#include "sim/core/engine.hpp"
#include "topology/cluster.hpp"
#include "workloads/trace/step_trace.hpp"

namespace dsim::replay {

struct OpRecord {
  Time ready;  // dependencies and stream order satisfied
  Time start;  // began executing: at ready for compute; when both sides were ready for send/recv
  Time end;
  models::compute::TimingSource source = models::compute::TimingSource::given;  // compute ops only
};

struct ReplayResult {
  std::vector<OpRecord> ops;  // indexed by OpId
  Time makespan;
  core::RunStats engine;
  std::uint64_t flows = 0;           // transfers handed to the network (steps of plans, local steps included)
  std::uint64_t plans = 0;           // communication plans run (one per send/recv pair or collective call)
  std::size_t distinct_plans = 0;    // of which distinct (each built once)
  std::vector<std::uint64_t> link_bytes;  // indexed by LinkId
  models::network::GroupReplayStats group_replay;  // flow groups run from the network's cache
};

// Replays `trace`, which must have passed match_transfers() and find_deadlock(); ranks are GPU ids. Collective
// calls are planned by `planner` (its router serves MoE calls).
ReplayResult replay(const topology::Cluster& cluster, const workloads::StepTrace& trace,
                    models::network::NetworkModel& network, const models::compute::ComputeModel& compute,
                    CallPlanner& planner);
// The same with a planner of default options (DeepSeek-V3's router shape, no SM limit).
ReplayResult replay(const topology::Cluster& cluster, const workloads::StepTrace& trace,
                    models::network::NetworkModel& network, const models::compute::ComputeModel& compute);

}  // namespace dsim::replay
