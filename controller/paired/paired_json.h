// The paired JSON report (`pathpair test --json`, `pathpair show --json`) and the history
// payload of a PairedRun.
//
// Report, top-level keys in this order:
//   run_id, start, end (ISO 8601 UTC), status ("complete" | "partial" | "failed"),
//   client, server: {"endpoint", "hostname", "version", "address" (the target the other side
//                    traced, when known), "started", "error" (null when fine)},
//   start_skew_ms (null when fewer than two activities started),
//   forward, reverse: each the same object as `pathpair trace -j` ({"report": {...}}), with
//                     its diagnosis; null when that side produced nothing. reverse stays in
//                     the server's order (hop 1 next to the server);
//   oneway: {"forward": {...}, "reverse": {...}} (null when not measured), each
//           {"sent", "received", "loss_pct", "delay_ms": {"min", "avg", "max", "stdev"},
//            "offset_error_ms" (null: unsynchronised), "jitter_ms", "duplicates", "reordered",
//            "error" (null when fine)};
//   paths: merge::PathsToJson (null without both traces);
//   diagnosis: the merged findings (an array);
//   errors: one string per failure.
//
//   nlohmann::ordered_json j = PairedRunToJson(run, paths_json, diagnosis_json);
//   std::string payload = SerializeRun(run);                 // history
//   absl::StatusOr<PairedRun> again = DeserializeRun(payload);
#ifndef PATHPAIR_CONTROLLER_PAIRED_PAIRED_JSON_H_
#define PATHPAIR_CONTROLLER_PAIRED_PAIRED_JSON_H_

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/paired/paired_run.h"

namespace pathpair::paired {

// The history payload_format of SerializeRun.
inline constexpr char kRunPayloadFormat[] = "json:pathpair.paired_run.v1";

// Diagnosis parts of the report, computed by the caller (paired_diagnosis.h).
struct DiagnosisJson {
  // Members to set in forward["report"] / reverse["report"] ("diagnosis", "verdict", ...);
  // null: leave the trace's own "diagnosis": [].
  nlohmann::ordered_json forward;
  nlohmann::ordered_json reverse;
  nlohmann::ordered_json paired = nlohmann::ordered_json::array();  // findings
};

nlohmann::ordered_json OneWayStatsToJson(const OneWayStats& stats);

// `paths`: PathsToJson's object, or null.
nlohmann::ordered_json PairedRunToJson(const PairedRun& run, const nlohmann::json& paths,
                                       const DiagnosisJson& diagnosis, bool use_names = true);

// The run, losslessly (traces as protobuf JSON), for the history store.
std::string SerializeRun(const PairedRun& run);
// InvalidArgument when the payload is not a serialised run (a clear message).
absl::StatusOr<PairedRun> DeserializeRun(absl::string_view payload);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_PAIRED_JSON_H_
