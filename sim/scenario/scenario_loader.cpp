// SPDX-License-Identifier: Apache-2.0
// Scenario loading: parse (with includes), apply --set overrides, then read every parameter through the table into
// spec structs, checking cross-field rules as they are read. The trace is checked as a whole last: transfers must
// pair up and no set of ops may wait on itself, so a run can never hang.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "calibration/kernel_table_file.hpp"
#include "topology/cluster.hpp"

#include "sim/core/enum_names.hpp"
#include "sim/scenario/cluster_section.hpp"
#include "sim/scenario/did_you_mean.hpp"
#include "sim/scenario/json_reader.hpp"
#include "sim/scenario/json_source.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/scenario_params.hpp"
#include "sim/scenario/set_override.hpp"

namespace dsim::scenario {
namespace {

std::shared_ptr<const models::compute::KernelTable> read_kernel_table_key(ObjectReader& compute,
                                                                        const std::string& scenario_dir) {
  const std::string file = compute.string("kernel_table");
  if (file.empty()) return nullptr;
  std::filesystem::path path(file);
  if (path.is_relative()) path = (std::filesystem::path(scenario_dir) / path).lexically_normal();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw compute.error("kernel_table", fmt::format("no kernel table at '{}' (paths are relative to the scenario "
                                                    "file; \"\" times every kernel by the roofline)",
                                                    path.string()));
  }
  // Problems inside the table are reported against the table file and its JSON paths.
  return std::make_shared<const models::compute::KernelTable>(calibration::read_kernel_table(path));
}

ModelsSpec read_models(ObjectReader models, const std::string& scenario_dir) {
  ModelsSpec spec;
  ObjectReader network = models.object("network");
  spec.network = *parse_enum<NetworkModelKind>(network_model_names, network.choice("kind"));
  ObjectReader overhead = network.object("message_overhead_us");
  for (std::size_t t = 0; t < models::network::transport_names.size(); ++t) {
    spec.message_overheads.by_transport[t] = units::us(overhead.number(models::network::transport_names[t]));
  }
  overhead.finish();
  spec.completion_tolerance = network.number("completion_tolerance");
  spec.reuse_isolated_groups = network.boolean("reuse_isolated_groups");
  for (const char* key : {"completion_tolerance", "reuse_isolated_groups"}) {
    if (spec.network == NetworkModelKind::simple && network.has(key)) {
      throw network.error(key, fmt::format("the simple network shares nothing, so {} does not apply to it; it "
                                           "applies to kind flow", key));
    }
  }
  network.finish();
  ObjectReader collectives = models.object("collectives");
  spec.copy_per_sm = units::GBps(collectives.number("copy_GBps_per_sm"));
  spec.low_latency_message_cost = units::us(collectives.number("low_latency_message_cost_us"));
  collectives.finish();
  ObjectReader compute = models.object("compute");
  spec.compute_efficiency = compute.number("efficiency");
  spec.kernel_table = read_kernel_table_key(compute, scenario_dir);
  compute.finish();
  models.finish();
  return spec;
}

// Checks that a rank number read from `key` names a GPU of the cluster.
RankId checked_rank(const ObjectReader& reader, std::string_view key, std::int64_t rank, int gpu_count) {
  if (rank >= gpu_count) {
    throw reader.error(key, fmt::format("rank {} does not exist; the cluster has {} GPUs (ranks 0 to {})", rank,
                                        gpu_count, gpu_count - 1));
  }
  return RankId(static_cast<RankId::Value>(rank));
}

class TraceReader {
 public:
  TraceReader(ReadContext& context, int gpu_count) : context_(context), trace_(gpu_count), gpu_count_(gpu_count) {}

  workloads::StepTrace read(ObjectReader trace_object) {
    std::map<std::int64_t, std::string> rank_seen;  // rank -> pointer of its first entry
    for (ObjectReader rank_object : trace_object.objects("ranks")) {
      const RankId rank = checked_rank(rank_object, "rank", rank_object.integer("rank"), gpu_count_);
      const auto [it, fresh] = rank_seen.emplace(rank.value(), rank_object.pointer());
      if (!fresh) {
        throw rank_object.error("rank", fmt::format("rank {} is listed twice (first at {}); give each rank one "
                                                    "list of ops",
                                                    rank.value(), it->second));
      }
      read_rank_ops(rank_object, rank);
      rank_object.finish();
    }
    trace_object.finish();
    check_whole_trace();
    return std::move(trace_);
  }

 private:
  struct PendingOp {
    workloads::Op op;
    std::vector<std::string> dep_names;
    std::string pointer;
  };

