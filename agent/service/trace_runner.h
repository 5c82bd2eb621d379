// The seam between the agent's gRPC service and whatever runs traces: the service starts and
// cancels traces through TraceRunner and gets snapshots back through callbacks. The agent binary
// plugs in ProberTraceRunner (prober_trace_runner.h: one shared Prober loop for every trace);
// tests plug in a fake that they drive by hand.
//
//   TraceRunner::Callbacks callbacks{.on_snapshot = Send, .on_done = SendFinal};
//   absl::StatusOr<TraceRunner::Handle> h = runner.Start(options, target, std::move(callbacks));
//   ...
//   runner.Cancel(*h);   // on_done follows with the result so far
#ifndef PATHPAIR_AGENT_SERVICE_TRACE_RUNNER_H_
#define PATHPAIR_AGENT_SERVICE_TRACE_RUNNER_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "common/net/ip_address.h"
#include "pathpair/v1/agent.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::agent {

class TraceRunner {
 public:
  using Handle = uint64_t;
  struct Callbacks {
    // A live snapshot (final == false), typically once per round.
    std::function<void(const v1::TraceResult&)> on_snapshot;
    // Exactly once per started trace, last: the final result (final == true; error set when
    // the trace failed or was cancelled).
    std::function<void(const v1::TraceResult&)> on_done;
  };

  virtual ~TraceRunner() = default;

  // Starts a trace to `target` (already resolved; options.target is echoed only). Callbacks
  // may run on any thread, possibly before Start returns. An error means nothing was started
  // and no callback will run.
  virtual absl::StatusOr<Handle> Start(const v1::ProbeOptions& options, const IpAddress& target,
                                       Callbacks callbacks) = 0;
  // Stops the trace now; on_done follows (maybe before Cancel returns, maybe on another
  // thread). Thread-safe; unknown or finished handles are ignored.
  virtual void Cancel(Handle handle) = 0;
  // What this runner can probe, for Info.
  virtual v1::Capabilities capabilities() const = 0;
};

// The one-way measurement behind StartOneWay, with the same contract as TraceRunner.
class OneWayRunner {
 public:
  using Handle = uint64_t;
  struct Callbacks {
    std::function<void(const v1::AgentOneWayResult&)> on_update;
    std::function<void(const v1::AgentOneWayResult&)> on_done;
  };

  virtual ~OneWayRunner() = default;

  virtual absl::StatusOr<Handle> Start(const v1::StartOneWayRequest& request, const IpAddress& peer,
                                       Callbacks callbacks) = 0;
  virtual void Cancel(Handle handle) = 0;
  // The local UDP port peers send test packets to (InfoResponse.oneway_port).
  virtual int local_port() const = 0;
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_TRACE_RUNNER_H_
