#include "agent/client/agent_client.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/rpc/status_convert.h"

namespace pathpair::agent {
namespace {

// How often the cancel watcher looks at the caller's cancellation while a session runs.
constexpr absl::Duration kCancelPoll = absl::Milliseconds(50);
// Deadline of the Stop call that ends a cancelled session.
constexpr absl::Duration kStopTimeout = absl::Milliseconds(500);
// Room a stream's deadline leaves beyond the session's own length.
constexpr absl::Duration kStreamSlack = absl::Seconds(60);

// How long a trace's stream may run: its rounds plus timeouts, with room to spare.
absl::Duration TraceStreamTimeout(const v1::ProbeOptions& options) {
  const int64_t rounds = std::max(1, options.count());
  const int64_t interval_us = options.interval_us() > 0 ? options.interval_us() : 1'000'000;
  const int64_t timeout_us =
      options.probe_timeout_us() > 0 ? options.probe_timeout_us() : 10'000'000;
  const int64_t grace_us = options.grace_us() > 0 ? options.grace_us() : 5'000'000;
  return absl::Microseconds(rounds * interval_us + timeout_us + grace_us) + kStreamSlack;
}

// How long a one-way measurement's stream may run.
absl::Duration OneWayStreamTimeout(const v1::StartOneWayRequest& request) {
  const int64_t interval_us = request.interval_us() > 0 ? request.interval_us() : 10000;
  return absl::Microseconds(int64_t{request.count()} * interval_us) + kStreamSlack;
}

bool Cancelled(const CancelWait& cancel, absl::Duration wait) {
  return cancel ? cancel(wait) : false;
}

// A call's cancel watcher: waits until the call has `finished` (false) or the caller cancels
// (true; looked at every kCancelPoll). It sleeps on `finished`, not on the caller's token, so it
// returns as soon as the call ends and joining it adds nothing to the call (sleeping on the
// token added up to kCancelPoll to every session and alias call).
bool WaitForCancel(const CancelWait& cancel, const absl::Notification& finished) {
  if (!cancel) return false;
  while (!finished.HasBeenNotified()) {
    if (cancel(absl::ZeroDuration())) return true;
    finished.WaitForNotificationWithTimeout(kCancelPoll);
  }
  return false;
}

const v1::TraceResult* TracePayload(const v1::TraceUpdate& update) {
  return update.has_snapshot() ? &update.snapshot() : nullptr;
}

const v1::AgentOneWayResult* OneWayPayload(const v1::OneWayUpdate& update) {
  return update.has_result() ? &update.result() : nullptr;
}

}  // namespace

class AgentClient::GrantedSession {
 public:
  void Set(const std::string& session_id) {
    absl::MutexLock lock(&mu_);
    session_id_ = session_id;
  }
  std::string Get() const {
    absl::MutexLock lock(&mu_);
    return session_id_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string session_id_ ABSL_GUARDED_BY(mu_);
};

AgentClient::AgentClient(std::string endpoint, AgentClientOptions options, const Clock& clock)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      clock_(clock),
      stub_(v1::Agent::NewStub(MakeAgentChannel(endpoint_, options_))) {}

AgentClient::~AgentClient() = default;

LeaseRenewer& AgentClient::renewer() {
  absl::MutexLock lock(&renewer_mu_);
  if (renewer_ == nullptr) renewer_ = std::make_unique<LeaseRenewer>(*stub_, options_, clock_);
  return *renewer_;
}

absl::StatusOr<v1::InfoResponse> AgentClient::Info() {
  grpc::ClientContext context;
  Prepare(context, options_.unary_timeout);
  v1::InfoResponse response;
  absl::Status status = FromGrpcStatus(stub_->Info(&context, v1::InfoRequest(), &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::ReflectResponse> AgentClient::Reflect(const std::string& pairing_id) {
  grpc::ClientContext context;
  Prepare(context, options_.unary_timeout);
  v1::ReflectRequest request;
  request.set_pairing_id(pairing_id);
  v1::ReflectResponse response;
  absl::Status status = FromGrpcStatus(stub_->Reflect(&context, request, &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::ReflectPeerResponse> AgentClient::ReflectPeer(
    const v1::ReflectPeerRequest& request) {
  grpc::ClientContext context;
  Prepare(context, options_.unary_timeout * 2);
  v1::ReflectPeerResponse response;
  absl::Status status = FromGrpcStatus(stub_->ReflectPeer(&context, request, &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::ResolveAliasesResponse> AgentClient::ResolveAliases(
    const v1::ResolveAliasesRequest& request, absl::Duration timeout, const CancelWait& cancel) {
  grpc::ClientContext context;
  Prepare(context, timeout);
  absl::Notification finished;
  std::thread watcher([&] {
    if (WaitForCancel(cancel, finished)) context.TryCancel();
  });
  v1::ResolveAliasesResponse response;
  absl::Status status = FromGrpcStatus(stub_->ResolveAliases(&context, request, &response));
  finished.Notify();
  watcher.join();
  if (!status.ok()) return status;
  return response;
}

void AgentClient::StopOnCancel(const GrantedSession& session, grpc::ClientContext& context,
                               const absl::Notification& finished, const CancelWait& cancel) {
  if (!WaitForCancel(cancel, finished)) return;
  if (const std::string session_id = session.Get(); !session_id.empty()) {
    grpc::ClientContext stop_context;
    Prepare(stop_context, kStopTimeout);
    v1::StopRequest stop;
    stop.add_session_ids(session_id);
    v1::StopResponse stopped;
    (void)stub_->Stop(&stop_context, stop, &stopped);
    if (finished.WaitForNotificationWithTimeout(kStopGrace)) return;
  }
  context.TryCancel();
}

template <typename Update, typename Result>
absl::Status AgentClient::FollowSession(grpc::ClientContext& context,
                                        grpc::ClientReader<Update>& reader,
                                        const SessionHooks<Result>& hooks,
                                        const Result* (*payload)(const Update&),
                                        std::optional<Result>& last, const CancelWait& cancel) {
  GrantedSession session;
  absl::Notification finished;
  std::thread watcher([&] { StopOnCancel(session, context, finished, cancel); });
  std::string session_id;
  bool first = true;
  Update update;
  while (reader.Read(&update)) {
    if (first) {  // the first message grants the session
      first = false;
      session_id = update.session_id();
      session.Set(session_id);
      if (!session_id.empty()) renewer().Add(session_id, absl::Milliseconds(update.lease_ms()));
      if (hooks.on_started) hooks.on_started();
    }
    if (const Result* result = payload(update); result != nullptr) {
      last = *result;
      if (hooks.on_result) hooks.on_result(*result);
    }
  }
  absl::Status status = FromGrpcStatus(reader.Finish());
  finished.Notify();
  watcher.join();
  if (!session_id.empty()) renewer().Remove(session_id);
  return status;
}

absl::Status AgentClient::SessionEndStatus(absl::Status status, bool cancelled) const {
  if (status.ok() && cancelled) return absl::CancelledError("stopped by the user");
  if (absl::IsUnavailable(status)) {
    return absl::UnavailableError(
        absl::StrCat("lost the agent ", endpoint_, ": ", status.message()));
  }
  return status;
}

template <typename Request, typename Update, typename Result>
SessionOutcome<Result> AgentClient::RunSession(const char* what, const Request& request,
                                               absl::Duration timeout,
                                               StartFn<Request, Update> start,
                                               const Result* (*payload)(const Update&),
                                               const SessionHooks<Result>& hooks,
                                               const CancelWait& cancel) {
  SessionOutcome<Result> outcome;
  if (Cancelled(cancel, absl::ZeroDuration())) {
    outcome.status = absl::CancelledError(absl::StrCat("cancelled before the ", what, " started"));
    return outcome;
  }
  grpc::ClientContext context;
  Prepare(context, timeout);
  std::unique_ptr<grpc::ClientReader<Update>> reader = (stub_.get()->*start)(&context, request);
  outcome.status = FollowSession(context, *reader, hooks, payload, outcome.result, cancel);
  outcome.status =
      SessionEndStatus(std::move(outcome.status), Cancelled(cancel, absl::ZeroDuration()));
  return outcome;
}

SessionOutcome<v1::TraceResult> AgentClient::RunTrace(const v1::StartTraceRequest& request,
                                                      const SessionHooks<v1::TraceResult>& hooks,
                                                      const CancelWait& cancel) {
  SessionOutcome<v1::TraceResult> outcome =
      RunSession("trace", request, TraceStreamTimeout(request.options()),
                 &v1::Agent::Stub::StartTrace, &TracePayload, hooks, cancel);
  if (outcome.status.ok() && outcome.result.has_value() && !outcome.result->final()) {
    outcome.status = absl::DataLossError("the agent ended the stream before the final result");
  }
  return outcome;
}

SessionOutcome<v1::AgentOneWayResult> AgentClient::RunOneWay(
    const v1::StartOneWayRequest& request, const SessionHooks<v1::AgentOneWayResult>& hooks,
    const CancelWait& cancel) {
  return RunSession("measurement", request, OneWayStreamTimeout(request),
                    &v1::Agent::Stub::StartOneWay, &OneWayPayload, hooks, cancel);
}

void ReflectAsync(
    const std::string& endpoint, const AgentClientOptions& options, const std::string& pairing_id,
    std::chrono::system_clock::time_point deadline,
    std::function<void(absl::StatusOr<v1::ReflectResponse>, absl::StatusOr<CallerIdentity> peer)>
        done) {
  // The call's state lives until its callback has run.
  struct Call {
    std::unique_ptr<v1::Agent::Stub> stub;
    grpc::ClientContext context;
    v1::ReflectRequest request;
    v1::ReflectResponse response;
  };
  auto call = std::make_shared<Call>();
  call->stub = v1::Agent::NewStub(MakeAgentChannel(endpoint, options));
  PrepareContext(call->context, options, deadline);
  call->context.set_wait_for_ready(true);
  call->request.set_pairing_id(pairing_id);
  Call& started = *call;
  started.stub->async()->Reflect(
      &started.context, &started.request, &started.response,
      [call = std::move(call), done = std::move(done)](grpc::Status status) mutable {
        absl::StatusOr<v1::ReflectResponse> answer =
            status.ok() ? absl::StatusOr<v1::ReflectResponse>(std::move(call->response))
                        : FromGrpcStatus(status);
        std::shared_ptr<const grpc::AuthContext> auth = call->context.auth_context();
        absl::StatusOr<CallerIdentity> peer =
            auth != nullptr ? IdentityFromAuthContext(*auth)
                            : absl::StatusOr<CallerIdentity>(
                                  absl::UnauthenticatedError("no authentication context"));
        // The channel goes before the caller hears back (and, in the agent, before its server
        // may shut down): gRPC 1.51 aborts when the last holder of its callback queue lets go
        // of it on the queue's own thread.
        call.reset();
        done(std::move(answer), std::move(peer));
      });
}

}  // namespace pathpair::agent
