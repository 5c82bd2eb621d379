#include "controller/fleet/fleet_metrics.h"

#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pathpair::fleet {
namespace {

// A label value in the text format: backslash, double quote and newline escaped.
std::string Escape(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Labels(std::initializer_list<std::pair<absl::string_view, absl::string_view>> labels) {
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ",";
    absl::StrAppend(&out, name, "=\"", Escape(value), "\"");
  }
  return out + "}";
}

void Header(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

std::string Number(double value) { return absl::StrFormat("%.9g", value); }

}  // namespace

std::optional<int> VerdictValue(absl::string_view verdict) {
  if (verdict == "healthy") return 0;
  if (verdict == "degraded") return 1;
  if (verdict == "broken") return 2;
  return std::nullopt;
}

std::string RenderFleetMetrics(const MetricsSnapshot& snapshot) {
  std::string out;
  Header(out, "pathpair_test_runs_total", "counter", "Scheduled test runs stored, by outcome.");
  for (const MetricsSnapshot::RunCount& c : snapshot.runs) {
    absl::StrAppend(&out, "pathpair_test_runs_total",
                    Labels({{"client", c.client}, {"server", c.server}, {"status", c.status}}), " ",
                    c.count, "\n");
  }
  Header(out, "pathpair_path_loss_ratio", "gauge",
         "One-way packet loss (0..1) of the pair's latest run, per direction.");
  for (const MetricsSnapshot::LatestRun& run : snapshot.latest) {
    for (const DirectionFigures& d : run.directions) {
      absl::StrAppend(
          &out, "pathpair_path_loss_ratio",
          Labels({{"client", run.client}, {"server", run.server}, {"direction", d.direction}}), " ",
          Number(d.loss_ratio), "\n");
    }
  }
  Header(out, "pathpair_path_delay_seconds", "gauge",
         "Mean one-way delay of the pair's latest run, per direction.");
  for (const MetricsSnapshot::LatestRun& run : snapshot.latest) {
    for (const DirectionFigures& d : run.directions) {
      if (!d.delay_seconds.has_value()) continue;
      absl::StrAppend(
          &out, "pathpair_path_delay_seconds",
          Labels({{"client", run.client}, {"server", run.server}, {"direction", d.direction}}), " ",
          Number(*d.delay_seconds), "\n");
    }
  }
  Header(out, "pathpair_test_verdict", "gauge",
         "Verdict of the pair's latest run with one: 0 healthy, 1 degraded, 2 broken.");
  for (const MetricsSnapshot::LatestRun& run : snapshot.latest) {
    const std::optional<int> value = VerdictValue(run.verdict);
    if (!value.has_value()) continue;
    absl::StrAppend(&out, "pathpair_test_verdict",
                    Labels({{"client", run.client}, {"server", run.server}}), " ", *value, "\n");
  }
  Header(out, "pathpair_agent_connected", "gauge",
         "1 when the agent is connected to a replica (dial-in) or was reached by its last run.");
  for (const MetricsSnapshot::Agent& agent : snapshot.agents) {
    absl::StrAppend(&out, "pathpair_agent_connected", Labels({{"agent", agent.name}}), " ",
                    agent.connected ? 1 : 0, "\n");
  }
  return out;
}

}  // namespace pathpair::fleet
