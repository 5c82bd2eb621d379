#include "controller/report/trace/host_label.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pathpair::formats {
namespace {

constexpr size_t kMaxLabel = 80;  // mtr prints names into an 81-byte buffer

std::string Cut(std::string s) {
  if (s.size() > kMaxLabel) s.resize(kMaxLabel);
  return s;
}

}  // namespace

std::string HostLabel(const v1::Responder& responder, const LabelOptions& options) {
  if (options.use_names && !responder.hostname().empty()) {
    if (options.show_ips && !responder.address().empty())
      return Cut(absl::StrCat(responder.hostname(), " (", responder.address(), ")"));
    return Cut(responder.hostname());
  }
  if (responder.address().empty()) return "???";
  return Cut(responder.address());
}

std::string HopHostLabel(const v1::HopResult& hop, const LabelOptions& options) {
  if (hop.responders().empty()) return "???";
  return HostLabel(hop.responders(0), options);
}

std::string SplitHostLabel(const v1::Responder& responder, const LabelOptions& options) {
  if (responder.address().empty()) return "???";
  std::string name = options.use_names && !responder.hostname().empty() ? responder.hostname()
                                                                        : responder.address();
  if (options.show_ips) absl::StrAppend(&name, " ", responder.address());
  return name;
}

std::string AsText(uint32_t as_number) {
  return as_number == 0 ? std::string("AS???") : absl::StrCat("AS", as_number);
}

std::string AsColumn(uint32_t as_number) {
  return IpInfoColumn(0, as_number == 0 ? std::string() : absl::StrCat(as_number));
}

std::string IpInfoColumn(int field, absl::string_view value) {
  // mtr's iiwidth: each field's width plus one space.
  static constexpr int kWidths[] = {7, 19, 4, 8, 11};
  const int width = field >= 0 && field < 5 ? kWidths[field] : kWidths[0];
  return absl::StrFormat("%s%-*s", field == 0 ? "AS" : "", width, value.empty() ? "???" : value);
}

std::string ReportHopPrefix(int ttl, bool show_as, uint32_t as_number) {
  if (show_as) return absl::StrFormat(" %2d. %s", ttl, AsColumn(as_number));
  return absl::StrFormat(" %2d.|-- ", ttl);
}

std::vector<std::string> MplsReportLines(const v1::Responder& responder) {
  std::vector<std::string> lines;
  for (const v1::MplsLabel& l : responder.mpls()) {
    lines.push_back(absl::StrFormat("       [MPLS: Lbl %u TC %u S %u TTL %u]", l.label(),
                                    l.traffic_class(), l.bottom_of_stack() ? 1 : 0, l.ttl()));
  }
  return lines;
}

const char* ProtocolName(v1::Protocol protocol) {
  switch (protocol) {
    case v1::PROTOCOL_UDP:
      return "udp";
    case v1::PROTOCOL_TCP:
      return "tcp";
    default:
      return "icmp";
  }
}

std::string TraceEndsLabel(const v1::TraceResult& result, absl::string_view arrow) {
  const std::string& from =
      result.source_hostname().empty() ? result.source_address() : result.source_hostname();
  return absl::StrCat(
      from.empty() ? "?" : from, arrow,
      result.options().target().empty() ? result.target_address() : result.options().target());
}

std::vector<std::string> MplsRawLines(int pos, const v1::Responder& responder) {
  std::vector<std::string> lines;
  for (const v1::MplsLabel& l : responder.mpls()) {
    lines.push_back(absl::StrFormat("m %d %u %u %u %u", pos, l.label(), l.traffic_class(),
                                    l.bottom_of_stack() ? 1 : 0, l.ttl()));
  }
  return lines;
}

}  // namespace pathpair::formats
