#include "controller/paired/paired_json.h"

#include <google/protobuf/util/json_util.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/report/common/time_format.h"
#include "controller/report/trace/json_writer.h"

namespace pathpair::paired {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json NullOr(const std::string& text) {
  return text.empty() ? ordered_json() : ordered_json(text);
}

ordered_json SideToJson(const SideResult& side, const std::string& address) {
  ordered_json j = ordered_json::object();
  j["endpoint"] = side.endpoint;
  j["hostname"] = side.hostname;
  j["version"] = side.version;
  j["address"] = NullOr(address);
  j["started"] = side.started_unix_us > 0 ? ordered_json(output::FormatIsoUtc(side.started_unix_us))
                                          : ordered_json();
  j["error"] = NullOr(side.error);
  return j;
}

ordered_json TraceJson(const std::optional<v1::TraceResult>& trace, const ordered_json& diagnosis,
                       bool use_names) {
  if (!trace.has_value()) return ordered_json();
  ordered_json j = output::TraceToJson(*trace, output::JsonOptions{.use_names = use_names});
  if (diagnosis.is_object()) {
    for (const auto& [key, value] : diagnosis.items()) j["report"][key] = value;
  }
  return j;
}

// Serialisation helpers for SerializeRun / DeserializeRun.
nlohmann::json StatsToStored(const OneWayStats& s) {
  nlohmann::json j;
  j["sent"] = s.sent;
  j["received"] = s.received;
  j["loss_pct"] = s.loss_pct;
  j["delay_min_ms"] = s.delay_min_ms;
  j["delay_avg_ms"] = s.delay_avg_ms;
  j["delay_max_ms"] = s.delay_max_ms;
  j["delay_stdev_ms"] = s.delay_stdev_ms;
  j["jitter_ms"] = s.jitter_ms;
  j["duplicates"] = s.duplicates;
  j["reordered"] = s.reordered;
  j["offset_error_ms"] =
      s.offset_error_ms.has_value() ? nlohmann::json(*s.offset_error_ms) : nlohmann::json();
  j["error"] = s.error;
  return j;
}

OneWayStats StatsFromStored(const nlohmann::json& j) {
  OneWayStats s;
  s.sent = j.value("sent", int64_t{0});
  s.received = j.value("received", int64_t{0});
  s.loss_pct = j.value("loss_pct", 0.0);
  s.delay_min_ms = j.value("delay_min_ms", 0.0);
  s.delay_avg_ms = j.value("delay_avg_ms", 0.0);
  s.delay_max_ms = j.value("delay_max_ms", 0.0);
  s.delay_stdev_ms = j.value("delay_stdev_ms", 0.0);
  s.jitter_ms = j.value("jitter_ms", 0.0);
  s.duplicates = j.value("duplicates", int64_t{0});
  s.reordered = j.value("reordered", int64_t{0});
  if (j.contains("offset_error_ms") && j["offset_error_ms"].is_number()) {
    s.offset_error_ms = j["offset_error_ms"].get<double>();
  }
  s.error = j.value("error", std::string());
  return s;
}

nlohmann::json SideToStored(const SideResult& side) {
  nlohmann::json j;
  j["endpoint"] = side.endpoint;
  j["hostname"] = side.hostname;
  j["version"] = side.version;
  j["error"] = side.error;
  j["started_unix_us"] = side.started_unix_us;
  if (side.trace.has_value()) {
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    if (google::protobuf::util::MessageToJsonString(*side.trace, &text, options).ok()) {
      j["trace"] = nlohmann::json::parse(text, nullptr, false);
    }
  }
  return j;
}

absl::StatusOr<SideResult> SideFromStored(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("a side of the run is not an object");
  SideResult side;
  side.endpoint = j.value("endpoint", std::string());
  side.hostname = j.value("hostname", std::string());
  side.version = j.value("version", std::string());
  side.error = j.value("error", std::string());
  side.started_unix_us = j.value("started_unix_us", int64_t{0});
  if (j.contains("trace") && j["trace"].is_object()) {
    v1::TraceResult trace;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(j["trace"].dump(), &trace, options).ok()) {
      return absl::InvalidArgumentError("a stored trace is not a valid TraceResult");
    }
    side.trace = std::move(trace);
  }
  return side;
}

}  // namespace

