// The one client of the Agent service (proto/pathpair/v1/agent.proto): the controller's remote
// ends (controller/paired/grpc_endpoint.h), an agent calling its peer (ReflectPeer), and the
// tests all talk to agents through it. It owns the stub; every call carries a deadline and the
// bearer token; a followed session (RunTrace, RunOneWay) is renewed every third of its lease
// while it runs (LeaseRenewer, on the monotonic clock) and, when the caller cancels, stopped
// (Stop, so the agent sends its final result) with the stream cut after a short grace.
//
//   AgentClient client("203.0.113.2:8620", options);      // options: channel.h
//   absl::StatusOr<v1::InfoResponse> info = client.Info();
//   SessionOutcome<v1::TraceResult> trace = client.RunTrace(
//       request, {.on_result = [](const v1::TraceResult& snapshot) { ... }},
//       [&](absl::Duration wait) { return cancel.WaitFor(wait); });
//   if (!trace.status.ok()) ...;                          // trace.result: the last snapshot
#ifndef PATHPAIR_AGENT_CLIENT_AGENT_CLIENT_H_
#define PATHPAIR_AGENT_CLIENT_AGENT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/client/channel.h"
#include "agent/client/lease_renewer.h"
#include "agent/rpc/caller_identity.h"
#include "common/time/clock.h"
#include "pathpair/v1/agent.grpc.pb.h"

namespace pathpair::agent {

// What a running session reports, from the thread that called RunTrace/RunOneWay. Each may be
// empty.
template <typename Result>
struct SessionHooks {
  std::function<void()> on_started;              // the agent granted the session
  std::function<void(const Result&)> on_result;  // a snapshot (trace) or a result (one-way)
};

// How a session ended. `result` is the last result the agent sent (the final one when `status`
// is OK). A session the caller cancelled ends Cancelled, with its result so far.
template <typename Result>
struct SessionOutcome {
  absl::Status status;
  std::optional<Result> result;
};

// The caller's cancellation: waits up to `timeout` and returns true once cancelled (at once
// when already cancelled). Empty: the session is never cancelled.
using CancelWait = std::function<bool(absl::Duration timeout)>;

class AgentClient {
 public:
  // How long a cancelled session may take to send its final result before its stream is cut.
  static constexpr absl::Duration kStopGrace = absl::Milliseconds(800);

  // The channel connects lazily; `clock` (the lease schedule's) must outlive the client.
  AgentClient(std::string endpoint, AgentClientOptions options,
              const Clock& clock = SystemClock::Get());
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  const AgentClientOptions& options() const { return options_; }
  // Sets a call's deadline (`timeout` from now) and the bearer token.
  void Prepare(grpc::ClientContext& context, absl::Duration timeout) const {
    PrepareContext(context, options_, timeout);
  }

  absl::StatusOr<v1::InfoResponse> Info();
  // The address (and port) this client comes from as the agent sees it; with a pairing id the
  // agent also consents to be probed from there.
  absl::StatusOr<v1::ReflectResponse> Reflect(const std::string& pairing_id);
  // Has the agent call Reflect on its peer (twice the unary timeout: two agents answer).
  absl::StatusOr<v1::ReflectPeerResponse> ReflectPeer(const v1::ReflectPeerRequest& request);

  // Runs a session until its stream ends, the agent fails it or `cancel` fires. Blocking. The
  // stream's deadline is the session's own length plus timeouts, with room to spare. A lost
  // connection names the agent; a trace that ended without its final snapshot is DataLoss.
  SessionOutcome<v1::TraceResult> RunTrace(const v1::StartTraceRequest& request,
                                           const SessionHooks<v1::TraceResult>& hooks,
                                           const CancelWait& cancel);
  SessionOutcome<v1::AgentOneWayResult> RunOneWay(const v1::StartOneWayRequest& request,
                                                  const SessionHooks<v1::AgentOneWayResult>& hooks,
                                                  const CancelWait& cancel);

  // Router alias resolution (ResolveAliases). The call's deadline is `timeout` from now (the
  // agent answers a little before it with what it learned); `cancel` firing cuts the call
  // (Cancelled).
  absl::StatusOr<v1::ResolveAliasesResponse> ResolveAliases(
      const v1::ResolveAliasesRequest& request, absl::Duration timeout, const CancelWait& cancel);

 private:
  // The id of a running session once the agent granted it, shared with the cancel watcher.
  class GrantedSession;

  template <typename Request, typename Update>
  using StartFn = std::unique_ptr<grpc::ClientReader<Update>> (v1::Agent::Stub::*)(
      grpc::ClientContext*, const Request&);

  // Starts a session (`start` with `request`, its stream deadline `timeout` from now) and
  // follows it to its end; `what` names it in the error when cancelled before it started.
  template <typename Request, typename Update, typename Result>
  SessionOutcome<Result> RunSession(const char* what, const Request& request,
                                    absl::Duration timeout, StartFn<Request, Update> start,
                                    const Result* (*payload)(const Update&),
                                    const SessionHooks<Result>& hooks, const CancelWait& cancel);
  // Reads a session stream (`reader`, on `context`) to its end, renewing the session and
  // watching `cancel` beside it; `payload` returns an update's result when it carries one.
  template <typename Update, typename Result>
  absl::Status FollowSession(grpc::ClientContext& context, grpc::ClientReader<Update>& reader,
                             const SessionHooks<Result>& hooks,
                             const Result* (*payload)(const Update&), std::optional<Result>& last,
                             const CancelWait& cancel);
  // Runs beside a session stream until `finished`: on cancellation stops the session and cuts
  // the stream (`context`) if it has not ended within kStopGrace, or at once before the
  // session is granted.
  void StopOnCancel(const GrantedSession& session, grpc::ClientContext& context,
                    const absl::Notification& finished, const CancelWait& cancel);
  // A session's status once its stream ended.
  absl::Status SessionEndStatus(absl::Status status, bool cancelled) const;
  LeaseRenewer& renewer();

  const std::string endpoint_;
  const AgentClientOptions options_;
  const Clock& clock_;
  std::unique_ptr<v1::Agent::Stub> stub_;
  absl::Mutex renewer_mu_;
  // Started with the first session, so that short-lived clients (Info, Reflect) run no thread.
  std::unique_ptr<LeaseRenewer> renewer_ ABSL_GUARDED_BY(renewer_mu_);
};

// Calls Reflect on the agent at `endpoint` without blocking, for an agent's ReflectPeer handler
// (which must not wait on its callback thread); `done` runs on a gRPC thread with the answer and
// who answered (the identity its certificate gives; anonymous over plaintext). The call waits
// for the peer to be ready until `deadline` (which the caller caps), so that a closed port, an
// open port that is not an agent and a silent address all fail alike at the deadline. The
// call's channel is released on that thread, so something else must hold gRPC's callback queue
// meanwhile (the agent's callback server does; gRPC 1.51 aborts when its last holder lets go
// from the queue's thread).
void ReflectAsync(
    const std::string& endpoint, const AgentClientOptions& options, const std::string& pairing_id,
    std::chrono::system_clock::time_point deadline,
    std::function<void(absl::StatusOr<v1::ReflectResponse>, absl::StatusOr<CallerIdentity> peer)>
        done);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_CLIENT_AGENT_CLIENT_H_
