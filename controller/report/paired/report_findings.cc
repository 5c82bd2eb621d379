#include "controller/report/paired/report_findings.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace pathpair::html {
namespace {

// Every evidence key the diagnosis rules write (controller/diagnosis/*_rules.cc), in words.
// Keys with one of the prefixes below are looked up without it.
const std::map<std::string, std::string, std::less<>>& EvidenceWords() {
  static const auto* const kWords = new std::map<std::string, std::string, std::less<>>{
      {"after_ms", "round trip after the step"},
      {"avg_ms", "average round trip"},
      {"before_ms", "round trip before the step"},
      {"best_ms", "best round trip"},
      {"best_rise_ms", "rise of the best round trip"},
      {"clock_error_ms", "clock error bound"},
      {"decided_by", "decided by"},
      {"delay_avg_ms", "one-way delay (average)"},
      {"destination_check", "destination check"},
      {"destination_loss_pct", "loss at the destination"},
      {"difference_ms", "difference between the directions"},
      {"direction", "direction"},
      {"distance_checked", "distance checked"},
      {"distance_explains_max_ms", "round trip the distance explains"},
      {"distance_km", "distance"},
      {"distance_not_checked_because", "distance not checked because"},
      {"effective_hop", "hop the effective loss is read from"},
      {"excess_ms", "excess over the distance"},
      {"explained_by", "explained by"},
      {"first_repeat_ttl", "first repeated hop"},
      {"first_silent_ttl", "first silent hop"},
      {"first_lossy_ttl", "first hop with loss"},
      {"from_location", "from"},
      {"hops", "hops"},
      {"hops_with_loss", "hops with loss"},
      {"last_answering_loss_pct", "loss at the last answering hop"},
      {"last_answering_ttl", "last answering hop"},
      {"last_avg_ms", "average round trip at the last hop"},
      {"last_hop", "last hop"},
      {"last_stdev_ms", "standard deviation at the last hop"},
      {"last_ttl", "last hop"},
      {"later_hop", "later hop"},
      {"later_loss_pct", "loss at later hops"},
      {"later_min_avg_ms", "lowest average round trip at later hops"},
      {"later_received", "replies from later hops"},
      {"loop_addresses", "addresses in the loop"},
      {"loss_pct", "loss"},
      {"loss_ci_low_pct", "loss, 95% interval from"},
      {"loss_ci_high_pct", "loss, 95% interval to"},
      {"lost", "probes lost"},
      {"meaning", "meaning"},
      {"min_stdev_ms", "smallest standard deviation"},
      {"noise_ms", "noise"},
      {"only_forward", "routers only on the way out"},
      {"only_reverse", "routers only on the way back"},
      {"period_hops", "loop length (hops)"},
      {"previous_avg_ms", "average round trip at the previous hop"},
      {"previous_hop", "previous hop"},
      {"previous_loss_pct", "loss at the previous hop"},
      {"received", "replies received"},
      {"replies", "replies"},
      {"responders", "responding addresses"},
      {"routers_matched", "routers matched both ways"},
      {"sent", "probes sent"},
      {"silent_hops", "silent hops"},
      {"silent_probes", "unanswered probes"},
      {"start_hop", "loss starts at hop"},
      {"start_loss_pct", "loss where it starts"},
      {"stdev_ms", "standard deviation"},
      {"stdev_to_avg", "standard deviation / average"},
      {"step_ms", "latency step"},
      {"to_location", "to"},
      {"unreachable_code", "ICMP unreachable code"},
      {"worst_ms", "worst round trip"},
  };
  return *kWords;
}

// Prefixes the rules put before a key of the table ("effective_loss_pct", "forward_sent").
struct Prefix {
  const char* key;
  const char* words;
};
constexpr Prefix kPrefixes[] = {
    {"first_lossy_", "first hop with loss"},
    {"effective_", "at the end of the path"},
    {"forward_", "way out"},
    {"reverse_", "way back"},
};

// Parts of keys outside the table, for the spelled-out fallback.
const std::map<std::string, std::string, std::less<>>& PartWords() {
  static const auto* const kParts = new std::map<std::string, std::string, std::less<>>{
      {"avg", "average"},
      {"ci", "95% interval"},
      {"pct", ""},
      {"ms", ""},
      {"km", ""},
      {"ttl", "hop"},
      {"stdev", "standard deviation"},
      {"min", "lowest"},
      {"max", "highest"},
      {"rtt", "round trip"},
  };
  return *kParts;
}

std::string SpelledOut(absl::string_view key) {
  std::vector<std::string> words;
  for (absl::string_view part : absl::StrSplit(key, '_', absl::SkipEmpty())) {
    const auto it = PartWords().find(part);
    if (it == PartWords().end()) {
      words.emplace_back(part);
    } else if (!it->second.empty()) {
      words.push_back(it->second);
    }
  }
  return words.empty() ? std::string("value") : absl::StrJoin(words, " ");
}

// A number with the digits it needs: 2 -> "2", 30.303 -> "30.3", 0.0015 -> "0.002".
std::string Number(double value, int digits) {
  if (!std::isfinite(value)) return "-";
  if (std::abs(value) < 1e15 && value == std::trunc(value)) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.*f", digits, value);
}

// The diagnosis' network areas (AreaName) in words.
std::string AreaWords(const std::string& area) {
  if (area == "client_lan") return "client's network";
  if (area == "client_isp") return "client's ISP";
  if (area == "carrier") return "carrier";
  if (area == "destination") return "destination's network";
  if (area == "unknown") return "";
  return area;
}

// The direction a finding is about. The JSON's "direction" names the trace its hop belongs to
// (forward when it has none); the paired codes name their direction themselves.
std::string DirectionOf(const std::string& code, const std::string& hop_direction) {
  if (code == "HEALTHY") return "";
  if (code == "LOSS_BOTH_DIRECTIONS" || code == "ASYMMETRIC_PATH") return "both";
  if (code == "LOSS_REVERSE_DIRECTION" || code == "LATENCY_ON_RETURN_PATH") return "reverse";
  if (code == "LOSS_FORWARD_DIRECTION" || code == "LATENCY_ON_FORWARD_PATH") return "forward";
  return hop_direction;
}

int SeverityRank(const std::string& severity) {
  if (severity == "problem") return 0;
  if (severity == "warning") return 1;
  if (severity == "info") return 2;
  return 3;
}

}  // namespace

