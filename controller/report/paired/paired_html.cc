#include "controller/report/paired/paired_html.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/paired/oneway_clock.h"
#include "controller/report/paired/paired_text_report.h"

namespace pathpair::subcommands {
namespace {

// The diagnosis says "problem" where the page says "critical".
std::string PageSeverity(const std::string& severity) {
  return severity == "problem" ? "critical" : severity;
}

std::string EvidenceText(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string text;
    for (const auto& item : value) {
      if (!text.empty()) text += ", ";
      text += item.is_string() ? item.get<std::string>() : item.dump();
    }
    return text;
  }
  return value.dump();
}

html::ReportFinding ToReportFinding(const nlohmann::ordered_json& f) {
  html::ReportFinding out;
  auto text = [&f](const char* key) -> std::string {
    const auto it = f.find(key);
    return it != f.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  out.code = text("code");
  out.severity = PageSeverity(text("severity"));
  out.direction = text("direction");
  if (const auto hop = f.find("hop"); hop != f.end() && hop->is_number_integer()) {
    out.hop = hop->get<int>();
  }
  out.area = text("area");
  if (out.area == "unknown") out.area.clear();
  if (const auto asn = f.find("asn"); asn != f.end() && asn->is_number_unsigned()) {
    out.area = absl::StrCat("AS", asn->get<uint32_t>(), " ", text("as_name"),
                            out.area.empty() ? "" : absl::StrCat(" (", out.area, ")"));
  }
  out.summary = text("summary");
  if (const auto evidence = f.find("evidence"); evidence != f.end() && evidence->is_object()) {
    for (const auto& [name, value] : evidence->items()) {
      out.evidence.emplace_back(name, EvidenceText(value));
    }
  }
  out.action = text("action");
  return out;
}

// Runs of consecutive hops (by index into the trace) that share a known AS.
std::vector<html::ReportArea> AreasOf(const std::vector<std::pair<int, uint32_t>>& hop_asns,
                                      const std::map<uint32_t, std::string>& names) {
  std::vector<html::ReportArea> areas;
  uint32_t current = 0;
  for (const auto& [index, asn] : hop_asns) {
    if (asn == 0) continue;  // unknown: extends nothing, breaks nothing
    if (asn == current && !areas.empty()) {
      areas.back().last_row = index;
      continue;
    }
    current = asn;
    const auto name = names.find(asn);
    areas.push_back(
        {absl::StrCat("AS", asn,
                      name != names.end() && !name->second.empty() ? absl::StrCat(" ", name->second)
                                                                   : std::string()),
         index, index});
  }
  return areas;
}

}  // namespace

html::PairedReport BuildPairedHtmlReport(const v1::PairedRun& run, const merge::MergedPaths* merged,
                                         const paired::DiagnosisOutput& diagnosis,
                                         asn::AsLookup* as_lookup, bool use_names) {
  html::PairedReport report;
  report.title = absl::StrCat("pathpair test ", run.run_id());
  report.generated_unix_us = run.end_unix_us();
  report.label.use_names = use_names;
  if (run.client().has_trace()) report.forward = run.client().trace();
  if (run.server().has_trace()) report.reverse = run.server().trace();
  report.forward_label = absl::StrCat("client -> ", run.forward_target());
  report.reverse_label = absl::StrCat("server -> ", run.reverse_target());
  if (!run.client().error().empty()) absl::StrAppend(&report.forward_label, " (failed)");
  if (!run.server().error().empty()) absl::StrAppend(&report.reverse_label, " (failed)");
  if (diagnosis.json.paired.is_array()) {
    for (const auto& f : diagnosis.json.paired) {
      if (f.is_object()) report.findings.push_back(ToReportFinding(f));
    }
  }
  if (run.oneway_requested()) {
    for (const auto& [label, present, measurement] :
         {std::tuple{"client -> server", run.has_oneway_forward(), &run.oneway_forward()},
          std::tuple{"server -> client", run.has_oneway_reverse(), &run.oneway_reverse()}}) {
      report.oneway.emplace_back(
          label, present ? paired::FormatOneWayLine(*measurement) : std::string("not measured"));
    }
    report.clocks = paired::DescribeRunClocks(run);
  }
  for (const std::string& error : paired::RunErrors(run)) {
    report.findings.push_back({.code = "RUN_ERROR",
                               .severity = "warning",
                               .summary = error,
                               .action = "The report shows what was measured before this."});
  }
  if (merged == nullptr) return report;

  // Areas need AS numbers: only with an AS database.
  if (as_lookup != nullptr) {
    std::map<uint32_t, std::string> names;
    for (const auto* path : {&merged->forward_as_path, &merged->reverse_as_path}) {
      for (const merge::AsPathEntry& e : *path) names[e.asn] = e.name;
    }
    std::vector<std::pair<int, uint32_t>> forward, reverse;
    for (const merge::AlignedRow& row : merged->rows) {
      if (row.forward.has_value()) forward.emplace_back(row.forward->index, row.forward->asn);
      if (row.reverse.has_value()) reverse.emplace_back(row.reverse->index, row.reverse->asn);
    }
    // Rows run client first; the reverse trace is drawn as traced (server first).
    std::sort(reverse.begin(), reverse.end());
    report.forward_areas = AreasOf(forward, names);
    report.reverse_areas = AreasOf(reverse, names);
  }
  // The first router (client first) only one direction crosses.
  for (const merge::AlignedRow& row : merged->rows) {
    if (!row.one_way_only) continue;
    report.divergence_row = row.forward.has_value() ? row.forward->index : row.reverse->index;
    break;
  }
  return report;
}

}  // namespace pathpair::subcommands
