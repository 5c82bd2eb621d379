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
#include "pathpair/v1/trace.pb.h"

namespace pathpair {

absl::StatusOr<v1::TraceResult> LocalTraceRunner(const v1::ProbeOptions& options,
                                                 const IpAddress& target);

}  // namespace pathpair

#endif  // PATHPAIR_CONTROLLER_MAIN_TRACE_RUNNER_H_
