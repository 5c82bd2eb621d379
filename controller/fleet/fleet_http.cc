#include "controller/fleet/fleet_http.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controller/fleet/fleet_metrics.h"
#include "controller/merge/path_merge.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/paired/run_payload.h"
#include "controller/report/paired/html_page.h"
#include "controller/report/paired/paired_html.h"

namespace pathpair::fleet {
namespace {

using agent::metrics::HttpReply;

constexpr int kRunsListed = 200;

HttpReply Reply(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  return HttpReply{.status = status, .content_type = std::move(type), .body = std::move(body)};
}

// A database error: 503, so that a load balancer or Prometheus sees this replica as unhealthy
// rather than a page with wrong figures.
HttpReply Unavailable(const absl::Status& status) {
  return Reply(503, absl::StrCat("database unavailable: ", status.message(), "\n"));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

HttpReply ListRuns(FleetStore& store) {
  absl::StatusOr<std::vector<history::RunSummary>> runs = store.ListRuns(kRunsListed);
  if (!runs.ok()) return Unavailable(runs.status());
  std::string body;
  for (const history::RunSummary& run : *runs) {
    const nlohmann::json line = {{"run_id", run.run_id},
                                 {"start", Rfc3339(run.start)},
                                 {"end", Rfc3339(run.end)},
                                 {"client", run.client},
                                 {"server", run.server},
                                 {"verdict", run.verdict},
                                 {"status", std::string(history::RunStatusName(run.status))}};
    absl::StrAppend(&body, line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "\n");
  }
  return Reply(200, std::move(body), "application/x-ndjson");
}

HttpReply RunReport(FleetStore& store, const std::string& run_id) {
  if (!history::IsWellFormedRunId(run_id)) return Reply(404, "no such run\n");
  absl::StatusOr<history::RunRecord> record = store.LoadRun(run_id);
  if (absl::IsNotFound(record.status())) return Reply(404, "no such run\n");
  if (!record.ok()) return Unavailable(record.status());
  absl::StatusOr<v1::PairedRun> run = paired::DecodeRun(record->payload_format, record->payload);
  if (!run.ok()) return Reply(500, absl::StrCat("stored run unreadable: ", run.status().message()));
  const std::optional<merge::MergedPaths> merged = merge::MergeRun(*run, nullptr);
  const paired::DiagnosisOutput diagnosis = paired::DiagnosePairedRun(*run, nullptr, nullptr);
  const html::PairedReport page = subcommands::BuildPairedHtmlReport(
      *run, merged.has_value() ? &*merged : nullptr, diagnosis, nullptr, /*use_names=*/false);
  return Reply(200, html::RenderPairedHtml(page), "text/html; charset=utf-8");
}

}  // namespace

HttpReply HandleFleetRequest(const std::string& path, FleetStore& store, absl::Time now) {
  if (path == "/healthz") {
    // A cheap query that needs the database.
    absl::StatusOr<std::vector<history::RunSummary>> probe = store.ListRuns(1);
    if (!probe.ok()) return Unavailable(probe.status());
    return Reply(200, "ok\n");
  }
  if (path == "/metrics") {
    absl::StatusOr<MetricsSnapshot> snapshot = store.ReadMetrics(now);
    if (!snapshot.ok()) return Unavailable(snapshot.status());
    return Reply(200, RenderFleetMetrics(*snapshot), "text/plain; version=0.0.4; charset=utf-8");
  }
  if (path == "/runs" || path == "/runs/") return ListRuns(store);
  if (absl::StartsWith(path, "/runs/")) return RunReport(store, path.substr(6));
  return Reply(404, "not found: try /metrics, /runs, /runs/RUN_ID, /healthz\n");
}

}  // namespace pathpair::fleet