std::string EvidenceLabel(absl::string_view key) {
  const auto& words = EvidenceWords();
  if (const auto it = words.find(key); it != words.end()) return it->second;
  for (const Prefix& prefix : kPrefixes) {
    if (!absl::StartsWith(key, prefix.key)) continue;
    const absl::string_view rest = key.substr(std::string_view(prefix.key).size());
    const auto it = words.find(rest);
    return absl::StrCat(prefix.words, ": ", it != words.end() ? it->second : SpelledOut(rest));
  }
  return SpelledOut(key);
}

std::string EvidenceValue(absl::string_view key, const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_array()) {
    std::vector<std::string> items;
    for (const auto& item : value) {
      items.push_back(item.is_string() ? item.get<std::string>() : EvidenceValue("", item));
    }
    return items.empty() ? std::string("none") : absl::StrJoin(items, ", ");
  }
  if (!value.is_number()) return value.is_null() ? std::string("-") : value.dump();
  const double number = value.get<double>();
  if (absl::EndsWith(key, "_pct")) return absl::StrCat(Number(number, 1), "%");
  if (absl::EndsWith(key, "_ms")) return absl::StrCat(Number(number, number < 1 ? 3 : 1), " ms");
  if (absl::EndsWith(key, "_km")) return absl::StrCat(Number(number, 0), " km");
  return Number(number, 3);
}

std::vector<std::pair<std::string, std::string>> EvidenceInWords(
    const nlohmann::ordered_json& evidence) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!evidence.is_object()) return out;
  for (const auto& [key, value] : evidence.items()) {
    // "<p>loss_ci_low_pct" and "<p>loss_ci_high_pct" read as one range.
    if (absl::EndsWith(key, "loss_ci_high_pct")) {
      const std::string low = absl::StrCat(key.substr(0, key.size() - 16), "loss_ci_low_pct");
      if (evidence.contains(low)) continue;
    }
    if (absl::EndsWith(key, "loss_ci_low_pct")) {
      const std::string stem = key.substr(0, key.size() - 15);
      const std::string high = absl::StrCat(stem, "loss_ci_high_pct");
      if (const auto it = evidence.find(high); it != evidence.end()) {
        const std::string label = EvidenceLabel(absl::StrCat(stem, "loss_pct"));
        out.emplace_back(absl::StrCat(label, " (95% interval)"),
                         absl::StrCat(EvidenceValue(key, value), " to ", EvidenceValue(high, *it)));
        continue;
      }
    }
    out.emplace_back(EvidenceLabel(key), EvidenceValue(key, value));
  }
  return out;
}

bool IsIgnoreCode(absl::string_view code) {
  return code == "ICMP_RATE_LIMITED_HOP" || code == "UNRESPONSIVE_HOP" ||
         code == "ICMP_SLOW_PATH_LATENCY";
}

bool IsFault(const ReportFinding& finding) {
  return !finding.ignore && (finding.severity == "problem" || finding.severity == "warning");
}

bool IsDirectionCode(absl::string_view code) {
  return absl::StartsWith(code, "LOSS_") || absl::StartsWith(code, "LATENCY_ON_");
}

void SortBySeverity(std::vector<ReportFinding>& findings) {
  std::stable_sort(findings.begin(), findings.end(),
                   [](const ReportFinding& a, const ReportFinding& b) {
                     const int ra = SeverityRank(a.severity), rb = SeverityRank(b.severity);
                     if (ra != rb) return ra < rb;
                     return IsDirectionCode(a.code) && !IsDirectionCode(b.code);
                   });
}

std::vector<ReportFinding> FindingsFromJson(const nlohmann::ordered_json& findings) {
  std::vector<ReportFinding> out;
  if (!findings.is_array()) return out;
  for (const auto& f : findings) {
    if (!f.is_object()) continue;
    auto text = [&f](const char* key) -> std::string {
      const auto it = f.find(key);
      return it != f.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    ReportFinding finding;
    finding.code = text("code");
    finding.severity = text("severity");
    finding.hop_direction = text("direction") == "reverse" ? "reverse" : "forward";
    finding.direction = finding.hop_direction;
    finding.direction = DirectionOf(finding.code, finding.hop_direction);
    if (const auto hop = f.find("hop"); hop != f.end() && hop->is_number_integer()) {
      finding.hop = hop->get<int>();
    }
    finding.address = text("address");
    finding.area = AreaWords(text("area"));
    if (const auto asn = f.find("asn"); asn != f.end() && asn->is_number_unsigned()) {
      const std::string name = text("as_name");
      finding.area =
          absl::StrCat("AS", asn->get<uint32_t>(), name.empty() ? "" : " ", name,
                       finding.area.empty() ? "" : absl::StrCat(" (", finding.area, ")"));
    }
    finding.summary = text("summary");
    if (const auto evidence = f.find("evidence"); evidence != f.end()) {
      finding.evidence = EvidenceInWords(*evidence);
    }
    finding.action = text("action");
    finding.ignore = IsIgnoreCode(finding.code);
    out.push_back(std::move(finding));
  }
  SortBySeverity(out);
  return out;
}

}  // namespace pathpair::html
