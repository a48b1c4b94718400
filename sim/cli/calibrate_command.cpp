// SPDX-License-Identifier: Apache-2.0
#include "sim/cli/calibrate_command.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "calibration/kernel_csv.hpp"
#include "calibration/kernel_table_file.hpp"
#include "sim/core/errors.hpp"
#include "sim/report/kernel_list.hpp"
#include "sim/report/report.hpp"
#include "sim/run/simulation.hpp"

namespace dsim::cli {
namespace {

namespace po = boost::program_options;
using models::compute::KernelTable;

InputError usage_error(const std::string& message) {
  return InputError("command line", "", message + " (see 'dsim help calibrate')");
}

po::variables_map parse(const std::vector<std::string>& args, po::options_description& options,
                        const po::positional_options_description& positional, const std::string& what) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw usage_error(fmt::format("dsim calibrate {}: {}", what, e.what()));
  }
  return vm;
}

struct StepTime {
  std::string label;
  Time step;
  std::array<std::uint64_t, models::compute::timing_source_names.size()> ops_by_source{};
};

StepTime run_step(const scenario::Scenario& base, std::shared_ptr<const KernelTable> table, std::string label) {
  scenario::Scenario s = base;
  s.models.kernel_table = std::move(table);
  const run::Simulation simulation(s);
  const run::RunOutput output = simulation.run();
  StepTime t{std::move(label), output.result.makespan, {}};
  for (std::size_t i = 0; i < output.result.ops.size(); ++i) {
    if (output.trace.ops()[i].kind == workloads::OpKind::compute) {
      ++t.ops_by_source[static_cast<std::size_t>(output.result.ops[i].source)];
    }
  }
  return t;
}

int compare(const std::vector<std::string>& args, std::ostream& out) {
  std::string table_file;
  std::string scenario_file;
  std::vector<std::string> sets;
  bool no_step = false;
  po::options_description options;
  options.add_options()("table", po::value(&table_file))("scenario", po::value(&scenario_file))(
      "set", po::value(&sets))("no-step", po::bool_switch(&no_step));
  po::positional_options_description positional;
  positional.add("table", 1).add("scenario", 1);
  parse(args, options, positional, "compare");
  if (table_file.empty() || scenario_file.empty()) {
    throw usage_error("dsim calibrate compare: needs TABLE and SCENARIO");
  }
  const auto table = std::make_shared<const KernelTable>(calibration::read_kernel_table(table_file));
  scenario::LoadOptions load;
  load.set_overrides = sets;
  const scenario::Scenario scenario = scenario::load_scenario(scenario_file, load);
  if (!scenario.has_workload) throw InputError(scenario_file, "/workload", "the scenario has no workload");

  const run::Simulation own(scenario);
  const auto rows = report::kernel_list(own.generate().trace);
  if (rows.empty()) {
    throw InputError(scenario_file, "/workload", "the step names no kernels (a hand-written trace of durations or "
                                                 "FLOPs); nothing to compare");
  }
  const models::compute::ComputeModel measured(scenario.cluster.node.gpu, scenario.models.compute_efficiency, table);
  const auto& info = table->info();
  out << fmt::format("table      {} ({}, {} SMs, measured {}{})\n", table_file, info.device, info.sms,
                     info.measured_at.empty() ? "at an unknown time" : info.measured_at,
                     info.tool.empty() ? "" : ", " + info.tool);
  out << fmt::format("scenario   {} on {} ({} SMs); its own compute model: {}\n", scenario.name,
                     scenario.cluster.node.gpu.model, scenario.cluster.node.gpu.sm_count,
                     scenario.models.kernel_table ? scenario.models.kernel_table->info().path : "roofline");
  out << fmt::format("\n{:<66} {:>8} {:>11} {:>11} {:>11} {:>7}  {}\n", "kernel", "runs/GPU", "roofline", "scenario",
                     "table", "tbl/roof", "table source");
  double sums[3] = {0.0, 0.0, 0.0};
  for (const auto& row : rows) {
    const double roofline = units::to_us(own.compute().roofline(row.kernel, 0));
    const auto mine = own.compute().time(row.kernel, 0);
    const auto theirs = measured.time(row.kernel, 0);
    const double t = units::to_us(theirs.duration);
    out << fmt::format("{:<66} {:>8} {:>9.2f}us {:>9.2f}us {:>9.2f}us {:>7.2f}  {}\n", describe(row.kernel.shape),
                       row.count, roofline, units::to_us(mine.duration), t, t / roofline, report::source_label(theirs));
    const double n = static_cast<double>(row.count);
    sums[0] += roofline * n;
    sums[1] += units::to_us(mine.duration) * n;
    sums[2] += t * n;
  }
  out << fmt::format("{:<66} {:>8} {:>9.1f}ms {:>9.1f}ms {:>9.1f}ms {:>7.2f}  (each kernel x its runs on its busiest "
                     "GPU, all SMs)\n",
                     "sum", "", sums[0] / 1e3, sums[1] / 1e3, sums[2] / 1e3, sums[2] / sums[0]);
  if (no_step) return 0;

  out << "\nstep time (the whole step replayed under each compute model):\n";
  std::vector<StepTime> steps;
  steps.push_back(run_step(scenario, nullptr, "roofline"));
  std::error_code same_error;
  const bool own_is_table = scenario.models.kernel_table &&
                            std::filesystem::equivalent(scenario.models.kernel_table->info().path, table_file,
                                                        same_error);
  if (scenario.models.kernel_table && !own_is_table) {
    steps.push_back(run_step(scenario, scenario.models.kernel_table, scenario.models.kernel_table->info().path));
  }
  steps.push_back(run_step(scenario, table, table_file));
  for (const auto& s : steps) {
    std::string sources;
    for (std::size_t k = 0; k < s.ops_by_source.size(); ++k) {
      if (s.ops_by_source[k] == 0) continue;
      sources += fmt::format("{}{} {}", sources.empty() ? "" : ", ", s.ops_by_source[k],
                             models::compute::timing_source_names[k]);
    }
    const double delta = units::to_seconds(s.step) / units::to_seconds(steps.front().step) - 1.0;
    out << fmt::format("  {:<48} {:>12} s  {:>+7.1f}% vs roofline  (compute ops: {})\n", s.label,
                       units::format_seconds(s.step), 100.0 * delta, sources);
  }
  return 0;
}

