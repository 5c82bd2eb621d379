#include "controller/report/paired/paired_text_report.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "controller/paired/oneway_clock.h"
#include "controller/report/common/text_format.h"
#include "controller/report/common/time_format.h"
#include "controller/report/paired/path_rows.h"
#include "controller/report/paired/report_findings.h"
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

// "LOSS_REVERSE_DIRECTION, way back, at reverse hop 3 198.51.100.5 (carrier)".
std::string FindingName(const html::ReportFinding& f) {
  std::string line = f.code;
  if (f.direction == "forward") absl::StrAppend(&line, ", way out");
  if (f.direction == "reverse") absl::StrAppend(&line, ", way back");
  if (f.direction == "both") absl::StrAppend(&line, ", both ways");
  if (f.hop > 0) {
    absl::StrAppend(&line, ", at ", f.hop_direction == "reverse" ? "reverse hop " : "hop ", f.hop);
    if (!f.address.empty()) absl::StrAppend(&line, " ", f.address);
  }
  if (!f.area.empty()) absl::StrAppend(&line, " (", f.area, ")");
  return line;
}

// The findings in plain words, problems first; their evidence is in Details().
std::string Findings(const DiagnosisOutput& diagnosis,
                     const std::vector<html::ReportFinding>& findings) {
  std::string out =
      diagnosis.headline.empty() ? std::string("Diagnosis: unknown") : diagnosis.headline;
  out += "\n";
  if (findings.empty()) {
    return absl::StrCat(out, "  Nothing on either path needs attention.\n");
  }
  for (const html::ReportFinding& f : findings) {
    absl::StrAppend(&out, "  [", f.severity, "] ", FindingName(f),
                    f.ignore ? ": ignore this figure" : "", "\n");
    absl::StrAppend(&out, "      ", f.summary, "\n");
    if (!f.action.empty()) absl::StrAppend(&out, "      What to do: ", f.action, "\n");
  }
  return out;
}

// One direction's cells of a path row: hop, loss (with '!' where a fault points), average.
std::string HopCells(const std::optional<merge::HopRef>& hop, const html::HopMark& mark) {
  if (!hop.has_value()) return std::string(22, ' ');
  if (hop->received == 0) return absl::StrFormat("%4d %17s", hop->ttl, "no reply");
  return absl::StrFormat("%4d %6.1f%%%c %7.1f", hop->ttl, hop->loss_pct, mark.fault ? '!' : ' ',
                         hop->avg_ms);
}

std::string RowNote(const html::PathRow& row, const std::vector<html::ReportFinding>& findings) {
  std::vector<std::string> notes;
  for (const html::ReportFinding& f : findings) {
    if (f.hop <= 0) continue;
    const std::optional<merge::HopRef>& side =
        f.hop_direction == "reverse" ? row.row.reverse : row.row.forward;
    if (!side.has_value() || side->ttl != f.hop) continue;
    if (html::IsFault(f)) notes.push_back(absl::StrCat("<< ", f.code));
    if (f.ignore) notes.push_back(absl::StrCat("ignore (", f.code, ")"));
  }
  return absl::StrJoin(notes, ", ");
}

