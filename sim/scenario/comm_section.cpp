// SPDX-License-Identifier: Apache-2.0
// Defaults follow DeepEP's published tests ([E]: 4,096 tokens per rank for normal kernels, 128 for low-latency
// ones, hidden 7,168, top-8 of 256 experts, FP8 dispatch, BF16 combine, 24 SMs) and DeepSeek-V3's router config
// ([C]: n_group 8, topk_group 4, group score the sum of the top-2 expert scores).
#include "sim/scenario/comm_section.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/enum_names.hpp"
#include "sim/scenario/router_section.hpp"

namespace dsim::scenario {
namespace {

namespace mc = models::collectives;
namespace moe = models::collectives::moe;

constexpr std::string_view moe_kind = "moe_dispatch_combine";

std::vector<std::string> comm_kind_names() {
  std::vector<std::string> names = enum_names(mc::collective_kind_names);
  names.emplace_back(moe_kind);
  return names;
}

std::vector<GpuId> read_group(ObjectReader group, const topology::ClusterSpec& cluster) {
  const std::int64_t first = group.integer("first_gpu");
  const std::int64_t stride = group.integer("stride");
  const std::int64_t total = cluster.gpu_count();
  const std::int64_t count = group.optional_integer("gpus").value_or((total - first + stride - 1) / stride);
  if (first >= total) {
    throw group.error("first_gpu", fmt::format("GPU {} does not exist; the cluster has {} GPUs", first, total));
  }
  if (count < 2) throw group.error("gpus", fmt::format("a group needs at least 2 GPUs, got {}", count));
  const std::int64_t last = first + (count - 1) * stride;
  if (last >= total) {
    throw group.error("gpus", fmt::format("the group's last GPU would be {} (first_gpu {} + ({} - 1) x stride {}), "
                                          "but the cluster has {} GPUs",
                                          last, first, count, stride, total));
  }
  group.finish();
  std::vector<GpuId> gpus;
  for (std::int64_t i = 0; i < count; ++i) gpus.emplace_back(static_cast<GpuId::Value>(first + i * stride));
  return gpus;
}

moe::Payload read_payload(ObjectReader& moe_reader, std::string_view key, int logfmt_bits) {
  moe::Payload payload;
  payload.format = *parse_enum<moe::PayloadFormat>(moe::payload_format_names, moe_reader.choice(key));
  payload.logfmt_bits = logfmt_bits;
  return payload;
}

// Whether the group is whole nodes: starts at a node's first GPU, stride 1, a multiple of the node's GPUs.
bool whole_nodes(const mc::CollectiveRequest& request) {
  const auto per_node = static_cast<std::uint32_t>(request.gpus_per_node);
  return request.group.front().value() % per_node == 0 && request.group.size() % per_node == 0 &&
         request.group[1].value() == request.group[0].value() + 1;
}

// What the algorithms would refuse, found here so that `dsim validate` reports it with the JSON path.
void check_plannable(ObjectReader& comm, const mc::CollectiveRequest& request) {
  const auto n = static_cast<std::uint64_t>(request.group.size());
  const bool splits = request.kind == mc::CollectiveKind::all_gather ||
                      request.kind == mc::CollectiveKind::reduce_scatter ||
                      request.kind == mc::CollectiveKind::all_to_all;
  if (splits && request.size.count() % n != 0) {
    throw comm.error("size_bytes", fmt::format("{} splits size_bytes into {} equal parts; {} is not a multiple "
                                               "of {}",
                                               mc::collective_kind_names[static_cast<std::size_t>(request.kind)], n,
                                               request.size.count(), n));
  }
  if (request.kind == mc::CollectiveKind::all_reduce && request.algorithm == mc::AllReduceAlgorithm::hierarchical) {
    const auto per_node = static_cast<std::uint32_t>(request.gpus_per_node);
    if (!whole_nodes(request)) {
      throw comm.error("group", fmt::format("a hierarchical all_reduce needs whole nodes: first_gpu a multiple of {}, "
                                            "stride 1 and a multiple of {} GPUs",
                                            per_node, per_node));
    }
  }
}

}  // namespace

void declare_comm_params(ParamTable& t) {
  t.object("/comm", "One collective for `dsim comm` to run, timed alone on the cluster.").optional();
  t.choice("/comm/kind", comm_kind_names(),
           "What runs. Collectives take size_bytes as nccl-tests do; moe_dispatch_combine runs a DeepEP-style "
           "dispatch and then a combine, each timed alone as DeepEP's tests do.")
      .required();
  t.object("/comm/group", "The GPUs taking part: gpus GPUs from first_gpu, every stride-th.");
  t.integer("/comm/group/first_gpu", "First GPU of the group.").defaults(0).at_least(0);
  t.integer("/comm/group/gpus", "GPUs in the group (default: every stride-th GPU from first_gpu to the end).")
      .unit("GPUs")
      .optional()
      .at_least(2);
  t.integer("/comm/group/stride", "Distance between consecutive GPU ids of the group.").defaults(1).at_least(1);
  t.integer("/comm/size_bytes",
            "Collectives: all_reduce, the buffer of each rank; all_gather, the output per rank; reduce_scatter, the "
            "input per rank; all_to_all, each rank's send buffer (size/n to each rank); send_recv, bytes each rank "
            "sends to the next.")
      .unit("bytes")
      .optional()
      .at_least(0);
  t.choice("/comm/algorithm", enum_names(mc::all_reduce_algorithm_names),
           "all_reduce: ring, tree (pipelined), or hierarchical (NVLink reduce-scatter, IB all-reduce across "
           "nodes, NVLink all-gather).")
      .defaults("ring");
  t.number("/comm/reduce_GBps", "Speed of a local reduction, in GB of input per second (0: free).")
      .unit("GB/s")
      .defaults(0.0)
      .non_negative();
  t.integer("/comm/pipeline_chunks", "Chunks the tree and hierarchical all-reduce pipeline the buffer in.")
      .defaults(8)
      .in_range(1, 1024);

  t.object("/comm/moe", "moe_dispatch_combine: the DeepEP-style kernels and the router.");
  t.choice("/comm/moe/mode", enum_names(moe::deepep_mode_names),
           "normal (training, prefill: IB once per target node, then NVLink) or low_latency (decode: direct RDMA "
           "per token and expert, all SMs).")
      .defaults("normal");
  t.integer("/comm/moe/tokens_per_rank", "Tokens each rank dispatches (DeepEP's tests: 4,096 normal, 128 low "
                                         "latency).")
      .unit("tokens")
      .defaults(4096)
      .in_range(0, 1 << 20);
  t.integer("/comm/moe/hidden", "Elements per token (V3: 7,168); a multiple of 128.").defaults(7168).in_range(128,
                                                                                                         1 << 20);
  t.choice("/comm/moe/dispatch_payload", enum_names(moe::payload_format_names),
           "Dispatch format: fp8 (1 B per element + an fp32 scale per 128), bf16, or logfmt (logfmt_bits per "
           "element + two fp32 per 128).")
      .defaults("fp8");
  t.choice("/comm/moe/combine_payload", enum_names(moe::payload_format_names), "Combine format.").defaults("bf16");
  t.integer("/comm/moe/logfmt_bits", "Bits per element of the logfmt payload.").defaults(8).in_range(2, 16);
  t.integer("/comm/moe/sms", "SMs a normal-mode kernel occupies (DeepEP's tests 24, V3 training 20); low-latency "
                             "kernels take every SM.")
      .unit("SMs")
      .defaults(24)
      .at_least(2);
  t.integer("/comm/moe/redundant_experts", "Extra replicas of the most loaded experts (V3 inference's EPLB).")
      .defaults(0)
      .at_least(0);
  declare_router_params(t, "/comm/moe/router");

  std::vector<std::string> fabrics;
  for (const auto& f : topology::fabric_kinds()) fabrics.emplace_back(f.name);
  t.array("/comm/compare_fabrics", ParamType::string,
          "Run the collective on each of these fabric kinds in turn, the rest of the cluster unchanged (one of: " +
              fmt::format("{}", fmt::join(fabrics, ", ")) + "); empty: the cluster's own fabric.")
      .defaults(nlohmann::json::array());
  t.object("/comm/background", "Traffic running beside the collective.");
  t.array("/comm/background/host_read_GBps_per_gpu", ParamType::number,
          "KV-cache offload: one run per value, in which every GPU of the group streams reads from its node's host "
          "memory (over the PCIe switch it shares with its NIC) at up to this rate while the collective runs; it "
          "gets less where links are shared.")
      .unit("GB/s")
      .defaults(nlohmann::json::array({0}));
}

CommSpec read_comm(ObjectReader comm, const topology::ClusterSpec& cluster, const std::string& scenario_dir,
                   std::uint64_t seed) {
  CommSpec spec;
  spec.kind = comm.choice("kind");
  spec.moe = spec.kind == moe_kind;
  auto& request = spec.collective;
  request.group = read_group(comm.object("group"), cluster);
  request.gpus_per_node = cluster.node.gpus;
  const auto size = comm.optional_integer("size_bytes");
  request.algorithm = *parse_enum<mc::AllReduceAlgorithm>(mc::all_reduce_algorithm_names, comm.choice("algorithm"));
  request.reduce_bandwidth = units::GBps(comm.number("reduce_GBps"));
  request.pipeline_chunks = static_cast<int>(comm.integer("pipeline_chunks"));
  ObjectReader moe_reader = comm.object("moe");
  auto& kernel = spec.kernel;
  kernel.mode = *parse_enum<moe::DeepEpMode>(moe::deepep_mode_names, moe_reader.choice("mode"));
  spec.tokens_per_rank = static_cast<int>(moe_reader.integer("tokens_per_rank"));
  const std::int64_t hidden = moe_reader.integer("hidden");
  if (hidden % 128 != 0) {
    throw moe_reader.error("hidden", fmt::format("hidden must be a multiple of 128 (fp8 scales and logfmt tiles "
                                                 "cover 128 elements), got {}",
                                                 hidden));
  }
  kernel.hidden = static_cast<std::uint64_t>(hidden);
  const int bits = static_cast<int>(moe_reader.integer("logfmt_bits"));
  kernel.dispatch_payload = read_payload(moe_reader, "dispatch_payload", bits);
  kernel.combine_payload = read_payload(moe_reader, "combine_payload", bits);
  kernel.sms = static_cast<int>(moe_reader.integer("sms"));
  kernel.gpu_sms = cluster.node.gpu.sm_count;
  if (kernel.sms > kernel.gpu_sms) {
    throw moe_reader.error("sms", fmt::format("the GPU has {} SMs; a kernel cannot occupy {}", kernel.gpu_sms,
                                              kernel.sms));
  }
  spec.redundant_experts = static_cast<int>(moe_reader.integer("redundant_experts"));
  spec.router = read_router(moe_reader.object("router"), scenario_dir, seed);
  const bool logfmt = kernel.dispatch_payload.format == moe::PayloadFormat::logfmt ||
                      kernel.combine_payload.format == moe::PayloadFormat::logfmt;
  if (!logfmt && moe_reader.has("logfmt_bits")) {
    throw moe_reader.error("logfmt_bits", "neither payload is logfmt, so logfmt_bits is not used");
  }
  if (kernel.mode == moe::DeepEpMode::low_latency && moe_reader.has("sms")) {
    throw moe_reader.error("sms", "low-latency kernels occupy every SM of the GPU; sms is for normal mode");
  }
  moe_reader.finish();
  const auto fabric_names = comm.strings("compare_fabrics");
  for (std::size_t i = 0; i < fabric_names.size(); ++i) {
    const auto kind = topology::parse_fabric_kind(fabric_names[i]);
    if (!kind) {
      throw comm.error("compare_fabrics", fmt::format("unknown fabric kind '{}' (entry {})", fabric_names[i], i));
    }
    spec.compare_fabrics.push_back(*kind);
  }
  ObjectReader background = comm.object("background");
  for (const double rate : background.numbers("host_read_GBps_per_gpu")) {
    if (!(rate >= 0)) throw background.error("host_read_GBps_per_gpu", "host read rates must be >= 0 GB/s");
    spec.host_read_rate.push_back(units::GBps(rate));
  }
  if (spec.host_read_rate.empty()) spec.host_read_rate.push_back(units::GBps(0));
  background.finish();

  // A key that the chosen kind would not read is an error, never silently ignored.
  if (!spec.moe && comm.has("moe")) {
    throw comm.error("moe", fmt::format("/comm/moe configures moe_dispatch_combine; kind {} does not use it", spec.kind));
  }
  if (spec.kind != "all_reduce") {
    for (const std::string_view key : {"algorithm", "pipeline_chunks"}) {
      if (comm.has(key)) {
        throw comm.error(key, fmt::format("{} chooses how an all_reduce runs; kind {} does not use it", key, spec.kind));
      }
    }
  } else if (request.algorithm == mc::AllReduceAlgorithm::ring && comm.has("pipeline_chunks")) {
    throw comm.error("pipeline_chunks", "the ring all_reduce does not pipeline in chunks; tree and hierarchical do");
  }
  const bool reduces = spec.kind == "all_reduce" || spec.kind == "reduce_scatter";
  if (!reduces && !spec.moe && comm.has("reduce_GBps")) {
    throw comm.error("reduce_GBps", fmt::format("kind {} reduces nothing, so reduce_GBps is not used", spec.kind));
  }
  if (spec.moe) {
    if (comm.has("reduce_GBps")) {
      throw comm.error("reduce_GBps", "moe combine reductions cost no modelled time; remove reduce_GBps");
    }
    if (size) throw comm.error("size_bytes", "moe_dispatch_combine sizes come from /comm/moe; remove size_bytes");
    const auto gpus = static_cast<int>(request.group.size());
    if (spec.router.experts % gpus != 0) {
      throw comm.error("group", fmt::format("{} experts do not spread evenly over a group of {} GPUs",
                                            spec.router.experts, gpus));
    }
    // Normal kernels relay through the GPU of each target node with the sender's local index: whole nodes only.
    if (kernel.mode == moe::DeepEpMode::normal && !whole_nodes(request)) {
      throw comm.error("group", fmt::format("normal-mode kernels relay through every node's GPUs, so the group must "
                                            "be whole nodes: first_gpu a multiple of {}, stride 1 and a multiple of "
                                            "{} GPUs",
                                            request.gpus_per_node, request.gpus_per_node));
    }
    try {
      const moe::ExpertPlacement check(spec.router.experts, request.group, request.gpus_per_node,
                                       spec.redundant_experts);
    } catch (const InputError& e) {
      if (e.source() != "placement") throw;
      throw e.where() == "redundant" ? moe_reader.error("redundant_experts", e.message())
                                     : comm.error("group", e.message());
    }
  } else {
    if (!size) throw comm.error("size_bytes", fmt::format("kind {} needs size_bytes", spec.kind));
    request.kind = *parse_enum<mc::CollectiveKind>(mc::collective_kind_names, spec.kind);
    request.size = Bytes(static_cast<std::uint64_t>(*size));
    check_plannable(comm, request);
  }
  comm.finish();
  return spec;
}

}  // namespace dsim::scenario
