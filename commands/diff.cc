// `torchdiag diff A B`: what differs between two nodes' (or runs') reports, ranked by
// how much it can explain a performance gap. Exit status like diff(1): 0 nothing that
// matters differs, 1 differences, 2 trouble.
#include <filesystem>

#include <fmt/format.h>

#include "advise/report_diff.h"
#include "commands.h"
#include "common.h"
#include "report/diff_render.h"
#include "report/format.h"
#include "report/inspect_json.h"
#include "report/report_reader.h"
#include "sys/kernel_paths.h"
#include "sys/user_file.h"
#include "util/json_text.h"

namespace torchdiag::cli {
namespace {

/// Bench reports keep up to 10,000 samples per configuration: 100 configurations are
/// about 25 MB of JSON.
constexpr size_t kMaxReportBytes = size_t{512} << 20;

struct DiffCliOptions {
  std::string a, b;
  std::string format = "text";
  std::string output;
  double alpha = 0.01;
  double min_effect = 0.05;
  bool verbose = false;
};

/// A JSON report file, or a snapshot directory inspected as `inspect --root` would.
ComparableReport load(const std::string& path, const char* side) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    check_root_dir(path);
    const FsReader fs(path);
    if (!fs.is_dir(paths::proc_dir())) {
      usage_error(fmt::format("{} '{}': a directory but not a snapshot (no proc/self inside; write one with "
                              "'torchdiag snapshot DIR')", side, path));
    }
    const auto report = read_report_json(inspect_to_json(collect_inspect(fs, std::nullopt, true, 1)), path);
    if (!report) usage_error(fmt::format("{} '{}': {}", side, path, report.error()));
    return *report;
  }
  const auto text = read_user_file(path, kMaxReportBytes);
  if (!text) usage_error(fmt::format("{} '{}': {}", side, path, text.error()));
  auto report = read_report(*text, path);
  if (!report) usage_error(fmt::format("{} '{}': {}", side, path, report.error()));
  return std::move(*report);
}

void run_diff(const DiffCliOptions& o, int& exit_code) {
  const auto format = checked_format(o.format, "diff");
  check_output_path(o.output, "--output");
  const auto a = load(o.a, "A");
  const auto b = load(o.b, "B");
  if (a.kind != b.kind) {
    const auto named = [](ReportKind k) { return fmt::format("{} {} report", k == ReportKind::kInspect ? "an" : "a", k); };
    usage_error(fmt::format("A is {} and B {}: diff compares two reports of one kind", named(a.kind), named(b.kind)));
  }
  if (a.schema != b.schema) {
    usage_error(fmt::format("A has schema {} and B {}: diff compares reports of one schema version", a.schema, b.schema));
  }
  const auto diff = diff_reports(a, b, DiffOptions{o.alpha, o.min_effect});
  std::string text;
  if (format == Format::kJson) text = json_text(diff_to_json(diff), 2) + "\n";
  else if (format == Format::kMarkdown) text = diff_to_markdown(diff, o.verbose);
  else text = diff_to_text(diff, o.verbose);
  write_output(text, o.output);
  exit_code = diff.mattering() > 0 ? 1 : kExitOk;
}

}  // namespace

void add_diff(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<DiffCliOptions>();
  auto* cmd = app.add_subcommand("diff", "Compare two reports (inspect, bench or watch JSON, or snapshot directories)");
  cmd->add_option("A", o->a, "First report: a JSON file written with --format json, or a snapshot directory")
      ->required()
      ->check(non_empty());
  cmd->add_option("B", o->b, "Second report, of the same kind")->required()->check(non_empty());
  cmd->add_option("--format", o->format, "Output format: " + format_list(command_formats("diff")))->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Write the comparison to FILE instead of stdout")->check(non_empty());
  cmd->add_option("--alpha", o->alpha, "Bench: a p50 gap is significant when the test's p is below this")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(1e-9, 0.5));
  cmd->add_option("--min-effect", o->min_effect,
                  "Bench: a significant gap matters when the p50s differ by at least this share")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_flag("-v,--verbose", o->verbose, "Also list the differences that do not matter");
  cmd->callback([o, &exit_code] {
    try {
      run_diff(*o, exit_code);
    } catch (const CommandError& e) {
      throw CommandError{kExitUsage, e.message};  // every failure of diff is "trouble": 2
    } catch (const std::exception& e) {
      usage_error(e.what());
    }
  });
}

}  // namespace torchdiag::cli
