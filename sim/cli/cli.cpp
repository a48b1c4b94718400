// SPDX-License-Identifier: Apache-2.0
#include "sim/cli/cli.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <optional>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "sim/cli/calibrate_command.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/process_memory.hpp"
#include "sim/report/comm_report.hpp"
#include "sim/report/report.hpp"
#include "sim/report/summary.hpp"
#include "sim/report/topology_report.hpp"
#include "sim/run/comm_run.hpp"
#include "sim/run/simulation.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/scenario_params.hpp"

namespace dsim::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* usage = R"(usage: dsim <command> [options]

commands:
  run SCENARIO        simulate a scenario; writes summary.json, ops.csv, links.csv and
                      timeline.json into --out and prints a summary
  validate SCENARIO   check a scenario completely (includes, overrides, every value and
                      cross-field rule, the trace's send/recv pairing and deadlocks)
  show SCENARIO       print the resolved scenario: includes merged, overrides applied,
                      every default filled in
  comm SCENARIO       run the scenario's /comm collective (or MoE dispatch and combine)
                      alone on its cluster; prints time, algorithm and bus bandwidth
                      (nccl-tests) or DeepEP's bandwidth, bytes per link kind, phases
  topo SCENARIO       the cluster's hardware: GPUs, NICs, switches per layer, links per
                      kind, diameter, bisection bandwidth and fabric cost
  kernels SCENARIO    every distinct compute kernel of the scenario's step (GEMM, attention,
                      memory-bound) with its runs per GPU and how it is timed; --json
                      writes the kernel list that dsim-calibrate measures
  calibrate compare TABLE SCENARIO [--no-step]
                      each kernel of the step: roofline, the scenario's own model and
                      TABLE's time; then the step replayed at the roofline, under the
                      scenario's table and under TABLE
  calibrate import CSV --device NAME --sms N --out TABLE.json [--measured-at TEXT]
                      external kernel measurements (CSV, docs/calibration.md) as a table
  help scenario       every scenario parameter: key, type, unit, default, description
  help COMMAND        the options of one command

options (run, validate, show, comm, kernels, calibrate compare):
  --set /json/pointer=VALUE   override one scenario value before validation; repeatable;
                              VALUE is JSON (4, 0.5, true, [1,2]) or else a plain string
options (run, comm):
  --seed N            seed of the random streams (same as --set /seed=N)
options (run):
  --out DIR           output folder (default: dsim-out/<scenario name>)
  --quiet             print nothing on success
options (topo, comm, kernels):
  --json              print the figures as JSON
  --dot FILE          also write a Graphviz drawing of a small cluster to FILE

  -h, --help          this help
  --version           print the version

exit codes: 0 success, 2 bad input or usage, 1 internal error.
units: sizes in bytes, time in us or s as the key says, bandwidth in GB/s (gigabytes) or
Gb/s (gigabits) as the key says; prefixes are decimal (1 GB = 1e9 bytes).
)";

InputError usage_error(const std::string& message) {
  return InputError("command line", "", message + " (see 'dsim --help')");
}

struct CommandLine {
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<std::string> seed;
  std::optional<std::string> out;
  bool quiet = false;
  bool json = false;
  std::optional<std::string> dot;
};

CommandLine parse_command(const std::string& command, const std::vector<std::string>& args) {
  CommandLine line;
  po::options_description options;
  options.add_options()("scenario", po::value(&line.scenario))("set", po::value(&line.sets));
  if (command == "run" || command == "comm") options.add_options()("seed", po::value<std::string>());
  if (command == "run") {
    options.add_options()("out", po::value<std::string>())("quiet", po::bool_switch(&line.quiet));
  }
  if (command == "topo" || command == "comm" || command == "kernels") {
    options.add_options()("json", po::bool_switch(&line.json));
  }
  if (command == "topo") options.add_options()("dot", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw usage_error(fmt::format("dsim {}: {}", command, e.what()));
  }
  if (line.scenario.empty()) throw usage_error(fmt::format("dsim {}: missing the SCENARIO file", command));
  if (vm.count("seed")) line.seed = vm["seed"].as<std::string>();
  if (vm.count("out")) line.out = vm["out"].as<std::string>();
  if (vm.count("dot")) line.dot = vm["dot"].as<std::string>();
  return line;
}

