// The merged path as both customer reports draw it: one row per router, client first, with each
// direction's hop at that router and what the findings say about it (a fault to highlight, or a
// figure to ignore). The routers are matched by controller/merge (address, alias, link); this
// only reads its rows and places the findings on them.
//
//   std::vector<html::ReportFinding> findings = html::FindingsFromJson(diagnosis.json.paired);
//   html::PathRows rows = html::BuildPathRows(merged, findings);
//   for (const html::PathRow& r : rows.rows)
//     if (r.row.reverse && r.reverse.fault) ...     // this router's way back is where it breaks
//   if (rows.reverse_faulty) ...                    // the way back is the faulty direction
#ifndef PATHPAIR_CONTROLLER_REPORT_PAIRED_PATH_ROWS_H_
#define PATHPAIR_CONTROLLER_REPORT_PAIRED_PATH_ROWS_H_

#include <string>
#include <vector>

#include "controller/merge/path_merge.h"
#include "controller/report/paired/report_findings.h"
#include "controller/report/trace/host_label.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::html {

// What the findings say about one direction's hop.
struct HopMark {
  bool fault = false;   // a problem or warning points at this hop
  bool ignore = false;  // a finding says to ignore this hop's figure (e.g. ICMP rate limiting)
};

struct PathRow {
  merge::AlignedRow row;
  int position = 0;  // 1-based place on the merged path, client first
  HopMark forward;
  HopMark reverse;
};

struct PathRows {
  std::vector<PathRow> rows;
  bool forward_faulty = false;  // a fault finding is about the way out
  bool reverse_faulty = false;  // ... about the way back
};

PathRows BuildPathRows(const merge::MergedPaths& merged,
                       const std::vector<ReportFinding>& findings);

// What the findings say about hop `ttl` of the "forward" or "reverse" trace.
HopMark MarkOf(const std::vector<ReportFinding>& findings, const std::string& direction, int ttl);

// The router's name: its forward hop's label, and the reverse hop's when that differs
// ("r4.example / 198.51.100.10"); "???" for a row whose hops never answered. `forward` and
// `reverse` are the traces the row's indices point into.
std::string RouterLabel(const merge::AlignedRow& row, const v1::TraceResult& forward,
                        const v1::TraceResult& reverse, const formats::LabelOptions& label);

// How the row's two hops were found to be one router, in words: "same address", "by alias",
// "by link", "only on the way out", "only on the way back", "client", "server", or "".
std::string MatchWords(const merge::AlignedRow& row);

}  // namespace pathpair::html

#endif  // PATHPAIR_CONTROLLER_REPORT_PAIRED_PATH_ROWS_H_
