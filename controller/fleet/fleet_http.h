// The HTTP side of `pathpair serve`, as one pure request handler (the server is
// agent/metrics/metrics_http.h's, on Debian's cpp-httplib):
//   /healthz        "ok" while the database answers, 503 and the error otherwise
//   /metrics        fleet_metrics.h, read from the database (every replica serves the same)
//   /runs           the newest runs, one JSON object per line ({run_id, start, end, client,
//                   server, verdict, status}); /runs?limit is not taken: 200 runs at most
//   /runs/RUN_ID    the run's self-contained HTML report (as `pathpair test --html`)
//
//   auto server = agent::metrics::MetricsHttpServer::StartWithHandler(host, port,
//       [&](const std::string& path) { return fleet::HandleFleetRequest(path, store, absl::Now());
//       });
#ifndef PATHPAIR_CONTROLLER_FLEET_FLEET_HTTP_H_
#define PATHPAIR_CONTROLLER_FLEET_FLEET_HTTP_H_

#include <string>

#include "absl/time/time.h"
#include "agent/metrics/metrics_http.h"
#include "controller/fleet/fleet_store.h"

namespace pathpair::fleet {

agent::metrics::HttpReply HandleFleetRequest(const std::string& path, FleetStore& store,
                                             absl::Time now);

}  // namespace pathpair::fleet

#endif  // PATHPAIR_CONTROLLER_FLEET_FLEET_HTTP_H_
