// The paired JSON report of a v1::PairedRun (`pathpair test --json`, `pathpair show --json`),
// and the report read back into a run (`pathpair diagnose FILE` of a saved report).
//
// Report, top-level keys in this order:
//   run_id, start, end (ISO 8601 UTC), status ("complete" | "partial" | "failed"),
//   verdict ("healthy" | "degraded" | "broken"; null without a diagnosis): the one verdict over
//            both directions and the one-way results, as `pathpair history` lists it and
//            `pathpair test` exits with it,
//   client, server: {"endpoint", "hostname", "version", "address" (the target the other side
//                    traced, when known), "started", "error" (null when fine), "clock" (the
//                    protobuf JSON mapping of its ClockStatus: synchronized,
//                    estimated_error_us, maximum_error_us, unix_time_us, source, boot_id)},
//   start_skew_ms (null when fewer than two activities started),
//   forward, reverse: each the same object as `pathpair trace -j` ({"report": {...}}), with
//                     its diagnosis; null when that side produced nothing. reverse stays in
//                     the server's order (hop 1 next to the server);
//   oneway: {"forward": {...}, "reverse": {...}} (null when not measured), each the protobuf
//           JSON mapping of OneWayDirection (oneway.proto) — {"sent", "received", "loss_pct",
//           "duplicates", "reordered", "delay_ms": {"min", "avg", "max", "stdev"},
//           "jitter_ms", "raw_delay_ms": {...}} — then "clock": {"method" (same_host |
//           synchronized | estimated | none), "error_ms" (the delays' bound; null with none),
//           "note"} (oneway_clock.h) and "error" (null when fine);
//   paths: merge::PathsToJson (null without both traces);
//   aliases: {"client": {...}, "server": {...}}: the router aliases each end resolved (the
//            protobuf JSON mapping of AliasResults, alias.proto: {"resolutions": [{"address",
//            "reply_source", "method", "rtt_ms", "distance"}], "error"}; null when not resolved);
//   diagnosis: the merged findings (an array);
//   errors: one string per failure.
//
//   nlohmann::ordered_json j = PairedRunToJson(run, paths_json, diagnosis_json);
//   if (auto again = PairedRunFromJson(saved_report)) ...   // a paired report
#ifndef PATHPAIR_CONTROLLER_PAIRED_PAIRED_JSON_H_
#define PATHPAIR_CONTROLLER_PAIRED_PAIRED_JSON_H_

#include <nlohmann/json.hpp>
#include <optional>

#include "absl/status/statusor.h"
#include "pathpair/v1/paired.pb.h"

namespace pathpair::paired {

// Diagnosis parts of the report, computed by the caller (paired_diagnosis.h).
struct DiagnosisJson {
  // Members to set in forward["report"] / reverse["report"] ("diagnosis", "verdict", ...);
  // null: leave the trace's own "diagnosis": [].
  nlohmann::ordered_json forward;
  nlohmann::ordered_json reverse;
  nlohmann::ordered_json paired = nlohmann::ordered_json::array();  // findings
  nlohmann::ordered_json verdict;  // "healthy" | "degraded" | "broken"; null: no diagnosis
};

// One direction of "oneway".
nlohmann::ordered_json OneWayToJson(const v1::OneWayMeasurement& measurement);

// `paths`: PathsToJson's object, or null.
nlohmann::ordered_json PairedRunToJson(const v1::PairedRun& run, const nlohmann::json& paths,
                                       const DiagnosisJson& diagnosis, bool use_names = true);

// A saved report read back: traces through the mtr JSON reader (controller/mtrjson), the
// one-way directions through the same mapping, the sides' endpoints and errors. nullopt when
// `report` is not a paired report; InvalidArgument when it is one with a part that does not
// fit.
std::optional<absl::StatusOr<v1::PairedRun>> PairedRunFromJson(const nlohmann::json& report);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_PAIRED_JSON_H_
