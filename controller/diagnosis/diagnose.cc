#include "controller/diagnosis/diagnose.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/diagnosis/actions.h"
#include "controller/diagnosis/areas.h"
#include "controller/diagnosis/distance_rules.h"
#include "controller/diagnosis/finding.h"
#include "controller/diagnosis/latency_rules.h"
#include "controller/diagnosis/loss_rules.h"
#include "controller/diagnosis/paired_rules.h"
#include "controller/diagnosis/path_rules.h"
#include "controller/diagnosis/path_view.h"
#include "controller/diagnosis/statistics.h"

namespace pathpair::diagnosis {
namespace {

// Everything learned from one trace.
struct TraceAnalysis {
  PathView path;
  LossProfile loss;
  AreaMap areas;
  Findings findings;
  v1::FindingCode termination = v1::FINDING_CODE_UNSPECIFIED;
  bool broken = false;  // the destination is unreachable because of the path
  double effective_loss_pct = 0;
  int effective_loss_ttl = 0;  // 0 = not read from a hop
  double effective_latency_ms = 0;
};

void SortByTtl(Findings& findings) {
  std::stable_sort(findings.begin(), findings.end(),
                   [](const v1::Finding& a, const v1::Finding& b) {
                     if (a.has_ttl() != b.has_ttl()) return a.has_ttl();
                     return a.has_ttl() && a.ttl() < b.ttl();
                   });
}

TraceAnalysis AnalyzeTrace(const v1::TraceResult& trace, asn::AsLookup* lookup,
                           v1::DestinationCheck check,
                           const std::optional<DestinationCrossCheck>& cross_check) {
  TraceAnalysis a;
  a.path = MakePathView(trace);
  a.areas = AssignAreas(a.path, lookup);

  bool last_in_destination_network = false;
  const int last = a.path.LastRespondingIndex();
  if (last >= 0 && !a.path.reached) {
    const HopArea area = a.areas.ForTtl(a.path.hops[last].ttl);
    last_in_destination_network = area.asn != 0 && area.asn == a.areas.destination.asn;
  }
  a.termination = FindTermination(a.path, last_in_destination_network, check, a.findings);
  a.broken = a.termination == v1::LINK_INTERRUPTION || a.termination == v1::ROUTING_LOOP ||
             a.termination == v1::DEST_UNREACHABLE;

  // Inside a loop every figure describes the loop, not the path: read the rest up to its start.
  PathView rules_path = a.path;
  if (a.termination == v1::ROUTING_LOOP) {
    int period = 0;
    const int loop_start = FindLoopStart(a.path, period);
    if (loop_start >= 0) rules_path.hops.resize(loop_start + 1);
  }
  // Before the loss rules: they read the destination from what really arrives there.
  if (cross_check.has_value()) ApplyDestinationCrossCheck(*cross_check, rules_path, a.findings);
  a.loss = AnalyzeLoss(rules_path);
  FindUnresponsiveHops(rules_path, a.findings);
  FindRateLimitedHops(rules_path, a.loss, a.findings);
  FindPacketLoss(rules_path, a.loss, a.findings);
  FindDestinationRateLimited(rules_path, a.loss, a.findings);
  FindLatencySteps(rules_path, a.findings);
  FindJitter(rules_path, a.findings);
  FindLoadBalancedHops(rules_path, a.findings);
  SortByTtl(a.findings);

  if (a.broken || last < 0) {
    a.effective_loss_pct = 100;
  } else if (a.loss.effective_index >= 0) {
    a.effective_loss_pct = a.loss.effective_loss_pct;
    a.effective_loss_ttl = rules_path.hops[a.loss.effective_index].ttl;
  }
  if (a.path.reached) {
    a.effective_latency_ms = a.path.hops[a.path.destination_index].avg_ms;
  } else if (last >= 0) {
    a.effective_latency_ms = a.path.hops[last].avg_ms;
  }
  return a;
}

// Fills area, AS and action of findings about one trace.
void Annotate(Findings& findings, const AreaMap& areas, bool has_reverse_trace,
              v1::TraceDirection direction) {
  for (v1::Finding& finding : findings) {
    finding.set_direction(direction);
    HopArea area;
    bool known = false;
    if (finding.code() == v1::DEST_ICMP_BLOCKED || finding.code() == v1::DEST_ICMP_RATE_LIMITED) {
      area = areas.destination;
      known = true;
    } else if (finding.has_ttl()) {
      area = areas.ForTtl(finding.ttl());
      known = true;
    }
    if (known) {
      finding.set_area(area.area);
      finding.set_asn(area.asn);
      finding.set_as_name(area.as_name);
    }
    finding.set_action(ActionFor(finding, has_reverse_trace));
  }
}

// A finding that says the destination is not reached. DEST_ICMP_BLOCKED as info (the
// destination check found the host up) does not.
bool EndsThePath(const v1::Finding& finding) {
  const v1::FindingCode code = finding.code();
  return (code == v1::LINK_INTERRUPTION || code == v1::ROUTING_LOOP ||
          code == v1::DEST_UNREACHABLE || code == v1::DEST_ICMP_BLOCKED) &&
         finding.severity() == v1::SEVERITY_PROBLEM;
}

// One-way loss as high as kBrokenLossPct breaks the path as well: the traces' ICMP may get
// through while most of the agents' own packets do not.
bool OneWayBroken(const v1::OneWayResult* result) {
  return result != nullptr && result->sent() > 0 && OneWayLossPct(*result) >= kBrokenLossPct;
}

v1::Verdict VerdictOf(const TraceAnalysis& a, const Findings& findings) {
  if (a.broken || a.path.LastRespondingIndex() < 0 || a.effective_loss_pct >= kBrokenLossPct) {
    return v1::VERDICT_BROKEN;
  }
  bool degraded = false;
  for (const v1::Finding& finding : findings) {
    if (EndsThePath(finding)) return v1::VERDICT_BROKEN;
    degraded = degraded || finding.severity() >= v1::SEVERITY_WARNING;
  }
  return degraded ? v1::VERDICT_DEGRADED : v1::VERDICT_HEALTHY;
}

// Why `trace` is incomplete, in words; empty when it is complete.
std::string IncompleteReason(const v1::TraceResult& trace) {
  if (!trace.incomplete() && !trace.interrupted()) return "";
  if (!trace.interrupted()) return "not measured to the end";
  const int asked = trace.options().count();
  return absl::StrCat("interrupted after ", trace.rounds(),
                      asked > 0 ? absl::StrCat(" of ", asked) : "", " rounds");
}

// `result` when it was measured to its end, else nullptr.
const v1::OneWayResult* CompleteOneWay(const v1::OneWayResult* result) {
  return result != nullptr && !result->incomplete() ? result : nullptr;
}

v1::Finding HealthyFinding(const TraceAnalysis& a, const std::string& incomplete_reason) {
  v1::Finding finding = PathFinding(
      v1::HEALTHY, v1::SEVERITY_INFO,
      absl::StrCat(incomplete_reason.empty()
                       ? "No network exception found"
                       : absl::StrCat("No network exception found in an incomplete trace (",
                                      incomplete_reason, ")"),
                   ": effective loss ", Decimal(a.effective_loss_pct), "%, latency ",
                   Decimal(a.effective_latency_ms), " ms to the last hop."));
  AddNumber(finding, "effective_loss_pct", a.effective_loss_pct);
  AddNumber(finding, "effective_latency_ms", a.effective_latency_ms);
  AddNumber(finding, "hops", static_cast<double>(a.path.hops.size()));
  if (a.loss.effective_index >= 0) {
    const HopView& hop = a.path.hops[a.loss.effective_index];
    finding.set_confidence(
        RoundConfidence(ConfidenceRateBelow(hop.lost(), hop.sent, kSignificantLossFloor)));
    finding.set_probes(hop.sent);
  }
  finding.set_action("Nothing to do.");
  return finding;
}

}  // namespace

v1::Diagnosis Diagnose(const v1::DiagnosisInput& input, const DiagnoseOptions& options) {
  const bool paired = input.has_reverse();
  const v1::OneWayResult* forward_oneway =
      input.has_forward_oneway() ? &input.forward_oneway() : nullptr;
  const v1::OneWayResult* reverse_oneway =
      input.has_reverse_oneway() ? &input.reverse_oneway() : nullptr;
  // A direction not measured to its end (issue 15: Ctrl-C, an agent killed mid-test) is
  // neither clean nor evidence of where loss is: the loss direction rests on complete one-way
  // results only, or, without any, on two complete traces.
  const v1::OneWayResult* complete_forward_oneway = CompleteOneWay(forward_oneway);
  const v1::OneWayResult* complete_reverse_oneway = CompleteOneWay(reverse_oneway);
  const bool traces_complete = IncompleteReason(input.forward()).empty() &&
                               (!paired || IncompleteReason(input.reverse()).empty());
  const bool loss_direction_decidable =
      complete_forward_oneway != nullptr || complete_reverse_oneway != nullptr || traces_complete;

  // Whether the destinations' losses are real: in a paired run the one-way packets decide, else
  // the trace command's echo cross-check when it ran one.
  std::optional<DestinationCrossCheck> cross_check =
      OneWayCrossCheck(forward_oneway, reverse_oneway);
  std::optional<DestinationCrossCheck> forward_cross_check = cross_check;
  if (!forward_cross_check.has_value() && input.has_forward_destination_cross_check()) {
    const v1::DestinationCrossCheck& echo = input.forward_destination_cross_check();
    forward_cross_check = DestinationCrossCheck{
        echo.sent(), echo.received(),
        echo.protocol() == v1::PROTOCOL_ICMP ? "ICMP echo requests" : "the cross-check's probes"};
  }
  TraceAnalysis forward = AnalyzeTrace(input.forward(), options.as_lookup,
                                       input.forward_destination_check(), forward_cross_check);
  TraceAnalysis reverse;
  if (paired) {
    reverse = AnalyzeTrace(input.reverse(), options.as_lookup, v1::DESTINATION_CHECK_NOT_RUN,
                           cross_check);
  }

  // Paired rules: each finding is annotated against the trace its hop belongs to.
  Findings paired_forward;
  Findings paired_reverse;
  Findings paired_whole;
  {
    Findings out;
    FindLatencyDirection(forward.findings, paired ? &reverse.findings : nullptr, forward_oneway,
                         reverse_oneway, out);
    if (loss_direction_decidable) {
      FindLossDirection(forward.path, forward.loss, paired ? &reverse.path : nullptr,
                        paired ? &reverse.loss : nullptr, complete_forward_oneway,
                        complete_reverse_oneway, out);
    }
    if (paired) FindAsymmetricPath(input, out);
    // After the paired rules, which may put a step on one direction.
    ClassifyLongLinks(forward.path, forward.loss, options.geo_lookup, forward.findings);
    if (paired) ClassifyLongLinks(reverse.path, reverse.loss, options.geo_lookup, reverse.findings);
    // A finding about the reverse direction stays one, with or without a hop (loss on the way
    // back that the reverse trace does not place has none).
    for (v1::Finding& finding : out) {
      if (finding.direction() == v1::TRACE_DIRECTION_REVERSE) {
        paired_reverse.push_back(std::move(finding));
      } else if (!finding.has_ttl()) {
        paired_whole.push_back(std::move(finding));
      } else {
        paired_forward.push_back(std::move(finding));
      }
    }
  }
  const bool has_reverse_data = paired || reverse_oneway != nullptr;
  Annotate(forward.findings, forward.areas, has_reverse_data, v1::TRACE_DIRECTION_FORWARD);
  Annotate(paired_forward, forward.areas, true, v1::TRACE_DIRECTION_FORWARD);
  Annotate(paired_whole, forward.areas, true, v1::TRACE_DIRECTION_FORWARD);
  if (paired) Annotate(reverse.findings, reverse.areas, true, v1::TRACE_DIRECTION_REVERSE);
  Annotate(paired_reverse, reverse.areas, true, v1::TRACE_DIRECTION_REVERSE);
  // Whole-path ones too: a direction's loss that its own trace does not place has no hop.
  for (const Findings* part : {&paired_forward, &paired_reverse, &paired_whole}) {
    AttributeTraceLossToDirection(*part, forward.findings, reverse.findings);
  }

  v1::Diagnosis diagnosis;
  diagnosis.set_area_source(forward.areas.source);
  diagnosis.set_effective_loss_pct(std::round(forward.effective_loss_pct * 1000) / 1000);
  diagnosis.set_effective_latency_ms(std::round(forward.effective_latency_ms * 1000) / 1000);
  if (forward.effective_loss_ttl > 0) diagnosis.set_effective_loss_ttl(forward.effective_loss_ttl);

  Findings all = std::move(forward.findings);
  for (Findings* part : {&reverse.findings, &paired_forward, &paired_reverse, &paired_whole}) {
    for (v1::Finding& finding : *part) all.push_back(std::move(finding));
  }
  v1::Verdict verdict = VerdictOf(forward, all);
  if (paired) verdict = std::max(verdict, VerdictOf(reverse, all));
  if (OneWayBroken(forward_oneway) || OneWayBroken(reverse_oneway)) verdict = v1::VERDICT_BROKEN;
  diagnosis.set_verdict(verdict);
  std::string incomplete = IncompleteReason(input.forward());
  if (const std::string reverse_reason = paired ? IncompleteReason(input.reverse()) : "";
      !reverse_reason.empty()) {
    incomplete = incomplete.empty()
                     ? absl::StrCat("reverse trace ", reverse_reason)
                     : absl::StrCat("forward trace ", incomplete, ", reverse ", reverse_reason);
  }
  for (const auto& [result, name] : {std::pair{forward_oneway, "one-way client -> server"},
                                     std::pair{reverse_oneway, "one-way server -> client"}}) {
    if (result == nullptr || !result->incomplete()) continue;
    absl::StrAppend(&incomplete, incomplete.empty() ? "" : ", ", name, " cut short");
  }
  diagnosis.set_incomplete(!incomplete.empty());
  diagnosis.set_incomplete_reason(incomplete);
  for (v1::Finding& finding : all) *diagnosis.add_findings() = std::move(finding);
  if (verdict == v1::VERDICT_HEALTHY) {
    *diagnosis.add_findings() = HealthyFinding(forward, incomplete);
  }
  return diagnosis;
}

v1::Diagnosis DiagnoseTrace(const v1::TraceResult& trace, const DiagnoseOptions& options) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = trace;
  return Diagnose(input, options);
}

}  // namespace pathpair::diagnosis
