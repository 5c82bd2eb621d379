// mtr 0.95's machine formats, written from a v1::TraceResult (CSV -C, XML -x, split -p) or from
// per-probe events (raw -l), byte for byte in mtr's grammar: same header, element names,
// column titles and line shapes; only the measured numbers differ. Checked against the real
// mtr on a namespace path by tests/controller/report/trace/mtr_compat_test.py.
//
//   MtrFormatOptions options;                     // fields "LS NABWV", names on
//   std::cout << FormatCsv(result, options);      // -C / --csv
//   std::cout << FormatXml(result, options);      // -x / --xml
//
//   SplitWriter split(options);                   // -p: after every snapshot
//   std::cout << split.Update(snapshot);          // only the lines that changed
//
//   RawWriter raw(std::cout, options);            // -l: give it to the prober as its sink
#ifndef PATHPAIR_CONTROLLER_REPORT_TRACE_MTR_FORMATS_H_
#define PATHPAIR_CONTROLLER_REPORT_TRACE_MTR_FORMATS_H_

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/trace/probe_events.h"
#include "controller/report/trace/field_spec.h"
#include "controller/report/trace/host_label.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::formats {

struct MtrFormatOptions {
  FieldList fields;              // empty: mtr's default "LS NABWV"
  LabelOptions label;            // -n / -b
  bool wide = false;             // -w with -C: one more row per extra responder, as mtr
  bool show_as = false;          // -z: CSV gets mtr's "Asn" column
  AsNumberOf as_number;          // with show_as; nullptr: every AS unknown ("AS???")
  bool show_mpls = false;        // -e: raw `m` lines
  std::string version = "0.95";  // CSV's Mtr_Version is "MTR.<version>"
};

// The fields to print: options.fields, or mtr's default when empty.
FieldList EffectiveFields(const MtrFormatOptions& options);

// -C: "Mtr_Version,Start_Time,Status,Host,Hop,Ip,[Asn,]<titles>," then one row per hop:
// "MTR.<ver>,<start unix s>,OK,<target as typed>,<ttl>,<label>[,AS<n>]" and ",%.2f" per real
// field (",%d" per integer field; the blank column carries Drop, as mtr's does). No hops: empty.
std::string FormatCsv(const v1::TraceResult& result, const MtrFormatOptions& options);

// -x: <?xml version="1.0"?>, <MTR SRC DST TOS PSIZE BITPATTERN TESTS>, a <HUB COUNT HOST> per
// hop with one element per field in the report's cell format (<Loss>  0.0%</Loss>); the blank
// field is skipped. Attribute values are XML-escaped (mtr does not escape; names with & or "
// would break its XML).
std::string FormatXml(const v1::TraceResult& result, const MtrFormatOptions& options);

// -p: mtr's split mode for scripts. Each Update prints, for each hop whose line changed since
// the last Update, "<ttl> <label> <loss% * 1000> <rcv> <snt> <best> <avg> <worst>" (integer
// milliseconds) or "<ttl> ???" for a silent hop, and "-<n>" for every line that went away.
class SplitWriter {
 public:
  explicit SplitWriter(const MtrFormatOptions& options) : options_(options) {}
  std::string Update(const v1::TraceResult& snapshot);
  // Forget what was printed (the screen's reset): the next Update prints every line.
  void Reset() { lines_.clear(); }

 private:
  MtrFormatOptions options_;
  std::map<int, std::string> lines_;  // by TTL
};

// -l: one line per event, pos = TTL - 1:
//   "x <pos> <seq>" a probe left; "h <pos> <ip>" a new responder at pos; "m <pos> <label> <tc>
//   <s> <ttl>" its MPLS labels (with show_mpls); "d <pos> <name>" once, when its name is known;
//   "p <pos> <rtt us> <seq>" a reply to probe <seq>.
// Every line is flushed, as mtr does, so a pipe sees events as they happen.
class RawWriter : public ProbeEventSink {
 public:
  // `name_of` returns a responder's reverse name when known (non-blocking, e.g. the DNS
  // cache's Peek); nullptr or -n: no `d` lines.
  using NameOf = std::function<std::optional<std::string>(const IpAddress& address)>;
  RawWriter(std::ostream& out, const MtrFormatOptions& options, NameOf name_of = nullptr);

  void OnProbeSent(int ttl, uint16_t sequence, MonoTime sent_at) override;
  void OnReply(int ttl, uint16_t sequence, const IpAddress& responder, absl::Duration rtt,
               const std::vector<ProbeMplsLabel>& mpls) override;

 private:
  std::ostream& out_;
  MtrFormatOptions options_;
  NameOf name_of_;
  std::map<int, IpAddress> last_host_;  // by pos: the responder last announced with `h`
  std::map<int, bool> named_;           // by pos: a `d` line was printed
};

}  // namespace pathpair::formats

#endif  // PATHPAIR_CONTROLLER_REPORT_TRACE_MTR_FORMATS_H_