  void read_rank_ops(ObjectReader& rank_object, RankId rank) {
    std::vector<PendingOp> pending;
    std::unordered_map<std::string, OpId> by_name;
    const auto base = static_cast<OpId::Value>(trace_.ops().size());
    for (ObjectReader op_object : rank_object.objects("ops")) {
      PendingOp p = read_op(op_object, rank);
      const OpId id(base + static_cast<OpId::Value>(pending.size()));
      if (!by_name.emplace(p.op.name, id).second) {
        throw op_object.error("name", fmt::format("op name '{}' is used twice on rank {}", p.op.name, rank.value()));
      }
      pending.push_back(std::move(p));
    }
    std::vector<std::string> names;
    for (const auto& p : pending) names.push_back(p.op.name);
    for (auto& p : pending) {
      for (std::size_t d = 0; d < p.dep_names.size(); ++d) {
        const auto it = by_name.find(p.dep_names[d]);
        if (it == by_name.end()) {
          std::string message = fmt::format("no op named '{}' on rank {}", p.dep_names[d], rank.value());
          if (auto near = closest_name(p.dep_names[d], names)) message += fmt::format("; did you mean '{}'?", *near);
          throw context_.error_at(fmt::format("{}/deps/{}", p.pointer, d), message);
        }
        p.op.deps.push_back(it->second);
      }
      op_pointers_.push_back(p.pointer);
      trace_.add(std::move(p.op));
    }
  }

  PendingOp read_op(ObjectReader& o, RankId rank) {
    PendingOp p;
    p.pointer = o.pointer();
    workloads::Op& op = p.op;
    op.rank = rank;
    op.name = o.string("name");
    const std::string kind = o.choice("kind");
    op.kind = kind == "compute" ? workloads::OpKind::compute
              : kind == "send"  ? workloads::OpKind::send
                                : workloads::OpKind::recv;
    const auto stream = o.optional_string("stream");
    op.stream = trace_.stream(stream ? *stream : (op.kind == workloads::OpKind::compute ? "compute" : "comm"));
    p.dep_names = o.strings("deps");
    const auto duration = o.optional_number("duration_us");
    const auto flops = o.optional_number("flops");
    const auto dtype = o.optional_choice("dtype");
    const auto peer = o.optional_integer("peer");
    const auto size = o.optional_integer("size_bytes");
    o.finish();

    if (op.kind == workloads::OpKind::compute) {
      if (duration.has_value() == flops.has_value()) {
        throw o.error_here(fmt::format("compute op '{}' needs exactly one of duration_us and flops", op.name));
      }
      if (peer) throw o.error("peer", "a compute op has no peer; peer is for send and recv");
      if (size) throw o.error("size_bytes", "a compute op moves no bytes; size_bytes is for send and recv");
      if (duration) op.duration = units::us(*duration);
      if (flops) op.flops = *flops;
      op.dtype = dtype ? *parse_dtype(*dtype) : Dtype::bf16;
      return p;
    }
    if (!peer) throw context_.error_at(o.pointer_of("peer"), fmt::format("{} op '{}' needs a peer rank", kind, op.name));
    if (!size) {
      throw context_.error_at(o.pointer_of("size_bytes"), fmt::format("{} op '{}' needs size_bytes", kind, op.name));
    }
    if (duration) throw o.error("duration_us", fmt::format("a {} op is timed by the network; remove duration_us", kind));
    if (flops) throw o.error("flops", fmt::format("a {} op does no compute; remove flops", kind));
    if (dtype) throw o.error("dtype", fmt::format("a {} op has no dtype; its size is given in bytes", kind));
    op.peer = checked_rank(o, "peer", *peer, gpu_count_);
    if (op.peer == rank) throw o.error("peer", fmt::format("{} op '{}' names its own rank as peer", kind, op.name));
    op.size = Bytes(static_cast<std::uint64_t>(*size));
    return p;
  }

  // find_deadlock names a send/recv pair by its send; say both ends so the user finds the recv too.
  std::string describe(OpId id) const {
    const auto& op = trace_.op(id);
    std::string text = fmt::format("rank {} '{}'", op.rank.value(), op.name);
    if (op.kind == workloads::OpKind::compute) return text;
    const auto& recv = trace_.op(trace_.transfers()[trace_.transfer_of(id)].recv);
    return text + fmt::format(" (with its recv rank {} '{}')", recv.rank.value(), recv.name);
  }

