// The `pathpair test --html FILE` report: one self-contained HTML page (inline CSS and SVG, no
// script, no external resource) for a customer or a ticket. It shows, for a paired test:
//   - a summary of both directions and the findings, each with its evidence and next action;
//   - the one-way results of each direction and, in words, how the two clocks were reconciled;
//   - a path diagram: both directions' hops in lanes over their network areas, and where the
//     two paths diverge;
//   - latency per hop (Best/Avg/Wrst) and loss per hop, both directions on one chart each;
//   - both directions' full tables.
// It takes findings as plain structs so that it does not depend on the diagnosis module.
//
//   PairedReport report;
//   report.forward = forward_result;       // rows as given (reverse already oriented or not)
//   report.reverse = reverse_result;
//   report.findings.push_back({.code = "LOSS_AT_HOP", .severity = "critical", .hop = 4, ...});
//   PATHPAIR_RETURN_IF_ERROR(WriteTextFile("report.html", RenderPairedHtml(report)));
#ifndef PATHPAIR_CONTROLLER_REPORT_PAIRED_HTML_PAGE_H_
#define PATHPAIR_CONTROLLER_REPORT_PAIRED_HTML_PAGE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "controller/report/trace/host_label.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::html {

// One diagnosis finding, as the report shows it.
struct ReportFinding {
  std::string code;       // e.g. "FORWARDING_LOSS"
  std::string severity;   // "critical", "warning", "info" (others shown as given)
  std::string direction;  // "forward", "reverse", "both" or empty
  int hop = 0;            // TTL the finding points at; 0 = none
  std::string area;       // network area, e.g. "AS64500 Example Transit"
  std::string summary;    // one sentence
  std::vector<std::pair<std::string, std::string>> evidence;  // name -> value, in order
  std::string action;                                         // what to do next
};

// A network area (an AS, the customer's LAN, ...) covering rows first..last of a direction
// (0-based row indices into hops).
struct ReportArea {
  std::string name;
  int first_row = 0;
  int last_row = 0;
};

struct PairedReport {
  std::string title = "pathpair test report";
  std::string forward_label;  // default "<source> -> <target>" of the result
  std::string reverse_label;
  v1::TraceResult forward;
  v1::TraceResult reverse;
  std::vector<ReportFinding> findings;
  std::vector<ReportArea> forward_areas;
  std::vector<ReportArea> reverse_areas;
  // Row where the two paths part ways; -1: computed from the areas (the first row whose area
  // names differ) or, without areas, never marked.
  int divergence_row = -1;
  int64_t generated_unix_us = 0;
  formats::LabelOptions label;
  // One-way results, one line per direction ({"client -> server", "sent 300, ..."}), and the
  // clocks paragraph (controller/paired/oneway_clock.h DescribeRunClocks). Both empty: no
  // one-way section.
  std::vector<std::pair<std::string, std::string>> oneway;
  std::string clocks;
};

// The whole page, UTF-8.
std::string RenderPairedHtml(const PairedReport& report);

// The pieces, for tests and other pages. Each is one <svg> element.
std::string LatencyChartSvg(const v1::TraceResult& forward, const v1::TraceResult& reverse);
std::string LossChartSvg(const v1::TraceResult& forward, const v1::TraceResult& reverse);
std::string PathDiagramSvg(const PairedReport& report);

// The divergence row RenderPairedHtml marks (see PairedReport::divergence_row).
int DivergenceRow(const PairedReport& report);

}  // namespace pathpair::html

#endif  // PATHPAIR_CONTROLLER_REPORT_PAIRED_HTML_PAGE_H_
