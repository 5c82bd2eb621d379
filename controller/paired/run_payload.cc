#include "controller/paired/run_payload.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/mtrjson/untrusted_json.h"
#include "controller/paired/proto_json.h"

namespace pathpair::paired {
namespace {

// A version 1 one-way direction ({"sent", ..., "delay_min_ms", ..., "offset_error_ms": number
// or null, "error"}) in the shape of OneWayMeasurement's JSON mapping.
nlohmann::json MeasurementFromV1(const nlohmann::json& v1) {
  if (!v1.is_object()) return v1;  // not an object: let the parser refuse it
  nlohmann::json stats = nlohmann::json::object();
  for (const char* key : {"sent", "received", "loss_pct", "duplicates", "reordered", "jitter_ms"}) {
    if (v1.contains(key)) stats[key] = v1[key];
  }
  nlohmann::json delay = nlohmann::json::object();
  for (const char* key : {"min_ms", "avg_ms", "max_ms", "stdev_ms"}) {
    const std::string v1_key = absl::StrCat("delay_", key);
    if (v1.contains(v1_key)) delay[key] = v1[v1_key];
  }
  stats["delay"] = std::move(delay);
  nlohmann::json measurement = {{"stats", std::move(stats)}};
  if (v1.contains("offset_error_ms") && v1["offset_error_ms"].is_number()) {
    measurement["offset_estimate"] = {{"estimated", true},
                                      {"error_bound_ms", v1["offset_error_ms"]}};
  }
  if (v1.contains("error")) measurement["error"] = v1["error"];
  return measurement;
}

absl::StatusOr<v1::PairedRun> DecodeV1(absl::string_view payload) {
  nlohmann::json j = mtrjson::ParseUntrustedJson(payload);
  if (j.is_discarded() || !j.is_object() || !j.contains("format") ||
      j["format"] != kRunPayloadFormatV1) {
    return absl::InvalidArgumentError("the stored run is not a pathpair paired run");
  }
  j.erase("format");
  for (const char* key : {"oneway_forward", "oneway_reverse"}) {
    if (j.contains(key)) j[key] = MeasurementFromV1(j[key]);
  }
  v1::PairedRun run;
  if (absl::Status s = ProtoFromJson(j, run, /*ignore_unknown=*/true); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the stored run is malformed: ", s.message()));
  }
  run.set_schema_version(1);
  return run;
}

}  // namespace

RunPayload EncodeRun(const v1::PairedRun& run) {
  v1::PairedRun stamped = run;
  stamped.set_schema_version(kRunSchemaVersion);
  return {kRunPayloadFormat, stamped.SerializeAsString()};
}

absl::StatusOr<v1::PairedRun> DecodeRun(absl::string_view format, absl::string_view payload) {
  if (format == kRunPayloadFormatV1) return DecodeV1(payload);
  if (format != kRunPayloadFormat) {
    return absl::InvalidArgumentError(
        absl::StrCat("the run is stored as '", format,
                     "', which this version cannot read (a newer pathpair wrote it?)"));
  }
  v1::PairedRun run;
  if (payload.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !run.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("the stored run is damaged (not a valid PairedRun)");
  }
  if (run.schema_version() > kRunSchemaVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("the run was stored with schema version ", run.schema_version(),
                     " by a newer pathpair; this version reads up to ", kRunSchemaVersion));
  }
  if (run.schema_version() < 2) {
    return absl::InvalidArgumentError(
        "the stored run is damaged (a binary PairedRun without a schema version)");
  }
  return run;
}

}  // namespace pathpair::paired