// The merged path, one router a row, both directions' figures side by side.
std::string PathTable(const v1::PairedRun& run, const merge::MergedPaths& merged,
                      const std::vector<html::ReportFinding>& findings,
                      const formats::LabelOptions& label) {
  const html::PathRows rows = html::BuildPathRows(merged, findings);
  std::string out =
      "Path, router by router (client first; hops in each trace's own numbering; ! marks where "
      "a finding points):\n";
  absl::StrAppendFormat(&out, "%4s %-30s %-20s | %-22s | %-22s | %s\n", "Pos", "Router", "Match",
                        rows.forward_faulty ? "Way out (FAULTY)" : "Way out",
                        rows.reverse_faulty ? "Way back (FAULTY)" : "Way back", "Note");
  absl::StrAppendFormat(&out, "%4s %-30s %-20s | %4s %7s  %7s | %4s %7s  %7s |\n", "", "", "",
                        "Hop", "Loss%", "Avg", "Hop", "Loss%", "Avg");
  for (const html::PathRow& row : rows.rows) {
    const std::string note = RowNote(row, findings);
    std::string line = absl::StrFormat(
        "%4d %-30s %-20s | %s | %s |%s", row.position,
        output::CutWithMark(
            html::RouterLabel(row.row, run.client().trace(), run.server().trace(), label), 30),
        output::CutWithMark(html::MatchWords(row.row), 20), HopCells(row.row.forward, row.forward),
        HopCells(row.row.reverse, row.reverse), note.empty() ? "" : absl::StrCat(" ", note));
    absl::StrAppend(&out, line, "\n");
  }
  absl::StrAppend(&out, "Paths: ", merged.symmetric ? "symmetric" : "asymmetric", ", ",
                  merge::DescribeMatches(merged), "\n");
  if (!merged.only_forward.empty()) {
    absl::StrAppend(&out, "  only on the way out: ", absl::StrJoin(merged.only_forward, ", "),
                    "\n");
  }
  if (!merged.only_reverse.empty()) {
    absl::StrAppend(&out, "  only on the way back: ", absl::StrJoin(merged.only_reverse, ", "),
                    "\n");
  }
  for (const v1::AliasResults* aliases : {&run.client_aliases(), &run.server_aliases()}) {
    if (!aliases->error().empty()) absl::StrAppend(&out, "  ", aliases->error(), "\n");
  }
  absl::StrAppend(&out, "  forward AS path: ", AsPath(merged.forward_as_path), "\n");
  absl::StrAppend(&out, "  reverse AS path: ", AsPath(merged.reverse_as_path), "\n");
  return out;
}

// Each finding's evidence in words: what the findings rest on, folded below the answer.
std::string Evidence(const std::vector<html::ReportFinding>& findings) {
  std::string out;
  for (const html::ReportFinding& f : findings) {
    if (f.evidence.empty()) continue;
    absl::StrAppend(&out, "  ", FindingName(f), ":\n");
    for (const auto& [name, value] : f.evidence) {
      absl::StrAppend(&out, "      ", name, ": ", value, "\n");
    }
  }
  return out;
}

std::string OneWay(const v1::PairedRun& run) {
  std::string out = "One-way:\n";
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
  return out;
}

// Both traces as each end measured them.
std::string Traces(const v1::PairedRun& run, const TextReportOptions& options) {
  std::string out;
  formats::PairedTextOptions paired;
  paired.label.use_names = options.use_names;
  output::ReportOptions report;
  report.use_names = options.use_names;
  if (run.client().has_trace() && run.server().has_trace()) {
    paired.forward_title = absl::StrCat("client -> ", run.forward_target());
    paired.reverse_title = absl::StrCat("server -> ", run.reverse_target());
    return formats::FormatPairedText(run.client().trace(), run.server().trace(), paired);
  }
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
  return out;
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
                  run.reverse_target_reflected() ? " (learned by Reflect)" : "", "\n");

  // The answer first: the verdict and the findings, then the figures they rest on.
  const std::vector<html::ReportFinding> findings =
      diagnosis.available ? html::FindingsFromJson(diagnosis.json.paired)
                          : std::vector<html::ReportFinding>();
  if (diagnosis.available) absl::StrAppend(&out, "\n", Findings(diagnosis, findings));
  const std::vector<std::string> errors = RunErrors(run);
  if (!errors.empty()) {
    absl::StrAppend(&out, "\nErrors:\n");
    for (const std::string& e : errors) absl::StrAppend(&out, "  ", e, "\n");
  }
  if (run.oneway_requested()) absl::StrAppend(&out, "\n", OneWay(run));
  formats::LabelOptions label;
  label.use_names = options.use_names;
  if (merged != nullptr) absl::StrAppend(&out, "\n", PathTable(run, *merged, findings, label));

  absl::StrAppend(&out, "\nDetails\n");
  if (const std::string evidence = Evidence(findings); !evidence.empty()) {
    absl::StrAppend(&out, "Evidence of the findings:\n", evidence, "\n");
  }
  absl::StrAppend(&out, "Both traces as measured (reverse as the server traced it):\n",
                  Traces(run, options));
  return out;
}

}  // namespace pathpair::paired
