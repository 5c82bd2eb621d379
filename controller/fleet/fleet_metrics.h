// /metrics of `pathpair serve`: a MetricsSnapshot (read from the database, so every replica
// shows the same figures) in the Prometheus text format (0.0.4), valid for `promtool check
// metrics`:
//   pathpair_test_runs_total{client,server,status}              counter
//   pathpair_path_loss_ratio{client,server,direction}           gauge, latest run's one-way loss
//   pathpair_path_delay_seconds{client,server,direction}        gauge, latest run's one-way delay
//   pathpair_test_verdict{client,server}                        gauge, 0 healthy 1 degraded 2
//   broken pathpair_agent_connected{agent}                             gauge, 0/1
//
//   std::string body = fleet::RenderFleetMetrics(*store.ReadMetrics(now));
#ifndef PATHPAIR_CONTROLLER_FLEET_FLEET_METRICS_H_
#define PATHPAIR_CONTROLLER_FLEET_FLEET_METRICS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "controller/fleet/fleet_store.h"

namespace pathpair::fleet {

std::string RenderFleetMetrics(const MetricsSnapshot& snapshot);

// 0 healthy, 1 degraded, 2 broken; nullopt for anything else (no verdict).
std::optional<int> VerdictValue(absl::string_view verdict);

}  // namespace pathpair::fleet

#endif  // PATHPAIR_CONTROLLER_FLEET_FLEET_METRICS_H_
