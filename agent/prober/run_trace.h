// RunTrace: one trace, start to finish, in this process — what `pathpair trace` calls. Opens the
// sockets the options need (the privileged step), runs a Prober until the trace ends, and
// returns the final result. Snapshots arrive through a callback after each round, for live
// output.
//
//   absl::StatusOr<engine::TraceResult> result = prober::RunTrace(
//       options, target, [](const engine::TraceResult& s) { Redraw(s); });
//   if (!result.ok()) { std::cerr << result.status().message() << "\n"; return 1; }
#ifndef PATHPAIR_AGENT_PROBER_RUN_TRACE_H_
#define PATHPAIR_AGENT_PROBER_RUN_TRACE_H_

#include <atomic>
#include <functional>

#include "absl/status/statusor.h"
#include "agent/engine/trace_result.h"
#include "agent/net/socket_set.h"
#include "common/net/ip_address.h"
#include "common/trace/probe_events.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::prober {

// The sockets a set of options needs: the target's family, the protocol, -I and -M.
net::SocketPlan PlanFor(const v1::ProbeOptions& options, IpFamily family);

// Runs one trace to `target` (already resolved; options.target is only echoed in the result).
// Errors: InvalidArgument for bad options; PermissionDenied naming what is missing when no
// socket can be opened (CAP_NET_RAW, or net.ipv4.ping_group_range); Unavailable when there is
// no route. `interrupt` (may be nullptr) is polled after every wake-up; a SIGINT handler that
// sets it ends the trace at once and RunTrace returns the result so far (error "cancelled",
// interrupted: see Prober::Cancel).
// `probe_events` (may be nullptr, not owned) sees every probe and accepted reply (mtr -l).
// While `pause` (may be nullptr) is true no round starts (the screen's `p`; see
// Prober::set_pause_flag).
absl::StatusOr<engine::TraceResult> RunTrace(
    const v1::ProbeOptions& options, const IpAddress& target,
    std::function<void(const engine::TraceResult&)> on_snapshot,
    const std::atomic<bool>* interrupt = nullptr, ProbeEventSink* probe_events = nullptr,
    const std::atomic<bool>* pause = nullptr);

// The same over sockets the caller opened (OpenSocketSet with PlanFor), so that a program can
// drop its privileges (net::DropPrivilegesAfterOpen) between opening them and tracing:
//
//   PATHPAIR_ASSIGN_OR_RETURN(net::SocketSet sockets,
//                             net::OpenSocketSet(PlanFor(options, target.family())));
//   PATHPAIR_RETURN_IF_ERROR(net::DropPrivilegesAfterOpen());
//   auto result = RunTrace(std::move(sockets), options, target, on_snapshot, &interrupted);
absl::StatusOr<engine::TraceResult> RunTrace(
    net::SocketSet sockets, const v1::ProbeOptions& options, const IpAddress& target,
    std::function<void(const engine::TraceResult&)> on_snapshot,
    const std::atomic<bool>* interrupt = nullptr, ProbeEventSink* probe_events = nullptr,
    const std::atomic<bool>* pause = nullptr);

}  // namespace pathpair::prober

#endif  // PATHPAIR_AGENT_PROBER_RUN_TRACE_H_
