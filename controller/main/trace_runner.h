// The `pathpair trace` runner of the executable: runs a trace on this machine with the agent's
// prober (agent/prober) and returns its final result. Kept apart from the command so that the
// command library and its tests never need sockets.
//
//   cli::TraceCommandDeps deps;
//   deps.runner = LocalTraceRunner;
#ifndef PATHPAIR_CONTROLLER_MAIN_TRACE_RUNNER_H_
#define PATHPAIR_CONTROLLER_MAIN_TRACE_RUNNER_H_

#include "absl/status/statusor.h"
#include "common/net/ip_address.h"
#include "controller/cli/trace_command.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair {

// hooks.on_snapshot gets each round's snapshot, hooks.probe_events every probe and reply;
// without hooks.stop, SIGINT/SIGTERM end the trace and the result so far is returned; while
// *hooks.pause is true no round starts.
absl::StatusOr<v1::TraceResult> LocalTraceRunner(const v1::ProbeOptions& options,
                                                 const IpAddress& target,
                                                 const cli::TraceHooks& hooks);

}  // namespace pathpair

#endif  // PATHPAIR_CONTROLLER_MAIN_TRACE_RUNNER_H_
