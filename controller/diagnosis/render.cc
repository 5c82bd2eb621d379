#include "controller/diagnosis/render.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/diagnosis/finding.h"

namespace pathpair::diagnosis {
namespace {

nlohmann::ordered_json EvidenceValue(const v1::Evidence& evidence) {
  switch (evidence.value_case()) {
    case v1::Evidence::kNumber: {
      // Counts and TTLs read better as integers: 5, not 5.0.
      const double number = evidence.number();
      if (std::abs(number) < 1e15 && number == std::trunc(number)) {
        return static_cast<int64_t>(number);
      }
      return number;
    }
    case v1::Evidence::kText:
      return evidence.text();
    case v1::Evidence::kList: {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const std::string& value : evidence.list().values()) list.push_back(value);
      return list;
    }
    default:
      return nullptr;
  }
}

std::string EvidenceText(const v1::Evidence& evidence) {
  switch (evidence.value_case()) {
    case v1::Evidence::kNumber:
      return absl::StrCat(evidence.name(), "=", Decimal(evidence.number(), 3));
    case v1::Evidence::kText:
      return absl::StrCat(evidence.name(), "=", evidence.text());
    case v1::Evidence::kList:
      return absl::StrCat(evidence.name(), "=[", absl::StrJoin(evidence.list().values(), " "), "]");
    default:
      return evidence.name();
  }
}

std::string Where(const v1::Finding& finding) {
  std::string text;
  if (finding.has_ttl()) {
    absl::StrAppend(&text, " at ",
                    finding.direction() == v1::TRACE_DIRECTION_REVERSE ? "reverse hop " : "hop ",
                    finding.ttl());
  }
  if (!finding.address().empty()) absl::StrAppend(&text, " ", finding.address());
  std::vector<std::string> place;
  if (finding.area() != v1::NETWORK_AREA_UNKNOWN &&
      finding.area() != v1::NETWORK_AREA_UNSPECIFIED) {
    place.push_back(AreaName(finding.area()));
  }
  if (finding.asn() != 0) {
    place.push_back(finding.as_name().empty()
                        ? absl::StrCat("AS", finding.asn())
                        : absl::StrCat("AS", finding.asn(), " ", finding.as_name()));
  }
  if (!place.empty()) absl::StrAppend(&text, " (", absl::StrJoin(place, ", "), ")");
  return text;
}

}  // namespace

nlohmann::ordered_json FindingToJson(const v1::Finding& finding) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["code"] = CodeName(finding.code());
  out["severity"] = SeverityName(finding.severity());
  out["hop"] = finding.has_ttl() ? nlohmann::ordered_json(finding.ttl()) : nullptr;
  out["address"] = finding.address();
  out["area"] = AreaName(finding.area());
  out["summary"] = finding.summary();
  nlohmann::ordered_json evidence = nlohmann::ordered_json::object();
  for (const v1::Evidence& item : finding.evidence()) evidence[item.name()] = EvidenceValue(item);
  out["evidence"] = std::move(evidence);
  out["action"] = finding.action();
  out["confidence"] = finding.confidence();
  out["asn"] = finding.asn() != 0 ? nlohmann::ordered_json(finding.asn()) : nullptr;
  if (finding.asn() != 0) out["as_name"] = finding.as_name();
  out["probes"] = finding.probes();
  out["direction"] = finding.direction() == v1::TRACE_DIRECTION_REVERSE ? "reverse" : "forward";
  return out;
}

void WriteDiagnosisJson(const v1::Diagnosis& diagnosis, nlohmann::ordered_json& report) {
  if (!report.is_object()) report = nlohmann::ordered_json::object();
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const v1::Finding& finding : diagnosis.findings())
    findings.push_back(FindingToJson(finding));
  report["diagnosis"] = std::move(findings);
  report["verdict"] = VerdictName(diagnosis.verdict());
  nlohmann::ordered_json effective = nlohmann::ordered_json::object();
  effective["loss_pct"] = diagnosis.effective_loss_pct();
  effective["latency_ms"] = diagnosis.effective_latency_ms();
  effective["loss_hop"] = diagnosis.has_effective_loss_ttl()
                              ? nlohmann::ordered_json(diagnosis.effective_loss_ttl())
                              : nullptr;
  report["effective"] = std::move(effective);
  report["area_source"] = AreaSourceName(diagnosis.area_source());
  report["incomplete"] = diagnosis.incomplete();
  if (diagnosis.incomplete()) report["incomplete_reason"] = diagnosis.incomplete_reason();
}

std::string RenderDiagnosisText(const v1::Diagnosis& diagnosis, bool verbose) {
  // An incomplete trace is never called clean without saying so, on the verdict line itself.
  std::string text = absl::StrCat(
      "Diagnosis: ", absl::AsciiStrToUpper(VerdictName(diagnosis.verdict())),
      diagnosis.incomplete()
          ? absl::StrCat(", INCOMPLETE TRACE (", diagnosis.incomplete_reason(), "; effective loss ")
          : " (effective loss ",
      Decimal(diagnosis.effective_loss_pct()), "%");
  if (diagnosis.has_effective_loss_ttl()) {
    absl::StrAppend(&text, " from hop ", diagnosis.effective_loss_ttl());
  }
  absl::StrAppend(&text, ", latency ", Decimal(diagnosis.effective_latency_ms()),
                  " ms; areas: ", AreaSourceName(diagnosis.area_source()), ")\n");
  for (const v1::Finding& finding : diagnosis.findings()) {
    const bool brief =
        !verbose && finding.severity() == v1::SEVERITY_INFO && finding.code() != v1::HEALTHY;
    absl::StrAppend(&text, "  [", SeverityName(finding.severity()), "] ", CodeName(finding.code()),
                    Where(finding));
    if (brief) {
      absl::StrAppend(&text, ": ", finding.summary(), "\n");
      continue;
    }
    absl::StrAppend(&text, " confidence ", Decimal(finding.confidence(), 2), ", ", finding.probes(),
                    " probes\n");
    absl::StrAppend(&text, "      ", finding.summary(), "\n");
    if (finding.evidence_size() > 0) {
      std::vector<std::string> parts;
      for (const v1::Evidence& evidence : finding.evidence())
        parts.push_back(EvidenceText(evidence));
      absl::StrAppend(&text, "      evidence: ", absl::StrJoin(parts, " "), "\n");
    }
    if (!finding.action().empty()) absl::StrAppend(&text, "      action: ", finding.action(), "\n");
  }
  return text;
}

}  // namespace pathpair::diagnosis
