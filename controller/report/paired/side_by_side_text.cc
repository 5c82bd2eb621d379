#include "controller/report/paired/side_by_side_text.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/report/common/text_format.h"
#include "controller/report/trace/hop_fields.h"

namespace pathpair::formats {
namespace {

constexpr int kHostWidth = 23;  // 58 = 4 (hop) + 23 + 1 + 30 (five 6-wide figures)

std::string SideHeader() {
  return absl::StrFormat("%3s %-*s %6s%6s%6s%6s%6s", "Hop", kHostWidth, "Host", "Loss%", "Snt",
                         "Best", "Avg", "Wrst");
}

std::string SideRow(const v1::HopResult& hop, const LabelOptions& label) {
  std::string row = absl::StrFormat("%3d %-*s", hop.ttl(), kHostWidth,
                                    output::CutWithMark(HopHostLabel(hop, label), kHostWidth));
  if (hop.received() == 0) {
    absl::StrAppendFormat(&row, " %5.1f%%%6d%6s%6s%6s",
                          output::LossPercent(hop.sent(), hop.received()), hop.sent(), "-", "-",
                          "-");
  } else {
    absl::StrAppendFormat(&row, " %5.1f%%%6d%6.1f%6.1f%6.1f",
                          output::LossPercent(hop.sent(), hop.received()), hop.sent(),
                          hop.rtt().best_ms(), hop.rtt().avg_ms(), hop.rtt().worst_ms());
  }
  return row;
}

std::string Pad(std::string text) {
  text = output::CutWithMark(std::move(text), kPairedSideWidth);
  text.resize(kPairedSideWidth, ' ');
  return text;
}

std::string Join(const std::string& left, const std::string& right) {
  std::string line = absl::StrCat(Pad(left), " | ", right);
  line = output::CutWithMark(std::move(line), kPairedWidth);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

std::string Summary(const v1::TraceResult& r) {
  if (!r.error().empty()) return absl::StrCat("error: ", r.error());
  return absl::StrCat(r.reached() ? "reached" : "NOT reached", ", ", r.rounds(), " rounds");
}

}  // namespace

std::string FormatPairedText(const v1::TraceResult& forward, const v1::TraceResult& reverse,
                             const PairedTextOptions& options) {
  std::string out;
  out +=
      Join(absl::StrCat("Forward: ", options.forward_title.empty() ? TraceEndsLabel(forward, " -> ")
                                                                   : options.forward_title),
           absl::StrCat("Reverse: ", options.reverse_title.empty() ? TraceEndsLabel(reverse, " -> ")
                                                                   : options.reverse_title));
  out += Join(absl::StrCat("         ", Summary(forward)),
              absl::StrCat("         ", Summary(reverse)));
  out += Join(SideHeader(), SideHeader());
  const int rows = std::max(forward.hops_size(), reverse.hops_size());
  for (int i = 0; i < rows; ++i) {
    out += Join(i < forward.hops_size() ? SideRow(forward.hops(i), options.label) : "",
                i < reverse.hops_size() ? SideRow(reverse.hops(i), options.label) : "");
  }
  return out;
}

}  // namespace pathpair::formats
