#include "controller/report/trace/winmtr_export.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/report/common/markup_escape.h"
#include "controller/report/common/text_format.h"
#include "controller/report/trace/hop_fields.h"

namespace pathpair::html {
namespace {

struct WinMtrRow {
  std::string host;
  int64_t loss, sent, recv, best, avg, worst, last;
};

std::vector<WinMtrRow> Rows(const v1::TraceResult& result, const formats::LabelOptions& label) {
  std::vector<WinMtrRow> rows;
  for (const v1::HopResult& hop : result.hops()) {
    WinMtrRow row;
    row.host =
        hop.responders().empty() ? "No response from host" : formats::HopHostLabel(hop, label);
    row.loss = output::WholeNumber(output::LossPercent(hop.sent(), hop.received()));
    row.sent = hop.sent();
    row.recv = hop.received();
    row.best = output::WholeNumber(hop.rtt().best_ms());
    row.avg = output::WholeNumber(hop.rtt().avg_ms());
    row.worst = output::WholeNumber(hop.rtt().worst_ms());
    row.last = output::WholeNumber(hop.rtt().last_ms());
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

std::string FormatWinMtrText(const v1::TraceResult& result, const formats::LabelOptions& label) {
  std::string out;
  out +=
      "|------------------------------------------------------------------------------------------|"
      "\n";
  out +=
      "|                                      WinMTR statistics                                   "
      "|\n";
  out +=
      "|                       Host              -   %  | Sent | Recv | Best | Avrg | Wrst | Last "
      "|\n";
  out +=
      "|------------------------------------------------|------|------|------|------|------|------|"
      "\n";
  for (const WinMtrRow& r : Rows(result, label)) {
    absl::StrAppendFormat(&out, "|%40s - %4d | %4d | %4d | %4d | %4d | %4d | %4d |\n", r.host,
                          r.loss, r.sent, r.recv, r.best, r.avg, r.worst, r.last);
  }
  out +=
      "|________________________________________________|______|______|______|______|______|______|"
      "\n";
  absl::StrAppend(&out, "   pathpair trace to ", result.options().target(), "\n");
  return out;
}

std::string FormatWinMtrHtml(const v1::TraceResult& result, const formats::LabelOptions& label) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>WinMTR Statistics</title>\n"
      "<style>body{background:#fff;font-family:sans-serif}table{border-collapse:collapse;"
      "margin:auto}td,th{border:1px solid #888;padding:2px 8px;text-align:right}"
      "td:first-child{text-align:left}h2{text-align:center}</style></head>\n<body>\n";
  absl::StrAppend(&out, "<h2>WinMTR statistics</h2>\n<p style=\"text-align:center\">",
                  EscapeHtml(result.source_hostname()), " &rarr; ",
                  EscapeHtml(result.options().target()), "</p>\n<table>\n");
  out +=
      "<tr><th>Host</th><th>%</th><th>Sent</th><th>Recv</th><th>Best</th><th>Avrg</th>"
      "<th>Wrst</th><th>Last</th></tr>\n";
  for (const WinMtrRow& r : Rows(result, label)) {
    absl::StrAppendFormat(&out,
                          "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td>"
                          "<td>%d</td><td>%d</td></tr>\n",
                          EscapeHtml(r.host), r.loss, r.sent, r.recv, r.best, r.avg, r.worst,
                          r.last);
  }
  out += "</table>\n</body></html>\n";
  return out;
}

absl::Status WriteTextFile(const std::string& path, const std::string& contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return absl::UnavailableError(absl::StrCat("cannot open ", path, " for writing"));
  file << contents;
  file.close();
  if (!file) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace pathpair::html
