// WinMTR's two exports of a trace, for people who attach "Export TEXT" / "Export HTML" output
// to tickets: --export-text FILE and --export-html FILE (also written when the screen exits).
// The layout is WinMTR's table (Host, %, Sent, Recv, Best, Avrg, Wrst, Last; whole numbers);
// the HTML version is a small self-contained page with the same table.
//
//   std::string text = FormatWinMtrText(result, LabelOptions{});
//   absl::Status written = WriteTextFile("trace.txt", text);
#ifndef PATHPAIR_CONTROLLER_REPORT_TRACE_WINMTR_EXPORT_H_
#define PATHPAIR_CONTROLLER_REPORT_TRACE_WINMTR_EXPORT_H_

#include <string>

#include "absl/status/status.h"
#include "controller/report/trace/host_label.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::html {

// WinMTR's text table: a 92-column box, the host right-aligned in 40 columns, silent hops
// shown as "No response from host", and a last line naming the tool. Lines end in "\n".
std::string FormatWinMtrText(const v1::TraceResult& result, const formats::LabelOptions& label);

// The same table as an HTML page (valid HTML5, no external resources, names escaped).
std::string FormatWinMtrHtml(const v1::TraceResult& result, const formats::LabelOptions& label);

// Writes `contents` to `path` (replacing it); errors name the path.
absl::Status WriteTextFile(const std::string& path, const std::string& contents);

}  // namespace pathpair::html

#endif  // PATHPAIR_CONTROLLER_REPORT_TRACE_WINMTR_EXPORT_H_
