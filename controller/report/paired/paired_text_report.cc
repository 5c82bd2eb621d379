#include "controller/report/paired/paired_text_report.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "controller/paired/oneway_clock.h"
#include "controller/report/common/time_format.h"
#include "controller/report/paired/side_by_side_text.h"
#include "controller/report/trace/report_writer.h"

namespace pathpair::paired {
namespace {

std::string SideLine(const char* role, const v1::PairedSide& side) {
  std::string line = absl::StrCat(role, side.endpoint());
  if (!side.hostname().empty()) absl::StrAppend(&line, " (", side.hostname(), ")");
  return line;
}

std::string AsPath(const std::vector<merge::AsPathEntry>& path) {
  if (path.empty()) return "unknown";
  std::vector<std::string> parts;
  for (const merge::AsPathEntry& e : path) parts.push_back(absl::StrCat("AS", e.asn));
  return absl::StrJoin(parts, " ");
}

}  // namespace

std::string FormatOneWayLine(const v1::OneWayMeasurement& measurement) {
  const v1::OneWayDirection& stats = measurement.stats();
  if (!measurement.error().empty() && stats.sent() == 0 && stats.received() == 0) {
    return absl::StrCat("not measured: ", measurement.error());
  }
  std::string line = absl::StrFormat(
      "sent %d, received %d, loss %.1f%%, delay min/avg/max/stdev "
      "%.2f/%.2f/%.2f/%.2f ms",
      stats.sent(), stats.received(), stats.loss_pct(), stats.delay().min_ms(),
      stats.delay().avg_ms(), stats.delay().max_ms(), stats.delay().stdev_ms());
  const v1::OneWayClock clock = EffectiveClock(measurement);
  const std::string error = ClockErrorText(clock);
  if (!error.empty()) {
    absl::StrAppend(&line, " (", ClockMethodName(clock.method()), ", clock error ", error, ")");
  } else {
    absl::StrAppend(&line, " (clocks unsynchronised: only the variation is meaningful)");
  }
  if (!measurement.error().empty()) absl::StrAppend(&line, "; ", measurement.error());
  return line;
}

std::string FormatPairedRunText(const v1::PairedRun& run, const merge::MergedPaths* merged,
                                const DiagnosisOutput& diagnosis,
                                const TextReportOptions& options) {
  std::string out;
  const Completeness completeness = RunCompleteness(run);
  absl::StrAppend(&out, "pathpair test ", run.run_id(), " (", CompletenessName(completeness),
                  ")\n");
  absl::StrAppend(&out, "Start: ", output::FormatMtrLocalTime(run.start_unix_us()),
                  "  End: ", output::FormatMtrLocalTime(run.end_unix_us()));
  if (run.has_start_skew_ms()) {
    absl::StrAppendFormat(&out, "  Start skew: %.1f ms", run.start_skew_ms());
  }
  absl::StrAppend(&out, "\n");
  absl::StrAppend(&out, SideLine("Client: ", run.client()), "\n");
  absl::StrAppend(&out, SideLine("Server: ", run.server()), "\n");
  absl::StrAppend(&out, "Forward: client -> ", run.forward_target(), "   Reverse: server -> ",
                  run.reverse_target().empty() ? "?" : run.reverse_target(),
                  run.reverse_target_reflected() ? " (learned by Reflect)" : "", "\n\n");

  formats::PairedTextOptions paired;
  paired.label.use_names = options.use_names;
  output::ReportOptions report;
  report.use_names = options.use_names;
  if (run.client().has_trace() && run.server().has_trace()) {
    paired.forward_title = absl::StrCat("client -> ", run.forward_target());
    paired.reverse_title = absl::StrCat("server -> ", run.reverse_target());
    absl::StrAppend(&out,
                    formats::FormatPairedText(run.client().trace(), run.server().trace(), paired));
  } else {
    if (run.client().has_trace()) {
      absl::StrAppend(&out, "Forward (client -> ", run.forward_target(), "):\n",
                      output::FormatReport(run.client().trace(), report));
    } else {
      absl::StrAppend(&out, "Forward: no result\n");
    }
    if (run.server().has_trace()) {
      absl::StrAppend(&out, "Reverse (server -> ", run.reverse_target(), "):\n",
                      output::FormatReport(run.server().trace(), report));
    } else {
      absl::StrAppend(&out, "Reverse: no result\n");
    }
  }

  if (run.oneway_requested()) {
    absl::StrAppend(&out, "\nOne-way:\n");
    absl::StrAppend(&out, "  client -> server: ",
                    run.has_oneway_forward() ? FormatOneWayLine(run.oneway_forward())
                                             : std::string("not measured"),
                    "\n");
    absl::StrAppend(&out, "  server -> client: ",
                    run.has_oneway_reverse() ? FormatOneWayLine(run.oneway_reverse())
                                             : std::string("not measured"),
                    "\n");
    if (const std::string clocks = DescribeRunClocks(run); !clocks.empty()) {
      absl::StrAppend(&out, "  ", clocks, "\n");
    }
  }
  if (merged != nullptr) {
    absl::StrAppend(&out, "\nPaths: ", merged->symmetric ? "symmetric" : "asymmetric", ", ",
                    merge::DescribeMatches(*merged), "\n");
    if (!merged->only_forward.empty()) {
      absl::StrAppend(&out, "  only on the way out: ", absl::StrJoin(merged->only_forward, ", "),
                      "\n");
    }
    if (!merged->only_reverse.empty()) {
      absl::StrAppend(&out, "  only on the way back: ", absl::StrJoin(merged->only_reverse, ", "),
                      "\n");
    }
    for (const v1::AliasResults* aliases : {&run.client_aliases(), &run.server_aliases()}) {
      if (!aliases->error().empty()) absl::StrAppend(&out, "  ", aliases->error(), "\n");
    }
    absl::StrAppend(&out, "  forward AS path: ", AsPath(merged->forward_as_path), "\n");
    absl::StrAppend(&out, "  reverse AS path: ", AsPath(merged->reverse_as_path), "\n");
  }
  const std::vector<std::string> errors = RunErrors(run);
  if (!errors.empty()) {
    absl::StrAppend(&out, "\nErrors:\n");
    for (const std::string& e : errors) absl::StrAppend(&out, "  ", e, "\n");
  }
  if (diagnosis.available && !diagnosis.text.empty()) {
    absl::StrAppend(&out, "\n", diagnosis.text);
    if (out.back() != '\n') out += '\n';
  }
  return out;
}

}  // namespace pathpair::paired