ordered_json OneWayStatsToJson(const OneWayStats& stats) {
  ordered_json j = ordered_json::object();
  j["sent"] = stats.sent;
  j["received"] = stats.received;
  j["loss_pct"] = stats.loss_pct;
  j["delay_ms"] = {{"min", stats.delay_min_ms},
                   {"avg", stats.delay_avg_ms},
                   {"max", stats.delay_max_ms},
                   {"stdev", stats.delay_stdev_ms}};
  j["offset_error_ms"] =
      stats.offset_error_ms.has_value() ? ordered_json(*stats.offset_error_ms) : ordered_json();
  j["jitter_ms"] = stats.jitter_ms;
  j["duplicates"] = stats.duplicates;
  j["reordered"] = stats.reordered;
  j["error"] = NullOr(stats.error);
  return j;
}

ordered_json PairedRunToJson(const PairedRun& run, const nlohmann::json& paths,
                             const DiagnosisJson& diagnosis, bool use_names) {
  ordered_json j = ordered_json::object();
  j["run_id"] = run.run_id;
  j["start"] = output::FormatIsoUtc(run.start_unix_us);
  j["end"] = output::FormatIsoUtc(run.end_unix_us);
  j["status"] = CompletenessName(run.completeness());
  j["client"] = SideToJson(run.client, run.reverse_target);
  j["server"] = SideToJson(run.server, run.forward_target);
  j["start_skew_ms"] =
      run.start_skew_ms.has_value() ? ordered_json(*run.start_skew_ms) : ordered_json();
  j["forward"] = TraceJson(run.client.trace, diagnosis.forward, use_names);
  j["reverse"] = TraceJson(run.server.trace, diagnosis.reverse, use_names);
  if (run.oneway_requested && (run.oneway_forward.has_value() || run.oneway_reverse.has_value())) {
    j["oneway"] = {
        {"forward",
         run.oneway_forward.has_value() ? OneWayStatsToJson(*run.oneway_forward) : ordered_json()},
        {"reverse",
         run.oneway_reverse.has_value() ? OneWayStatsToJson(*run.oneway_reverse) : ordered_json()}};
  } else {
    j["oneway"] = ordered_json();
  }
  j["paths"] = paths.is_null() ? ordered_json() : ordered_json::parse(paths.dump());
  j["diagnosis"] = diagnosis.paired.is_array() ? diagnosis.paired : ordered_json::array();
  j["errors"] = run.Errors();
  return j;
}

std::string SerializeRun(const PairedRun& run) {
  nlohmann::json j;
  j["format"] = kRunPayloadFormat;
  j["run_id"] = run.run_id;
  j["start_unix_us"] = run.start_unix_us;
  j["end_unix_us"] = run.end_unix_us;
  j["forward_target"] = run.forward_target;
  j["reverse_target"] = run.reverse_target;
  j["reverse_target_reflected"] = run.reverse_target_reflected;
  j["client"] = SideToStored(run.client);
  j["server"] = SideToStored(run.server);
  j["oneway_requested"] = run.oneway_requested;
  if (run.oneway_forward.has_value()) j["oneway_forward"] = StatsToStored(*run.oneway_forward);
  if (run.oneway_reverse.has_value()) j["oneway_reverse"] = StatsToStored(*run.oneway_reverse);
  if (run.start_skew_ms.has_value()) j["start_skew_ms"] = *run.start_skew_ms;
  j["interrupted"] = run.interrupted;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<PairedRun> DeserializeRun(absl::string_view payload) {
  nlohmann::json j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", std::string()) != kRunPayloadFormat) {
    return absl::InvalidArgumentError("the stored run is not a pathpair paired run");
  }
  try {
    PairedRun run;
    run.run_id = j.value("run_id", std::string());
    run.start_unix_us = j.value("start_unix_us", int64_t{0});
    run.end_unix_us = j.value("end_unix_us", int64_t{0});
    run.forward_target = j.value("forward_target", std::string());
    run.reverse_target = j.value("reverse_target", std::string());
    run.reverse_target_reflected = j.value("reverse_target_reflected", false);
    absl::StatusOr<SideResult> client = SideFromStored(j.value("client", nlohmann::json()));
    if (!client.ok()) return client.status();
    absl::StatusOr<SideResult> server = SideFromStored(j.value("server", nlohmann::json()));
    if (!server.ok()) return server.status();
    run.client = *std::move(client);
    run.server = *std::move(server);
    run.oneway_requested = j.value("oneway_requested", false);
    if (j.contains("oneway_forward")) run.oneway_forward = StatsFromStored(j["oneway_forward"]);
    if (j.contains("oneway_reverse")) run.oneway_reverse = StatsFromStored(j["oneway_reverse"]);
    if (j.contains("start_skew_ms") && j["start_skew_ms"].is_number()) {
      run.start_skew_ms = j["start_skew_ms"].get<double>();
    }
    run.interrupted = j.value("interrupted", false);
    return run;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("the stored run is malformed: ", e.what()));
  }
}

}  // namespace pathpair::paired
