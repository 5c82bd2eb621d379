// How mtr names a hop in its outputs, with the display options that change it: -n (addresses
// only), -b (name and address), -z (AS number before the name) and -e (MPLS label lines under
// a hop). Helpers for every trace writer (report, JSON, CSV/XML/split, WinMTR), the screen and
// the paired reports, so each shows a responder the same way.
//
//   LabelOptions label{.use_names = true, .show_ips = true};
//   HostLabel(hop.responders(0), label);          // "core1.example.net (198.51.100.2)"
//   AsColumn(64500);                               // "AS64500  " (mtr's 9-column AS prefix)
//   for (const std::string& l : MplsReportLines(hop.responders(0))) std::cout << l << "\n";
#ifndef PATHPAIR_CONTROLLER_REPORT_TRACE_HOST_LABEL_H_
#define PATHPAIR_CONTROLLER_REPORT_TRACE_HOST_LABEL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::formats {

struct LabelOptions {
  bool use_names = true;  // false with -n
  bool show_ips = false;  // -b: the address too, when a name is shown
};

// The AS number announcing an address, 0 when unknown (adapt asn::AsLookup to this).
using AsNumberOf = std::function<uint32_t(const std::string& address)>;

// mtr's report/CSV/JSON label: the name when names are on and known (with " (address)" after
// it under -b), otherwise the address, "???" for nobody. Cut to mtr's 80 characters. (A
// responder read from mtr's JSON may have a name and no address: it shows the name.)
std::string HostLabel(const v1::Responder& responder, const LabelOptions& options);
std::string HopHostLabel(const v1::HopResult& hop, const LabelOptions& options);

// mtr's split (-p) label: the name (or the address) and, under -b, a space and the address
// even when no name is known ("198.51.100.2 198.51.100.2").
std::string SplitHostLabel(const v1::Responder& responder, const LabelOptions& options);

// The text of mtr's -y IP information field for an address, "" when unknown.
using IpInfoOf = std::function<std::string(const std::string& address)>;

// mtr's -z column: "AS" then the number (or "???") padded to 7, e.g. "AS64500  ", "AS???    ".
std::string AsColumn(uint32_t as_number);
// mtr's -y column (fmt_ipinfo): field 0 (origin AS) as AsColumn; 1 prefix padded to 19,
// 2 country to 4, 3 registry to 8, 4 allocation date to 11; "???" when `value` is empty.
std::string IpInfoColumn(int field, absl::string_view value);
// The same without padding, as mtr's CSV "Asn" column: "AS64500", "AS???".
std::string AsText(uint32_t as_number);

// A report hop line's prefix up to the name column: " %2d.|-- " normally; with -z
// " %2d. AS<n padded> " as mtr 0.95 prints it (name then follows in the same name column).
std::string ReportHopPrefix(int ttl, bool show_as, uint32_t as_number);

// mtr's -e lines under a hop in the report: one per label, outermost first,
// "       [MPLS: Lbl 24001 TC 0 S 1 TTL 1]". (mtr 0.95 prints S with %c, a raw byte: we print
// the number.)
std::vector<std::string> MplsReportLines(const v1::Responder& responder);

// mtr's raw -l MPLS lines: "m <pos> <label> <tc> <s> <ttl>".
std::vector<std::string> MplsRawLines(int pos, const v1::Responder& responder);

// The probe protocol as pathpair's JSON names it: "icmp", "udp" or "tcp".
const char* ProtocolName(v1::Protocol protocol);

// A direction's title: "<source> <arrow> <target>", the source's name (else its address, else
// "?") and the target as typed (else its address). E.g. "vm -> target.example".
std::string TraceEndsLabel(const v1::TraceResult& result, absl::string_view arrow);

}  // namespace pathpair::formats

#endif  // PATHPAIR_CONTROLLER_REPORT_TRACE_HOST_LABEL_H_