int import_csv(const std::vector<std::string>& args, std::ostream& out) {
  std::string csv_file;
  std::string device;
  std::string out_file;
  std::string measured_at;
  int sms = 0;
  po::options_description options;
  options.add_options()("csv", po::value(&csv_file))("device", po::value(&device))("sms", po::value(&sms))(
      "out", po::value(&out_file))("measured-at", po::value(&measured_at));
  po::positional_options_description positional;
  positional.add("csv", 1);
  parse(args, options, positional, "import");
  if (csv_file.empty() || device.empty() || out_file.empty() || sms <= 0) {
    throw usage_error("dsim calibrate import: needs CSV, --device NAME, --sms N (positive) and --out TABLE.json");
  }
  std::ifstream in(csv_file);
  if (!in) throw InputError(csv_file, "", "cannot open the CSV file");
  auto entries = calibration::read_kernel_csv(in, csv_file);
  models::compute::KernelTableInfo info{device, sms, "", measured_at, "dsim calibrate import " + csv_file};
  const KernelTable table(info, std::move(entries));  // sorts and checks
  report::write_file_atomically(out_file, calibration::kernel_table_json(table.info(), table.entries()).dump(2) + "\n");
  out << fmt::format("wrote {} ({} kernels from {})\n", out_file, table.entries().size(), csv_file);
  return 0;
}

}  // namespace

int kernels_command(const scenario::Scenario& scenario, const std::string& scenario_file,
                    const std::string& list_source, bool json, std::ostream& out) {
  if (!scenario.has_workload) throw InputError(scenario_file, "/workload", "the scenario has no workload");
  const run::Simulation simulation(scenario);
  const auto rows = report::kernel_list(simulation.generate().trace);
  if (json) {
    out << report::kernel_list_json(rows, list_source).dump(2) << "\n";
  } else {
    out << report::kernel_list_text(rows, simulation.compute());
  }
  return 0;
}

int calibrate_command(const std::vector<std::string>& args, std::ostream& out) {
  if (args.empty()) throw usage_error("dsim calibrate: missing compare or import");
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args.front() == "compare") return compare(rest, out);
  if (args.front() == "import") return import_csv(rest, out);
  throw usage_error(fmt::format("dsim calibrate: unknown action '{}'; actions: compare, import", args.front()));
}

}  // namespace dsim::cli
