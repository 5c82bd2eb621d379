// mtr's text report (-r) and wide report (-w), written from a v1::TraceResult so that it serves
// live traces, agents' results and saved runs alike. The layout is mtr 0.95's to the character
// (ui/report.c): a "Start:" line, a "HOST:" title line, one line per hop, and one indented line
// per extra responder at a TTL (ECMP).
//
// mtr's layout, checked against the real mtr 0.95 (Debian mtr-tiny) in namespace paths:
// - "Start: " + local time as %Y-%m-%dT%H:%M:%S%z (2026-11-27T11:20:41+0000).
// - Narrow (-r): the name column is 33 characters. "HOST: <local host>" and each hop's
//   " %2d.|-- <name>" are padded and then CUT at 33 (long names lose their tail), and the cells
//   follow: title/cell widths Loss% 6 (" %4.1f%%"), Snt/Rcv 6 (" %5d"), Drop 5 (" %4d"), the
//   blank 1, times 6 (" %5.1f"), jitters 5 (" %4.1f").
// - Cells sit at fixed offsets: a cell wider than its column is overwritten by the next one, so
//   100% loss prints " 100.0" (no '%') and 1234.5 ms prints " 1234." unless it is the last cell.
// - Wide (-w): the name width is the longest of the local host name and the hop names; the
//   header is "HOST: %-Ns" and hop lines " %2d.|-- %-Ns", nothing cut, so the header's columns
//   sit two characters left of the hops' (mtr's own quirk, kept).
// - An unknown hop is "???". Each other responder at a TTL gets a line of 8 spaces + its name
//   padded to the name width (trailing spaces kept), right under the hop line, no figures.
// - Names: reverse DNS name with DNS on, else the address; at most 80 characters. With -b
//   "name (address)"; with -z the prefix is " %2d. AS<n padded to 7> " (with -y N, field N of
//   host_label.h's IpInfoColumn instead); with -e each
//   responder's MPLS labels follow its line (host_label.h has mtr's exact shapes).
// The cells are field_spec.h's (the screen shows the same), the time is time_format.h's.
//
//   ReportOptions options;
//   options.wide = true;
//   std::cout << FormatReport(result, options);
#ifndef PATHPAIR_CONTROLLER_REPORT_TRACE_REPORT_WRITER_H_
#define PATHPAIR_CONTROLLER_REPORT_TRACE_REPORT_WRITER_H_

#include <string>

#include "controller/report/trace/hop_fields.h"
#include "controller/report/trace/host_label.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::output {

struct ReportOptions {
  bool wide = false;      // -w: the name column grows to the longest name instead of cutting
  bool use_names = true;  // show responders' reverse names where the result has them
  std::string field_order = kMtrDefaultFieldOrder;  // mtr's -o letters; unknown ones skipped
  bool show_ips = false;                            // -b
  bool show_as = false;                             // -z
  formats::AsNumberOf as_number;                    // with show_as; nullptr: every AS unknown
  int ip_info_field = 0;      // -y: with show_as, the column shows this field (0: AS number)
  formats::IpInfoOf ip_info;  // with show_as and ip_info_field > 0; nullptr: every one unknown
  bool show_mpls = false;     // -e
};

// The whole report, each line ending in '\n'. An interrupted trace (Ctrl-C) gets one more line,
// InterruptionNote's, under the hops (mtr prints nothing at all then).
std::string FormatReport(const v1::TraceResult& result, const ReportOptions& options);

// "Interrupted after 13 of 50 rounds; 5 more were under way and left out (their losses were not
// yet known)." for an interrupted trace (v1::TraceResult.interrupted), "" otherwise.
std::string InterruptionNote(const v1::TraceResult& result);

}  // namespace pathpair::output

#endif  // PATHPAIR_CONTROLLER_REPORT_TRACE_REPORT_WRITER_H_