scenario::Scenario load(const CommandLine& line, bool check_cluster_builds = true) {
  scenario::LoadOptions options;
  options.check_cluster_builds = check_cluster_builds;
  options.set_overrides = line.sets;
  if (line.seed) {
    std::uint64_t seed = 0;
    const auto& text = *line.seed;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
    if (error != std::errc() || end != text.data() + text.size() || seed > 9'007'199'254'740'991ull) {
      throw InputError("command line", "--seed",
                       fmt::format("expected an integer from 0 to 2^53-1, got '{}'", text));
    }
    options.set_overrides.push_back(fmt::format("/seed={}", seed));
  }
  return scenario::load_scenario(line.scenario, options);
}

// The default output folder is named after the scenario; characters that could climb out of dsim-out/ or confuse a
// shell are replaced.
std::string folder_name(const std::string& scenario_name) {
  std::string name = scenario_name;
  for (char& c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '_' || c == '.';
    if (!plain) c = '_';
  }
  if (name.empty() || name.find_first_not_of('.') == std::string::npos) name = "unnamed";
  return name;
}

// What `dsim validate` says the workload is: a hand-written trace's size, or the generated step's shape.
std::string describe_workload(const scenario::Scenario& scenario) {
  const auto& w = scenario.workload;
  if (!scenario.has_workload) return "no workload";
  if (w.kind == scenario::WorkloadKind::trace) {
    return fmt::format("{} ops, {} transfers", scenario.trace.ops().size(), scenario.trace.transfers().size());
  }
  if (w.kind == scenario::WorkloadKind::inference) {
    return fmt::format("{} step of {} on {} GPUs, {} per GPU", to_string(w.inference.phase), w.model.name,
                       w.inference.ranks, w.inference.batch_per_rank);
  }
  const auto& t = w.training;
  const auto memory = workloads::generators::training_memory(w.model, t);
  std::uint64_t most = 0;
  for (const auto& m : memory) most = std::max(most, m.footprint.total);
  return fmt::format("training step of {}: PP{} x DP{}, EP{}, {}, {} sequences of {} tokens; at most {:.1f} GB per GPU",
                     w.model.name, t.layout.pp, t.layout.gpus / t.layout.pp, t.layout.ep,
                     workloads::schedules::to_string(t.schedule), t.layout.global_batch, t.layout.seq_len,
                     static_cast<double>(most) / 1e9);
}

int run_command(const CommandLine& line, std::ostream& out) {
  const scenario::Scenario scenario = load(line);
  if (!scenario.has_workload) {
    throw InputError(line.scenario, "/workload",
                     "the scenario has no workload to run; add one (dsim validate and dsim topo need none)");
  }
  const run::Simulation simulation(scenario);
  const auto wall_start = std::chrono::steady_clock::now();
  const run::RunOutput output = simulation.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  const report::RunView view{scenario, simulation.cluster(), output, report::detail_ranks(scenario, output.trace)};
  const report::SummaryFigures figures = report::summary_figures(view);
  // Render everything before touching the disk, so a failure leaves no partial set of files.
  const std::vector<std::pair<std::string, std::string>> files = {
      {"summary.json", report::summary_json(view, figures)},
      {"ops.csv", report::ops_csv(view)},
      {"links.csv", report::links_csv(view)},
      {"timeline.json", report::timeline_json(view)},
  };
  const std::filesystem::path folder = line.out ? *line.out : "dsim-out/" + folder_name(scenario.name);
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw InputError(folder.string(), "", fmt::format("cannot create output folder: {}", error.message()));
  for (const auto& [name, content] : files) report::write_file_atomically(folder / name, content);
  if (!line.quiet) {
    out << report::summary_text(view, figures, {wall, core::peak_memory_bytes()});
    out << fmt::format("wrote      {}/{{summary.json, ops.csv, links.csv, timeline.json}}\n", folder.string());
    if (!view.detail.empty()) {
      const auto shown = std::count(view.detail.begin(), view.detail.end(), true);
      out << fmt::format("detail     ops.csv and timeline.json show {} of {} ranks (/report/detail_ranks)\n", shown,
                         view.detail.size());
    }
  }
  return 0;
}

