#include "controller/report/paired/paired_html.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/paired/oneway_clock.h"
#include "controller/report/paired/paired_text_report.h"
#include "controller/report/paired/path_rows.h"
#include "controller/report/paired/report_findings.h"

namespace pathpair::subcommands {
namespace {

// The clock method in a few words (DescribeRunClocks says the rest under the table).
std::string ClockMethodShort(v1::ClockMethod method) {
  switch (method) {
    case v1::CLOCK_METHOD_SAME_HOST:
      return "same host: one clock";
    case v1::CLOCK_METHOD_SYNCHRONIZED:
      return "synchronized clocks";
    case v1::CLOCK_METHOD_ESTIMATED:
      return "estimated offset";
    default:
      return "none: clocks not synchronised";
  }
}

// One direction of the one-way measurement, in the page's columns.
html::OneWayRow OneWayRowOf(const char* direction, const char* label, bool present,
                            const v1::OneWayMeasurement& measurement) {
  html::OneWayRow row;
  row.direction = direction;
  row.label = label;
  const v1::OneWayDirection& stats = measurement.stats();
  if (!present || (!measurement.error().empty() && stats.sent() == 0 && stats.received() == 0)) {
    row.loss = present ? absl::StrCat("not measured: ", measurement.error()) : "not measured";
    return row;
  }
  row.details = paired::FormatOneWayLine(measurement);
  row.loss = absl::StrFormat("%.1f%% (%d of %d lost)", stats.loss_pct(),
                             std::max<int64_t>(0, stats.sent() - stats.received()), stats.sent());
  if (stats.received() > 0) {
    row.delay = absl::StrFormat("%.2f / %.2f / %.2f ms", stats.delay().min_ms(),
                                stats.delay().avg_ms(), stats.delay().max_ms());
    row.variation = absl::StrFormat("%.2f ms", stats.delay().stdev_ms());
  }
  const v1::OneWayClock clock = paired::EffectiveClock(measurement);
  row.clock = ClockMethodShort(clock.method());
  const std::string error = paired::ClockErrorText(clock);
  row.error_bound = error.empty() ? "none: only the variation means anything" : error;
  if (!measurement.error().empty()) absl::StrAppend(&row.loss, "; ", measurement.error());
  return row;
}

// Runs of consecutive hops (by index into the trace) that share a known AS.
std::vector<html::ReportArea> AreasOf(const std::vector<std::pair<int, uint32_t>>& hop_asns,
                                      const std::map<uint32_t, std::string>& names) {
  std::vector<html::ReportArea> areas;
  uint32_t current = 0;
  for (const auto& [index, asn] : hop_asns) {
    if (asn == 0) continue;  // unknown: extends nothing, breaks nothing
    if (asn == current && !areas.empty()) {
      areas.back().last_row = index;
      continue;
    }
    current = asn;
    const auto name = names.find(asn);
    areas.push_back(
        {absl::StrCat("AS", asn,
                      name != names.end() && !name->second.empty() ? absl::StrCat(" ", name->second)
                                                                   : std::string()),
         index, index});
  }
  return areas;
}

}  // namespace

html::PairedReport BuildPairedHtmlReport(const v1::PairedRun& run, const merge::MergedPaths* merged,
                                         const paired::DiagnosisOutput& diagnosis,
                                         asn::AsLookup* as_lookup, bool use_names) {
  html::PairedReport report;
  report.title = absl::StrCat("pathpair test ", run.run_id());
  report.generated_unix_us = run.end_unix_us();
  report.label.use_names = use_names;
  report.status = paired::CompletenessName(paired::RunCompleteness(run));
  if (run.client().has_trace()) report.forward = run.client().trace();
  if (run.server().has_trace()) report.reverse = run.server().trace();
  report.forward_label = absl::StrCat("client -> ", run.forward_target());
  report.reverse_label = absl::StrCat("server -> ", run.reverse_target());
  if (!run.client().error().empty()) absl::StrAppend(&report.forward_label, " (failed)");
  if (!run.server().error().empty()) absl::StrAppend(&report.reverse_label, " (failed)");
  if (diagnosis.available) {
    report.findings = html::FindingsFromJson(diagnosis.json.paired);
    if (diagnosis.json.verdict.is_string()) {
      report.verdict = diagnosis.json.verdict.get<std::string>();
    }
    report.verdict_line = diagnosis.headline;
  }
  if (run.oneway_requested()) {
    report.oneway.push_back(OneWayRowOf("forward", "Way out (client \u2192 server)",
                                        run.has_oneway_forward(), run.oneway_forward()));
    report.oneway.push_back(OneWayRowOf("reverse", "Way back (server \u2192 client)",
                                        run.has_oneway_reverse(), run.oneway_reverse()));
    report.clocks = paired::DescribeRunClocks(run);
  }
  // Each failure, tagged with the direction it cut short.
  std::vector<std::pair<std::string, std::string>> errors;
  for (const std::string& error : paired::RunErrors(run)) {
    const bool reverse = absl::StartsWith(error, "reverse trace") ||
                         absl::StartsWith(error, "one-way server -> client");
    const bool forward = absl::StartsWith(error, "forward trace") ||
                         absl::StartsWith(error, "one-way client -> server");
    errors.emplace_back(error, reverse ? "reverse" : forward ? "forward" : "");
  }
  for (const auto& [error, direction] : errors) {
    report.findings.push_back({.code = "RUN_ERROR",
                               .severity = "warning",
                               .direction = direction,
                               .summary = error,
                               .action = "The report shows what was measured before this."});
  }
  html::SortBySeverity(report.findings);
  if (merged == nullptr) return report;

  // The merged path, client first: one column per router.
  for (const merge::AlignedRow& row : merged->rows) {
    report.path.push_back(
        {.router = html::RouterLabel(row, report.forward, report.reverse, report.label),
         .match = html::MatchWords(row),
         .forward_row = row.forward.has_value() ? row.forward->index : -1,
         .reverse_row = row.reverse.has_value() ? row.reverse->index : -1,
         .one_way_only = row.one_way_only});
  }
  // Areas need AS numbers: only with an AS database.
  if (as_lookup != nullptr) {
    std::map<uint32_t, std::string> names;
    for (const auto* path : {&merged->forward_as_path, &merged->reverse_as_path}) {
      for (const merge::AsPathEntry& e : *path) names[e.asn] = e.name;
    }
    std::vector<std::pair<int, uint32_t>> forward, reverse;
    for (const merge::AlignedRow& row : merged->rows) {
      if (row.forward.has_value()) forward.emplace_back(row.forward->index, row.forward->asn);
      if (row.reverse.has_value()) reverse.emplace_back(row.reverse->index, row.reverse->asn);
    }
    // Areas are runs of each trace's own hops.
    std::sort(reverse.begin(), reverse.end());
    report.forward_areas = AreasOf(forward, names);
    report.reverse_areas = AreasOf(reverse, names);
  }
  return report;
}

}  // namespace pathpair::subcommands