  void check_whole_trace() {
    if (auto problem = trace_.match_transfers()) {
      const std::string& at = op_pointers_[problem->op.index()];
      throw context_.error_at(problem->about_size ? at + "/size_bytes" : at, problem->message);
    }
    const auto cycle = workloads::find_deadlock(trace_);
    if (cycle.empty()) return;
    std::string chain;
    for (const OpId id : cycle) chain += describe(id) + " -> ";
    chain += describe(cycle.front());
    throw context_.error_at(op_pointers_[cycle.front().index()],
                            fmt::format("these ops wait on each other and can never start (through deps, stream "
                                        "order or a send/recv pair): {}",
                                        chain));
  }

  ReadContext& context_;
  workloads::StepTrace trace_;
  int gpu_count_;
  std::vector<std::string> op_pointers_;  // JSON pointer of each op, by OpId
};

// Fabric parameters are checked by building the cluster once: the builders know what each fabric can hold.
// Their errors name a JSON path; the file is the one that gave the value there.
void check_cluster_builds(const ReadContext& context, const topology::ClusterSpec& spec) {
  try {
    const topology::Cluster cluster(spec);
  } catch (const InputError& e) {
    if (!e.source().empty()) throw;
    throw context.error_at(e.where(), e.message());
  }
}

}  // namespace

Scenario load_scenario(const std::filesystem::path& file, const LoadOptions& options) {
  SourcedJson source = load_scenario_file(file);
  for (const auto& assignment : options.set_overrides) apply_set_override(source, assignment);

  const ParamTable table = make_scenario_params();
  ReadContext context(table, source);
  ObjectReader root = context.root();
  Scenario scenario;
  scenario.name = root.optional_string("name").value_or(file.stem().string());
  scenario.seed = static_cast<std::uint64_t>(root.integer("seed"));
  nlohmann::json resolved_node;
  scenario.cluster = read_cluster(root.object("cluster"), scenario.seed, resolved_node, scenario.prices);
  ObjectReader report = root.object("report");
  scenario.table_label = report.optional_string("table_label").value_or("");
  scenario.per_endpoint_decimals = static_cast<int>(report.integer("cost_per_endpoint_decimals"));
  for (const std::int64_t rank : report.integers("detail_ranks")) {
    if (rank < 0 || rank >= scenario.cluster.gpu_count()) {
      throw report.error("detail_ranks", fmt::format("{} is not a rank of the cluster (0 to {})", rank,
                                                     scenario.cluster.gpu_count() - 1));
    }
    scenario.detail_ranks.push_back(static_cast<int>(rank));
  }
  scenario.detail_max_ops = report.integer("detail_max_ops");
  report.finish();
  scenario.models = read_models(root.object("models"), file.parent_path().string());
  if (auto comm = root.optional_object("comm")) {
    scenario.comm = read_comm(*comm, scenario.cluster, file.parent_path().string(), scenario.seed);
    scenario.comm.kernel.copy_per_sm = scenario.models.copy_per_sm;
    scenario.comm.kernel.message_cost = scenario.models.low_latency_message_cost;
    scenario.has_comm = true;
  }
  scenario.trace = workloads::StepTrace(scenario.cluster.gpu_count());
  if (auto workload = root.optional_object("workload")) {
    const auto kind = *parse_enum<WorkloadKind>(workload_kind_names, workload->choice("kind"));
    if (kind == WorkloadKind::trace) {
      auto trace = workload->optional_object("trace");
      if (!trace) throw workload->error("trace", "kind trace needs a trace: per-rank lists of ops");
      for (const char* key : {"model", "router", "training", "inference", "redundant_experts"}) {
        if (workload->has(key)) {
          throw workload->error(key, fmt::format("kind trace does not read /workload/{}; remove it or set kind to "
                                                 "training or inference",
                                                 key));
        }
      }
      scenario.trace = TraceReader(context, scenario.cluster.gpu_count()).read(*trace);
    } else {
      if (workload->has("trace")) {
        throw workload->error("trace", "a generated workload has no hand-written trace; remove it or set kind to "
                                       "trace");
      }
      scenario.workload = read_generated_workload(*workload, kind, scenario.cluster, file.parent_path().string(),
                                                  scenario.seed);
    }
    scenario.workload.kind = kind;
    workload->finish();
    scenario.has_workload = true;
  }
  root.finish();
  context.check_all_finished();
  scenario.resolved = context.resolved();
  scenario.resolved["name"] = scenario.name;
  scenario.resolved["cluster"]["node"] = std::move(resolved_node);
  if (options.check_cluster_builds) check_cluster_builds(context, scenario.cluster);
  return scenario;
}

}  // namespace dsim::scenario
