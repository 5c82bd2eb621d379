#include "controller/paired/paired_diagnosis.h"

#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/finding.h"
#include "controller/diagnosis/render.h"
#include "controller/paired/oneway_clock.h"
#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::paired {
namespace {

v1::OneWayResult ToDiagnosisOneWay(const v1::OneWayMeasurement& measurement) {
  const v1::OneWayDirection& stats = measurement.stats();
  v1::OneWayResult out;
  out.set_sent(stats.sent());
  out.set_received(stats.received());
  out.set_loss_pct(stats.loss_pct());
  out.set_delay_min_ms(stats.delay().min_ms());
  out.set_delay_avg_ms(stats.delay().avg_ms());
  out.set_delay_max_ms(stats.delay().max_ms());
  out.set_delay_stdev_ms(stats.delay().stdev_ms());
  const v1::OneWayClock clock = EffectiveClock(measurement);
  out.set_offset_error_ms(clock.error_ms());
  out.set_clock_method(clock.method());
  out.set_incomplete(measurement.incomplete());
  return out;
}

// A direction measured without error, or cut short with figures until then (the diagnosis
// knows it is incomplete).
bool Diagnosable(const v1::OneWayMeasurement& measurement) {
  return measurement.error().empty() ||
         (measurement.incomplete() && measurement.stats().sent() > 0);
}

nlohmann::ordered_json ReportMembers(const v1::Diagnosis& d) {
  nlohmann::ordered_json members = nlohmann::ordered_json::object();
  diagnosis::WriteDiagnosisJson(d, members);
  return members;
}

// What the run knows about the forward target beyond the forward trace: the client sends its
// one-way packets to that very address, so the server agent receiving any of them shows that
// the host is up (what `pathpair trace`'s destination check finds out with TCP or UDP probes).
v1::DestinationCheck ForwardTargetCheck(const v1::PairedRun& run) {
  const bool received = run.has_oneway_forward() && run.oneway_forward().stats().received() > 0;
  return received ? v1::DESTINATION_CHECK_ANSWERED : v1::DESTINATION_CHECK_NOT_RUN;
}

// The text block and its first line (the verdict with its figures, no findings).
void SetText(const v1::Diagnosis& diagnosis, DiagnosisOutput& out) {
  out.text = diagnosis::RenderDiagnosisText(diagnosis);
  v1::Diagnosis headline = diagnosis;
  headline.clear_findings();
  out.headline = diagnosis::RenderDiagnosisText(headline);
  while (!out.headline.empty() && out.headline.back() == '\n') out.headline.pop_back();
}

void SetVerdict(v1::Verdict verdict, DiagnosisOutput& out) {
  out.verdict = verdict;
  out.json.verdict = diagnosis::VerdictName(verdict);
}

}  // namespace

DiagnosisOutput DiagnosePairedRun(const v1::PairedRun& run, asn::AsLookup* as_lookup,
                                  geo::GeoLookup* geo_lookup) {
  DiagnosisOutput out;
  out.available = true;
  const diagnosis::DiagnoseOptions options{.as_lookup = as_lookup, .geo_lookup = geo_lookup};
  const v1::DestinationCheck check = ForwardTargetCheck(run);
  if (run.client().has_trace()) {
    v1::DiagnosisInput forward_only;
    *forward_only.mutable_forward() = run.client().trace();
    forward_only.set_forward_destination_check(check);
    out.json.forward = ReportMembers(diagnosis::Diagnose(forward_only, options));
  }
  if (run.server().has_trace()) {
    out.json.reverse = ReportMembers(diagnosis::DiagnoseTrace(run.server().trace(), options));
  }
  // The merged findings: the forward trace's, the reverse trace's and the paired ones.
  v1::DiagnosisInput input;
  bool have_primary = false;
  if (run.client().has_trace()) {
    *input.mutable_forward() = run.client().trace();
    input.set_forward_destination_check(check);
    have_primary = true;
    if (run.server().has_trace()) {
      *input.mutable_reverse() = run.server().trace();
      // Router aliases, to match the two traces router by router (ASYMMETRIC_PATH).
      if (run.has_client_aliases()) *input.mutable_client_aliases() = run.client_aliases();
      if (run.has_server_aliases()) *input.mutable_server_aliases() = run.server_aliases();
    }
  } else if (run.server().has_trace()) {
    // Only the reverse side answered: diagnose it alone rather than nothing.
    *input.mutable_forward() = run.server().trace();
    have_primary = true;
  }
  if (!have_primary) return out;
  if (run.client().has_trace()) {
    if (run.has_oneway_forward() && Diagnosable(run.oneway_forward())) {
      *input.mutable_forward_oneway() = ToDiagnosisOneWay(run.oneway_forward());
    }
    if (run.has_oneway_reverse() && Diagnosable(run.oneway_reverse())) {
      *input.mutable_reverse_oneway() = ToDiagnosisOneWay(run.oneway_reverse());
    }
  }
  v1::Diagnosis merged = diagnosis::Diagnose(input, options);
  if (!run.client().has_trace()) {
    // The server's trace stood in as the primary one: its findings are about the way back.
    for (v1::Finding& f : *merged.mutable_findings()) {
      f.set_direction(v1::TRACE_DIRECTION_REVERSE);
    }
  }
  out.json.paired = nlohmann::ordered_json::array();
  for (const v1::Finding& f : merged.findings()) {
    out.json.paired.push_back(diagnosis::FindingToJson(f));
  }
  SetText(merged, out);
  SetVerdict(merged.verdict(), out);
  return out;
}

DiagnosisOutput DiagnoseOneTrace(const v1::TraceResult& trace, asn::AsLookup* as_lookup,
                                 geo::GeoLookup* geo_lookup) {
  DiagnosisOutput out;
  out.available = true;
  const diagnosis::DiagnoseOptions options{.as_lookup = as_lookup, .geo_lookup = geo_lookup};
  const v1::Diagnosis d = diagnosis::DiagnoseTrace(trace, options);
  out.json.forward = ReportMembers(d);
  for (const v1::Finding& f : d.findings()) out.json.paired.push_back(diagnosis::FindingToJson(f));
  SetText(d, out);
  SetVerdict(d.verdict(), out);
  return out;
}

}  // namespace pathpair::paired
