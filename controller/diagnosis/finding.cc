#include "controller/diagnosis/finding.h"

#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace pathpair::diagnosis {

v1::Finding PathFinding(v1::FindingCode code, v1::Severity severity, std::string summary) {
  v1::Finding finding;
  finding.set_code(code);
  finding.set_severity(severity);
  finding.set_summary(std::move(summary));
  finding.set_area(v1::NETWORK_AREA_UNKNOWN);
  return finding;
}

v1::Finding HopFinding(v1::FindingCode code, v1::Severity severity, const HopView& hop,
                       std::string summary) {
  v1::Finding finding = PathFinding(code, severity, std::move(summary));
  finding.set_ttl(hop.ttl);
  finding.set_address(hop.address);
  finding.set_probes(hop.sent);
  return finding;
}

void AddNumber(v1::Finding& finding, absl::string_view name, double value) {
  v1::Evidence* evidence = finding.add_evidence();
  evidence->set_name(std::string(name));
  evidence->set_number(std::isfinite(value) ? std::round(value * 1000) / 1000 : 0);
}

void AddText(v1::Finding& finding, absl::string_view name, absl::string_view value) {
  v1::Evidence* evidence = finding.add_evidence();
  evidence->set_name(std::string(name));
  evidence->set_text(std::string(value));
}

void AddList(v1::Finding& finding, absl::string_view name, const std::vector<std::string>& values) {
  v1::Evidence* evidence = finding.add_evidence();
  evidence->set_name(std::string(name));
  for (const std::string& value : values) evidence->mutable_list()->add_values(value);
  if (values.empty()) evidence->mutable_list();  // an empty list is still a list
}

const v1::Evidence* FindEvidence(const v1::Finding& finding, absl::string_view name) {
  for (const v1::Evidence& evidence : finding.evidence()) {
    if (evidence.name() == name) return &evidence;
  }
  return nullptr;
}

std::string CodeName(v1::FindingCode code) { return v1::FindingCode_Name(code); }

std::string SeverityName(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_INFO:
      return "info";
    case v1::SEVERITY_WARNING:
      return "warning";
    case v1::SEVERITY_PROBLEM:
      return "problem";
    default:
      return "unspecified";
  }
}

std::string AreaName(v1::NetworkArea area) {
  switch (area) {
    case v1::NETWORK_AREA_CLIENT_LAN:
      return "client_lan";
    case v1::NETWORK_AREA_CLIENT_ISP:
      return "client_isp";
    case v1::NETWORK_AREA_CARRIER:
      return "carrier";
    case v1::NETWORK_AREA_DESTINATION:
      return "destination";
    default:
      return "unknown";
  }
}

std::string VerdictName(v1::Verdict verdict) {
  switch (verdict) {
    case v1::VERDICT_HEALTHY:
      return "healthy";
    case v1::VERDICT_DEGRADED:
      return "degraded";
    case v1::VERDICT_BROKEN:
      return "broken";
    default:
      return "unspecified";
  }
}

std::string AreaSourceName(v1::AreaSource source) {
  switch (source) {
    case v1::AREA_SOURCE_MMDB:
      return "mmdb";
    case v1::AREA_SOURCE_DNS:
      return "dns";
    case v1::AREA_SOURCE_HEURISTIC:
      return "heuristic";
    default:
      return "unspecified";
  }
}

std::string Decimal(double value, int digits) {
  if (!std::isfinite(value)) return "?";
  std::string text = absl::StrFormat("%.*f", digits, value);
  if (text.find('.') != std::string::npos) {
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
  }
  // A negative value that rounds to zero. Returned, not assigned to `text`: the assignment trips
  // a false -Wrestrict in GCC 12 under ASan/UBSan.
  if (text == "-0") return "0";
  return text;
}

}  // namespace pathpair::diagnosis
