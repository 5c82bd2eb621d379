// PairedRun: everything one `pathpair test` measured — both traces (forward from the client
// side, reverse from the server agent, each in its own orientation), both directions of the
// one-way measurement, the start skew, and what failed. It is what the orchestration returns,
// what the history stores (paired_json.h serialises it) and what every report is drawn from.
//
//   PairedRun run = *RunPairedTest(plan, client, server, deps, cancel, nullptr);
//   if (run.completeness() == Completeness::kPartial) ...   // one side failed: exit partial
#ifndef PATHPAIR_CONTROLLER_PAIRED_PAIRED_RUN_H_
#define PATHPAIR_CONTROLLER_PAIRED_PAIRED_RUN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pathpair/v1/trace.pb.h"

namespace pathpair::paired {

// One direction of the one-way measurement, as measured by the end it arrives at.
struct OneWayStats {
  int64_t sent = 0;
  int64_t received = 0;
  double loss_pct = 0;
  double delay_min_ms = 0;
  double delay_avg_ms = 0;
  double delay_max_ms = 0;
  double delay_stdev_ms = 0;
  double jitter_ms = 0;
  int64_t duplicates = 0;
  int64_t reordered = 0;
  // Bound on the clock offset error the delays carry; nullopt: "unsynchronised" (no estimate,
  // the delays include the clocks' difference and only their variation means anything).
  std::optional<double> offset_error_ms;
  std::string error;  // set when this direction could not be measured (then the figures are 0)
};

// One end of the test and the trace it ran (the client: forward; the server: reverse).
struct SideResult {
  std::string endpoint;  // "local" or the agent's "host:port"
  std::string hostname;  // from Info
  std::string version;
  // Empty when the trace completed; otherwise why it failed (a clear one-line message).
  std::string error;
  // The final result, or (after a failure) the last snapshot, or nothing.
  std::optional<v1::TraceResult> trace;
  int64_t started_unix_us = 0;  // when the agent granted the session; 0 when it never did
};

enum class Completeness {
  kComplete,  // both traces and (when asked) both one-way directions
  kPartial,   // something failed or the run was interrupted, but something was measured
  kFailed,    // no trace result at all
};

struct PairedRun {
  std::string run_id;
  int64_t start_unix_us = 0;
  int64_t end_unix_us = 0;
  std::string forward_target;             // address the client side traced
  std::string reverse_target;             // address the server agent traced
  bool reverse_target_reflected = false;  // learned through Reflect rather than given
  SideResult client;
  SideResult server;
  bool oneway_requested = true;
  std::optional<OneWayStats> oneway_forward;  // client -> server, measured by the server
  std::optional<OneWayStats> oneway_reverse;  // server -> client, measured by the client
  // Spread of the start times of the forward trace, the reverse trace and both one-way halves
  // (those that started), in ms.
  std::optional<double> start_skew_ms;
  bool interrupted = false;  // stopped by the user (Ctrl-C)

  bool forward_ok() const { return client.error.empty() && client.trace.has_value(); }
  bool reverse_ok() const { return server.error.empty() && server.trace.has_value(); }
  Completeness completeness() const;
  // Every failure as "what: why" lines, for reports.
  std::vector<std::string> Errors() const;
};

// "complete", "partial", "failed".
const char* CompletenessName(Completeness c);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_PAIRED_RUN_H_
