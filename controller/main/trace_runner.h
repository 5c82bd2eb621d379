// The `pathpair trace` runner of the executable: runs a trace on this machine with the agent's
// prober (agent/prober) and returns its final result. Kept apart from the command so that the
// command library and its tests never need sockets. For least privilege the executable opens
// the sockets of the whole command line first and then drops its privileges
// (OpenTraceSocketsAndDropPrivileges); every trace then runs over duplicates of those sockets.
//
//   if (absl::Status s = OpenTraceSocketsAndDropPrivileges(args); !s.ok()) return 1;
//   cli::TraceCommandDeps deps;
//   deps.runner = LocalTraceRunner;
#ifndef PATHPAIR_CONTROLLER_MAIN_TRACE_RUNNER_H_
#define PATHPAIR_CONTROLLER_MAIN_TRACE_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net/ip_address.h"
#include "controller/cli/trace_command.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair {

// Opens, once, every probe socket the `pathpair trace` command line `args` may use (IPv4 and
// IPv6; ICMP, UDP and TCP; its -I and -M) and keeps them for LocalTraceRunner; then drops every
// privilege (agent/net/privileges.h): as root the process becomes the user sudo names
// (SUDO_UID/SUDO_GID), else the unprivileged default user. Must run before any thread starts.
// A command line that probes nothing (a bad one, --help) leaves everything as it is. When the
// sockets cannot be opened, the traces later fail with that error, as before. An error means
// the privileges could not be dropped: the command must stop.
absl::Status OpenTraceSocketsAndDropPrivileges(const std::vector<std::string>& args);

// hooks.on_snapshot gets each round's snapshot, hooks.probe_events every probe and reply;
// without hooks.stop, SIGINT/SIGTERM end the trace and the result so far is returned; while
// *hooks.pause is true no round starts.
absl::StatusOr<v1::TraceResult> LocalTraceRunner(const v1::ProbeOptions& options,
                                                 const IpAddress& target,
                                                 const cli::TraceHooks& hooks);

}  // namespace pathpair

#endif  // PATHPAIR_CONTROLLER_MAIN_TRACE_RUNNER_H_
