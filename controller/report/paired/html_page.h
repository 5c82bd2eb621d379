// The `pathpair test --html FILE` report: one self-contained HTML page (inline CSS and SVG, no
// script, no external resource) for a customer or a ticket. It reads like an answer:
//   - the verdict at the top, then the findings in plain words, problems first, each with its
//     evidence folded away (<details>) and its next step;
//   - the one-way results: loss and delay each way, the clock method and its error bound;
//   - the merged path router by router (controller/merge matched the routers), with both
//     directions' loss and latency at each router and the faulty direction highlighted;
//   - a path diagram and latency and loss charts whose x axis is the position on the merged
//     path, so one x is one router on both lines;
//   - both directions' full tables, folded.
// A hop that a finding says to ignore (ICMP rate limiting, ...) is never drawn red. Severity
// words are the text report's ("problem", "warning", "info").
// It takes findings as plain structs (report_findings.h) so that it does not depend on the
// diagnosis module.
//
//   PairedReport report;
//   report.forward = forward_result;        // as the client traced it
//   report.reverse = reverse_result;        // as the server traced it (server first)
//   report.path = {{.router = "r1", .forward_row = 0, .reverse_row = 3}, ...};  // client first
//   report.findings.push_back({.code = "PACKET_LOSS", .severity = "problem", .hop = 4, ...});
//   PATHPAIR_RETURN_IF_ERROR(WriteTextFile("report.html", RenderPairedHtml(report)));
#ifndef PATHPAIR_CONTROLLER_REPORT_PAIRED_HTML_PAGE_H_
#define PATHPAIR_CONTROLLER_REPORT_PAIRED_HTML_PAGE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "controller/report/paired/report_findings.h"
#include "controller/report/trace/host_label.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::html {

// A network area (an AS, the customer's LAN, ...) covering rows first..last of a direction
// (0-based row indices into hops).
struct ReportArea {
  std::string name;
  int first_row = 0;
  int last_row = 0;
};

// One router of the merged path (or an endpoint, or a silent hop), client first.
struct PathColumn {
  std::string router;         // its name(s), e.g. "r4.example / 198.51.100.10"
  std::string match;          // how its two hops were matched, in words ("by alias", ...)
  int forward_row = -1;       // its hop in forward.hops(); -1: the way out has none here
  int reverse_row = -1;       // its hop in reverse.hops(); -1: the way back has none here
  bool one_way_only = false;  // a router only one direction crosses (where the paths diverge)
};

// One direction of the one-way measurement.
struct OneWayRow {
  std::string direction;    // "forward" (client -> server) or "reverse"
  std::string label;        // "Way out (client -> server)"
  std::string loss;         // "20.0% (60 of 300 lost)", or why it was not measured
  std::string delay;        // "8.50 / 8.62 / 9.10 ms" (min / avg / max)
  std::string variation;    // "0.12 ms" (standard deviation)
  std::string clock;        // the clock method in words, with its name
  std::string error_bound;  // "+-0.001 ms", or "none: only the variation means anything"
  std::string details;      // the whole line as the text report prints it
};

struct PairedReport {
  std::string title = "pathpair test report";
  std::string forward_label;  // default "<source> -> <target>" of the result
  std::string reverse_label;
  v1::TraceResult forward;
  v1::TraceResult reverse;
  std::vector<ReportFinding> findings;
  std::string verdict;       // "healthy", "degraded", "broken"; "" without a diagnosis
  std::string verdict_line;  // the diagnosis' first line ("Diagnosis: DEGRADED (...)")
  std::string status;        // "complete", "partial", "failed"; "" when not a paired run
  // The merged path; empty: each trace is drawn on its own hop numbering.
  std::vector<PathColumn> path;
  std::vector<ReportArea> forward_areas;
  std::vector<ReportArea> reverse_areas;
  // Without a merged path: the row where the two paths part ways; -1: computed from the areas
  // (the first row whose area names differ) or, without areas, never marked. With a merged
  // path, its first one_way_only router is marked.
  int divergence_row = -1;
  int64_t generated_unix_us = 0;
  formats::LabelOptions label;
  // One-way results, one row per direction, and the clocks paragraph (controller/paired/
  // oneway_clock.h DescribeRunClocks). Both empty: no one-way section.
  std::vector<OneWayRow> oneway;
  std::string clocks;
};

// The whole page, UTF-8.
std::string RenderPairedHtml(const PairedReport& report);

// The pieces, for tests and other pages. Each is one <svg> element. Every hop's mark carries
// data-dir ("forward"/"reverse"), data-ttl, data-address and data-col (its x column, the
// position on the merged path when there is one), and data-ignore="1" for an ignored hop.
std::string LatencyChartSvg(const PairedReport& report);
std::string LossChartSvg(const PairedReport& report);
std::string PathDiagramSvg(const PairedReport& report);

// The divergence row RenderPairedHtml marks (see PairedReport::divergence_row).
int DivergenceRow(const PairedReport& report);

}  // namespace pathpair::html

#endif  // PATHPAIR_CONTROLLER_REPORT_PAIRED_HTML_PAGE_H_