// Whether the fabric's closed forms describe a fabric large enough for the cluster (even if no graph can be built).
bool formulas_hold(const topology::ClusterSpec& spec) {
  try {
    return topology::max_endpoints(spec.fabric) >= static_cast<std::uint64_t>(spec.nic_count());
  } catch (const InputError&) {
    return false;
  }
}

int topo_command(const CommandLine& line, std::ostream& out) {
  const scenario::Scenario scenario = load(line, false);
  const topology::CostPrices& prices = scenario.prices;
  std::optional<topology::Cluster> cluster;
  report::TopologyFigures figures;
  try {
    cluster.emplace(scenario.cluster);
    figures = report::describe_cluster(*cluster, prices);
  } catch (const InputError& e) {
    // A fabric that cannot be constructed at all (no graph exists for these parameters) is still priced from its
    // closed-form counts, when those hold the cluster; anything else is a real error in the scenario.
    if (!e.source().empty() || line.dot || !formulas_hold(scenario.cluster)) {
      throw InputError(line.scenario, e.where(), e.message());
    }
    figures = report::describe_unbuilt(scenario.cluster, prices, e.message());
  }
  if (!scenario.table_label.empty()) {
    figures.table_row = topology::format_paper_row(scenario.table_label, figures.counts, figures.cost,
                                                   scenario.per_endpoint_decimals);
  }
  out << (line.json ? report::topology_json(figures) : report::topology_text(figures));
  if (line.dot) report::write_file_atomically(*line.dot, report::topology_dot(*cluster));
  return 0;
}

int comm_command(const CommandLine& line, std::ostream& out) {
  const scenario::Scenario scenario = load(line);
  if (!scenario.has_comm) {
    throw InputError(line.scenario, "/comm", "the scenario has no /comm section; add one naming the collective to run");
  }
  run::CommResult result;
  try {
    result = run::run_comm(scenario);
  } catch (const InputError& e) {
    // Planning errors (a group the algorithm cannot use, a routing file) name their own source or the /comm path.
    if (!e.source().empty() && e.source() != "collective" && e.source() != "router" && e.source() != "placement") {
      throw;
    }
    throw InputError(line.scenario, "/comm" + (e.where().empty() ? "" : "/" + e.where()), e.message());
  }
  const report::CommView view{scenario, result};
  out << (line.json ? report::comm_json(view) : report::comm_text(view));
  return 0;
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out) {
  if (args.empty()) throw usage_error("missing a command");
  const std::string& command = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help") {
    out << usage;
    return 0;
  }
  if (command == "--version") {
    out << "dsim " << DSIM_VERSION << "\n";
    return 0;
  }
  if (command == "help") {
    if (rest.empty() || rest.front() == "run" || rest.front() == "validate" || rest.front() == "show" ||
        rest.front() == "topo" || rest.front() == "comm" || rest.front() == "kernels" ||
        rest.front() == "calibrate") {
      out << usage;
      return 0;
    }
    if (rest.front() == "scenario") {
      scenario::make_scenario_params().write_help(out);
      return 0;
    }
    throw usage_error(fmt::format("no help on '{}'; try 'dsim help scenario'", rest.front()));
  }
  if (command == "run") return run_command(parse_command(command, rest), out);
  if (command == "validate") {
    const auto scenario = load(parse_command(command, rest));
    out << fmt::format("{}: valid ({} nodes x {} GPUs, {})\n", scenario.name, scenario.cluster.nodes,
                       scenario.cluster.node.gpus, describe_workload(scenario));
    return 0;
  }
  if (command == "topo") return topo_command(parse_command(command, rest), out);
  if (command == "comm") return comm_command(parse_command(command, rest), out);
  if (command == "show") {
    out << load(parse_command(command, rest)).resolved.dump(2) << "\n";
    return 0;
  }
  if (command == "kernels") {
    const CommandLine line = parse_command(command, rest);
    // The list names what produced it: the scenario and every override.
    std::string source = line.scenario;
    for (const auto& set : line.sets) source += " --set " + set;
    if (line.seed) source += " --seed " + *line.seed;
    return kernels_command(load(line), line.scenario, source, line.json, out);
  }
  if (command == "calibrate") return calibrate_command(rest, out);
  throw usage_error(fmt::format("unknown command '{}'; commands: run, validate, show, comm, topo, kernels, calibrate, "
                                "help",
                                command));
}

}  // namespace dsim::cli
