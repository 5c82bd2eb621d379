// The diagnosis findings of a paired run as the customer reports show them (the text report of
// `pathpair test`/`pathpair show` and the HTML page): read from the diagnosis JSON
// (controller/diagnosis/render.h), in plain words, with one table of evidence names shared by
// both reports, so neither shows raw keys like `loss_ci_low_pct`.
//
//   std::vector<html::ReportFinding> findings = html::FindingsFromJson(diagnosis.json.paired);
//   for (const html::ReportFinding& f : findings)         // problems first, then warnings, info
//     std::cout << "[" << f.severity << "] " << f.code << " " << f.direction << "\n";
//   html::EvidenceLabel("loss_ci_low_pct");               // "loss, 95% interval from"
//
// Severity words are the diagnosis' own: "problem", "warning", "info", in both reports.
// A finding is `ignore` when it explains an alarming-looking figure that is no fault (ICMP rate
// limiting, a silent hop, a slow control plane): the reports never draw its hop as a fault.
#ifndef PATHPAIR_CONTROLLER_REPORT_PAIRED_REPORT_FINDINGS_H_
#define PATHPAIR_CONTROLLER_REPORT_PAIRED_REPORT_FINDINGS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace pathpair::html {

// One diagnosis finding, as the reports show it.
struct ReportFinding {
  std::string code;           // e.g. "PACKET_LOSS"
  std::string severity;       // "problem", "warning", "info" (others shown as given)
  std::string direction;      // "forward", "reverse", "both" or empty
  int hop = 0;                // TTL the finding points at, in hop_direction's trace; 0 = none
  std::string hop_direction;  // "forward" or "reverse": the trace `hop` is counted in
  std::string address;        // the hop's responder, when there is one
  std::string area;           // network area, e.g. "AS64500 Example Transit"
  std::string summary;        // one sentence
  std::vector<std::pair<std::string, std::string>> evidence;  // words -> value, in order
  std::string action;                                         // what to do next
  bool ignore = false;  // explains a figure that is not a fault (see above)
};

// The words for an evidence key: "loss_ci_low_pct" -> "loss, 95% interval from". Keys not in
// the table are spelled out from their parts ("later_min_avg_ms" -> "later min average"), so no
// report ever shows a raw key.
std::string EvidenceLabel(absl::string_view key);
// The value with the unit its key's suffix names: 30.3 for "loss_pct" -> "30.3%", 12 for
// "step_ms" -> "12.0 ms"; lists joined with ", ".
std::string EvidenceValue(absl::string_view key, const nlohmann::ordered_json& value);
// A finding's evidence object in words, in order (a loss interval's two ends become one line).
std::vector<std::pair<std::string, std::string>> EvidenceInWords(
    const nlohmann::ordered_json& evidence);

// Codes whose finding says a figure is to be ignored (rate limiting, silent hop, slow path).
bool IsIgnoreCode(absl::string_view code);

// The diagnosis JSON's finding array (FindingToJson objects), in SortBySeverity's order.
// `direction` is what the finding is about: the paired codes name it (LOSS_REVERSE_DIRECTION and
// LATENCY_ON_RETURN_PATH "reverse", LOSS_BOTH_ DIRECTIONS and ASYMMETRIC_PATH "both", ...), HEALTHY
// about none (""), other findings are about their hop's trace. Non-objects are skipped.
std::vector<ReportFinding> FindingsFromJson(const nlohmann::ordered_json& findings);

// The codes that name a direction (LOSS_REVERSE_DIRECTION, LATENCY_ON_RETURN_PATH, ...): the
// answer a paired test exists for.
bool IsDirectionCode(absl::string_view code);

// Problems first, then warnings, then info, then others; within one severity the codes that
// name a direction first; otherwise stable.
void SortBySeverity(std::vector<ReportFinding>& findings);

// A finding that marks a fault: a problem or a warning that is not to be ignored.
bool IsFault(const ReportFinding& finding);

}  // namespace pathpair::html

#endif  // PATHPAIR_CONTROLLER_REPORT_PAIRED_REPORT_FINDINGS_H_
