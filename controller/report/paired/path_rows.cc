#include "controller/report/paired/path_rows.h"

#include <optional>

#include "absl/strings/str_cat.h"

namespace pathpair::html {
namespace {

std::string SideLabel(const std::optional<merge::HopRef>& hop, const v1::TraceResult& trace,
                      const formats::LabelOptions& label) {
  if (!hop.has_value()) return "";
  if (hop->index >= 0 && hop->index < trace.hops_size()) {
    return formats::HopHostLabel(trace.hops(hop->index), label);
  }
  return hop->address;
}

}  // namespace

HopMark MarkOf(const std::vector<ReportFinding>& findings, const std::string& direction, int ttl) {
  HopMark mark;
  for (const ReportFinding& f : findings) {
    if (f.hop != ttl || f.hop_direction != direction) continue;
    mark.fault = mark.fault || IsFault(f);
    mark.ignore = mark.ignore || f.ignore;
  }
  // A hop a fault points at is drawn as one, whatever else is said about it.
  if (mark.fault) mark.ignore = false;
  return mark;
}

PathRows BuildPathRows(const merge::MergedPaths& merged,
                       const std::vector<ReportFinding>& findings) {
  PathRows out;
  for (const ReportFinding& f : findings) {
    if (!IsFault(f) || f.code == "ASYMMETRIC_PATH") continue;
    out.forward_faulty = out.forward_faulty || f.direction == "forward" || f.direction == "both";
    out.reverse_faulty = out.reverse_faulty || f.direction == "reverse" || f.direction == "both";
  }
  int position = 0;
  for (const merge::AlignedRow& row : merged.rows) {
    PathRow r;
    r.row = row;
    r.position = ++position;
    if (row.forward.has_value()) r.forward = MarkOf(findings, "forward", row.forward->ttl);
    if (row.reverse.has_value()) r.reverse = MarkOf(findings, "reverse", row.reverse->ttl);
    out.rows.push_back(std::move(r));
  }
  return out;
}

std::string RouterLabel(const merge::AlignedRow& row, const v1::TraceResult& forward,
                        const v1::TraceResult& reverse, const formats::LabelOptions& label) {
  const std::string out = SideLabel(row.forward, forward, label);
  const std::string back = SideLabel(row.reverse, reverse, label);
  if (out.empty() || out == "???") return back.empty() ? out : back;
  if (back.empty() || back == "???" || back == out) return out;
  return absl::StrCat(out, " / ", back);
}

std::string MatchWords(const merge::AlignedRow& row) {
  if (row.place == merge::RowPlace::kClient) return "client";
  if (row.place == merge::RowPlace::kServer) return "server";
  if (row.one_way_only || row.match == merge::MatchKind::kNone) {
    if (row.forward.has_value() && !row.reverse.has_value()) return "only on the way out";
    if (row.reverse.has_value() && !row.forward.has_value()) return "only on the way back";
  }
  return merge::MatchKindText(row.match);
}

}  // namespace pathpair::html
