// `torchdiag diff` on an arbitrary file: read_report (src/report/report_reader.h), then,
// for what reads as a report, diff_reports against itself and against an empty report
// of its kind, and the three renderers.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "advise/report_diff.h"
#include "fuzz_check.h"
#include "report/diff_render.h"
#include "report/report_reader.h"

using torchdiag::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto report = torchdiag::read_report(torchdiag::fuzz::as_text(data, size), "fuzz");
  if (!report) {
    check(!report.error().empty(), "a refusal says why");
    return 0;
  }
  check(torchdiag::diff_reports(*report, *report).mattering() == 0, "a report differs from itself in nothing");
  torchdiag::ComparableReport empty;
  empty.kind = report->kind;
  empty.schema = report->schema;
  const auto diff = torchdiag::diff_reports(*report, empty);
  check(diff.configs.empty(), "nothing matches an empty report");
  check(report->rows.empty() == diff.only_in_a.empty(), "every configuration is on A's side only");
  check(report->findings.empty() || diff.mattering() > 0, "findings on one side matter");
  const auto json = torchdiag::diff_to_json(diff).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  check(nlohmann::json::accept(json), "the diff's JSON parses");
  (void)torchdiag::diff_to_text(diff, true);
  (void)torchdiag::diff_to_markdown(diff, true);
  return 0;
}
