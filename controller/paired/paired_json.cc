#include "controller/paired/paired_json.h"

#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/mtrjson/mtr_json.h"
#include "controller/paired/oneway_clock.h"
#include "controller/paired/paired_run.h"
#include "controller/paired/proto_json.h"
#include "controller/report/common/time_format.h"
#include "controller/report/trace/json_writer.h"

namespace pathpair::paired {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json NullOr(const std::string& text) {
  return text.empty() ? ordered_json() : ordered_json(text);
}

ordered_json SideToJson(const v1::PairedSide& side, const std::string& address) {
  ordered_json j = ordered_json::object();
  j["endpoint"] = side.endpoint();
  j["hostname"] = side.hostname();
  j["version"] = side.version();
  j["address"] = NullOr(address);
  j["started"] = side.started_unix_us() > 0
                     ? ordered_json(output::FormatIsoUtc(side.started_unix_us()))
                     : ordered_json();
  j["error"] = NullOr(side.error());
  j["clock"] = ProtoToJson(side.clock());
  return j;
}

ordered_json TraceJson(const v1::PairedSide& side, const ordered_json& diagnosis, bool use_names) {
  if (!side.has_trace()) return ordered_json();
  ordered_json j = output::TraceToJson(side.trace(), output::JsonOptions{.use_names = use_names});
  if (diagnosis.is_object()) {
    for (const auto& [key, value] : diagnosis.items()) j["report"][key] = value;
  }
  return j;
}

// The inverse of OneWayToJson for oneway[key]; nullopt when that direction is null.
absl::StatusOr<std::optional<v1::OneWayMeasurement>> OneWayFromJson(const nlohmann::json& oneway,
                                                                    const char* key) {
  const nlohmann::json& j = oneway.value(key, nlohmann::json());
  if (!j.is_object()) return std::nullopt;
  v1::OneWayMeasurement measurement;
  if (absl::Status s = ProtoFromJson(j, *measurement.mutable_stats(), /*ignore_unknown=*/true);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"oneway\".\"", key, "\" of the paired report: ", s.message()));
  }
  if (const auto clock = j.find("clock"); clock != j.end() && !clock->is_null()) {
    absl::StatusOr<v1::OneWayClock> read = OneWayClockFromJson(*clock);
    if (!read.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"oneway\".\"", key, "\" of the paired report: ", read.status().message()));
    }
    *measurement.mutable_clock() = *std::move(read);
  } else if (const auto bound = j.find("offset_error_ms"); bound != j.end() && bound->is_number()) {
    // A report written before the clock method: its delays were corrected by the estimate.
    measurement.mutable_offset_estimate()->set_estimated(true);
    measurement.mutable_offset_estimate()->set_error_bound_ms(bound->get<double>());
  }
  if (const auto error = j.find("error"); error != j.end() && error->is_string()) {
    measurement.set_error(error->get<std::string>());
  }
  if (const auto cut = j.find("incomplete"); cut != j.end() && cut->is_boolean()) {
    measurement.set_incomplete(cut->get<bool>());
  }
  return measurement;
}

}  // namespace

ordered_json OneWayToJson(const v1::OneWayMeasurement& measurement) {
  ordered_json j = ProtoToJson(measurement.stats());
  j["clock"] = OneWayClockToJson(EffectiveClock(measurement));
  j["error"] = NullOr(measurement.error());
  j["incomplete"] = measurement.incomplete();
  return j;
}

