#include "controller/fleet/fleet_run.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_join.h"
#include "controller/diagnosis/finding.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/paired/paired_run.h"
#include "controller/paired/run_payload.h"

namespace pathpair::fleet {

std::vector<DirectionFigures> OneWayFigures(const v1::PairedRun& run) {
  std::vector<DirectionFigures> out;
  if (!run.oneway_requested()) return out;
  for (const auto& [name, m] :
       {std::pair{"forward", &run.oneway_forward()}, std::pair{"reverse", &run.oneway_reverse()}}) {
    if (m->stats().sent() <= 0) continue;  // not measured
    DirectionFigures figures;
    figures.direction = name;
    figures.loss_ratio = std::clamp(m->stats().loss_pct() / 100.0, 0.0, 1.0);
    if (m->stats().received() > 0) figures.delay_seconds = m->stats().delay().avg_ms() / 1000.0;
    out.push_back(std::move(figures));
  }
  return out;
}

FleetRun MakeFleetRun(v1::PairedRun run, const std::string& client, const std::string& server) {
  FleetRun out;
  const paired::Completeness completeness = paired::RunCompleteness(run);
  if (completeness != paired::Completeness::kFailed) {
    const paired::DiagnosisOutput diagnosis = paired::DiagnosePairedRun(run, nullptr, nullptr);
    run.set_verdict(diagnosis.verdict);
    out.record.verdict = diagnosis::VerdictName(diagnosis.verdict);
  }
  out.status = paired::CompletenessName(completeness);
  out.error = absl::StrJoin(paired::RunErrors(run), "; ");
  out.directions = OneWayFigures(run);
  out.record.run_id = run.run_id();
  out.record.start = absl::FromUnixMicros(run.start_unix_us());
  out.record.end = absl::FromUnixMicros(run.end_unix_us());
  out.record.client = client;
  out.record.server = server;
  out.record.target = run.forward_target();
  out.record.status =
      completeness == paired::Completeness::kComplete  ? history::RunStatus::kComplete
      : completeness == paired::Completeness::kPartial ? history::RunStatus::kPartial
                                                       : history::RunStatus::kFailed;
  out.record.client_name = client;
  out.record.server_name = server;
  paired::RunPayload payload = paired::EncodeRun(run);
  out.record.payload_format = std::move(payload.format);
  out.record.payload = std::move(payload.bytes);
  return out;
}

}  // namespace pathpair::fleet