ordered_json PairedRunToJson(const v1::PairedRun& run, const nlohmann::json& paths,
                             const DiagnosisJson& diagnosis, bool use_names) {
  ordered_json j = ordered_json::object();
  j["run_id"] = run.run_id();
  j["start"] = output::FormatIsoUtc(run.start_unix_us());
  j["end"] = output::FormatIsoUtc(run.end_unix_us());
  j["status"] = CompletenessName(RunCompleteness(run));
  j["verdict"] = diagnosis.verdict.is_string() ? diagnosis.verdict : ordered_json();
  j["client"] = SideToJson(run.client(), run.reverse_target());
  j["server"] = SideToJson(run.server(), run.forward_target());
  j["start_skew_ms"] = run.has_start_skew_ms() ? ordered_json(run.start_skew_ms()) : ordered_json();
  j["forward"] = TraceJson(run.client(), diagnosis.forward, use_names);
  j["reverse"] = TraceJson(run.server(), diagnosis.reverse, use_names);
  if (run.oneway_requested() && (run.has_oneway_forward() || run.has_oneway_reverse())) {
    j["oneway"] = {
        {"forward", run.has_oneway_forward() ? OneWayToJson(run.oneway_forward()) : ordered_json()},
        {"reverse",
         run.has_oneway_reverse() ? OneWayToJson(run.oneway_reverse()) : ordered_json()}};
  } else {
    j["oneway"] = ordered_json();
  }
  j["paths"] = paths.is_null() ? ordered_json() : ordered_json::parse(paths.dump());
  j["aliases"] = {
      {"client", run.has_client_aliases() ? ProtoToJson(run.client_aliases()) : ordered_json()},
      {"server", run.has_server_aliases() ? ProtoToJson(run.server_aliases()) : ordered_json()}};
  j["diagnosis"] = diagnosis.paired.is_array() ? diagnosis.paired : ordered_json::array();
  j["errors"] = RunErrors(run);
  return j;
}

std::optional<absl::StatusOr<v1::PairedRun>> PairedRunFromJson(const nlohmann::json& report) {
  if (!report.is_object() || !report.contains("run_id") || !report.contains("forward") ||
      !report.contains("reverse")) {
    return std::nullopt;
  }
  using Result = absl::StatusOr<v1::PairedRun>;
  v1::PairedRun run;
  if (report["run_id"].is_string()) run.set_run_id(report["run_id"].get<std::string>());
  for (const auto& [trace_key, side_key, side] :
       {std::tuple{"forward", "client", run.mutable_client()},
        std::tuple{"reverse", "server", run.mutable_server()}}) {
    if (!report[trace_key].is_null()) {
      absl::StatusOr<v1::TraceResult> trace = mtrjson::ParseMtrJson(report[trace_key].dump());
      if (!trace.ok()) {
        return Result(absl::InvalidArgumentError(
            absl::StrCat("\"", trace_key, "\" of the paired report: ", trace.status().message())));
      }
      *side->mutable_trace() = *std::move(trace);
    }
    const nlohmann::json& about = report.value(side_key, nlohmann::json());
    if (!about.is_object()) continue;
    if (about.contains("endpoint") && about["endpoint"].is_string()) {
      side->set_endpoint(about["endpoint"].get<std::string>());
    }
    if (about.contains("error") && about["error"].is_string()) {
      side->set_error(about["error"].get<std::string>());
    }
  }
  if (run.client().has_trace()) run.set_forward_target(run.client().trace().target_address());
  if (run.server().has_trace()) run.set_reverse_target(run.server().trace().target_address());
  const nlohmann::json& oneway = report.value("oneway", nlohmann::json());
  run.set_oneway_requested(oneway.is_object());
  if (oneway.is_object()) {
    absl::StatusOr<std::optional<v1::OneWayMeasurement>> forward =
        OneWayFromJson(oneway, "forward");
    if (!forward.ok()) return Result(forward.status());
    if (forward->has_value()) *run.mutable_oneway_forward() = **std::move(forward);
    absl::StatusOr<std::optional<v1::OneWayMeasurement>> reverse =
        OneWayFromJson(oneway, "reverse");
    if (!reverse.ok()) return Result(reverse.status());
    if (reverse->has_value()) *run.mutable_oneway_reverse() = **std::move(reverse);
  }
  const nlohmann::json& aliases = report.value("aliases", nlohmann::json());
  if (aliases.is_object()) {
    for (const auto& [key, results] : {std::pair{"client", run.mutable_client_aliases()},
                                       std::pair{"server", run.mutable_server_aliases()}}) {
      const nlohmann::json& j = aliases.value(key, nlohmann::json());
      if (!j.is_object()) continue;
      if (absl::Status s = ProtoFromJson(j, *results, /*ignore_unknown=*/true); !s.ok()) {
        return Result(absl::InvalidArgumentError(
            absl::StrCat("\"aliases\".\"", key, "\" of the paired report: ", s.message())));
      }
    }
    if (!aliases.value("client", nlohmann::json()).is_object()) run.clear_client_aliases();
    if (!aliases.value("server", nlohmann::json()).is_object()) run.clear_server_aliases();
  }
  return Result(std::move(run));
}

}  // namespace pathpair::paired
