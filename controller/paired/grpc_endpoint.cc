#include "controller/paired/grpc_endpoint.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace pathpair::paired {
namespace {

constexpr int kMaxMessageBytes = 8 * 1024 * 1024;
// How long a cancelled session may take to send its final result before its stream is cut.
constexpr absl::Duration kStopGrace = absl::Milliseconds(800);

std::chrono::system_clock::time_point DeadlineIn(absl::Duration d) {
  return std::chrono::system_clock::now() + std::chrono::microseconds(absl::ToInt64Microseconds(d));
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " file '", path, "'"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (buffer.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " file '", path, "' is empty"));
  }
  return buffer.str();
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& endpoint,
                                           const AgentConnectionOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Notice a vanished agent even when no packet says so.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  if (!options.tls_name.empty()) args.SetSslTargetNameOverride(options.tls_name);
  return grpc::CreateCustomChannel(endpoint, options.credentials, args);
}

void AddToken(grpc::ClientContext& context, const std::string& token) {
  if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

// How long a stream may run: the trace's own length plus timeouts, with room to spare.
absl::Duration StreamTimeout(const v1::ProbeOptions& options) {
  const int64_t rounds = std::max(1, options.count());
  const int64_t interval_us = options.interval_us() > 0 ? options.interval_us() : 1'000'000;
  const int64_t timeout_us =
      options.probe_timeout_us() > 0 ? options.probe_timeout_us() : 10'000'000;
  const int64_t grace_us = options.grace_us() > 0 ? options.grace_us() : 5'000'000;
  return absl::Microseconds(rounds * interval_us + timeout_us + grace_us) + absl::Seconds(60);
}

// Reads a session stream to its end. `Update` is TraceUpdate or OneWayUpdate; `payload`
// returns the update's result when it carries one.
template <typename Update, typename Result, typename Payload, typename KeepFn>
absl::Status ReadSession(grpc::ClientReader<Update>& reader,
                         const std::function<void()>& on_started,
                         const std::function<void(const Result&)>& on_result, Payload payload,
                         std::optional<Result>& last, KeepFn start_keeper) {
  Update update;
  bool first = true;
  while (reader.Read(&update)) {
    if (first) {
      first = false;
      if (on_started) on_started();
      start_keeper(update.session_id(), update.lease_ms());
    }
    if (const Result* result = payload(update); result != nullptr) {
      last = *result;
      if (on_result) on_result(*result);
    }
  }
  return FromGrpc(reader.Finish());
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeAgentCredentials(
    bool insecure, const std::string& ca_file, const std::string& cert_file,
    const std::string& key_file) {
  if (insecure) return grpc::InsecureChannelCredentials();
  if (ca_file.empty() || cert_file.empty() || key_file.empty()) {
    return absl::InvalidArgumentError(
        "agents need mutual TLS: give --tls-ca, --tls-cert and --tls-key (deploy/make-certs.sh "
        "makes them), or --insecure for plaintext");
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = ReadPem(ca_file, "--tls-ca");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadPem(cert_file, "--tls-cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(key_file, "--tls-key");
  if (!key.ok()) return key.status();
  ssl.pem_root_certs = *ca;
  ssl.pem_cert_chain = *cert;
  ssl.pem_private_key = *key;
  return grpc::SslCredentials(ssl);
}

absl::StatusOr<std::string> CallReflect(const std::string& endpoint,
                                        const AgentConnectionOptions& options,
                                        const std::string& pairing_id) {
  std::unique_ptr<v1::Agent::Stub> stub = v1::Agent::NewStub(MakeChannel(endpoint, options));
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(options.unary_timeout));
  AddToken(context, options.bearer_token);
  v1::ReflectRequest request;
  request.set_pairing_id(pairing_id);
  v1::ReflectResponse response;
  absl::Status status = FromGrpc(stub->Reflect(&context, request, &response));
  if (!status.ok()) return status;
  return response.address();
}

GrpcAgentEndpoint::GrpcAgentEndpoint(std::string endpoint, AgentConnectionOptions options)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      stub_(v1::Agent::NewStub(MakeChannel(endpoint_, options_))) {}

void GrpcAgentEndpoint::Prepare(grpc::ClientContext& context, absl::Duration timeout) const {
  context.set_deadline(DeadlineIn(timeout));
  AddToken(context, options_.bearer_token);
}

absl::StatusOr<v1::InfoResponse> GrpcAgentEndpoint::Info() {
  grpc::ClientContext context;
  Prepare(context, options_.unary_timeout);
  context.set_wait_for_ready(false);
  v1::InfoResponse response;
  absl::Status status = FromGrpc(stub_->Info(&context, v1::InfoRequest(), &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<std::string> GrpcAgentEndpoint::ReflectFrom(const std::string& peer_endpoint,
                                                           const std::string& pairing_id) {
  grpc::ClientContext context;
  Prepare(context, options_.unary_timeout * 2);
  v1::ReflectPeerRequest request;
  request.set_peer(peer_endpoint);
  request.set_pairing_id(pairing_id);
  request.set_peer_token(options_.bearer_token);
  request.set_peer_tls_name(options_.peer_tls_name);
  v1::ReflectPeerResponse response;
  absl::Status status = FromGrpc(stub_->ReflectPeer(&context, request, &response));
  if (!status.ok()) return status;
  return response.reflected_address();
}

void GrpcAgentEndpoint::KeepSession(SessionState& session, grpc::ClientContext& context,
                                    const absl::Notification& finished, const CancelToken& cancel) {
  absl::Time next_renew = absl::InfiniteFuture();
  while (!finished.HasBeenNotified()) {
    std::string session_id;
    int64_t lease_ms = 0;
    {
      absl::MutexLock lock(&session.mu);
      session_id = session.session_id;
      lease_ms = session.lease_ms;
    }
    const absl::Duration renew_every =
        std::max(absl::Milliseconds(200), absl::Milliseconds(lease_ms > 0 ? lease_ms : 10000) / 3);
    if (!session_id.empty() && next_renew == absl::InfiniteFuture()) {
      next_renew = absl::Now() + renew_every;
    }
    if (cancel.WaitFor(absl::Milliseconds(50))) {
      if (!session_id.empty()) {
        grpc::ClientContext stop_context;
        Prepare(stop_context, absl::Milliseconds(500));
        v1::StopRequest stop;
        stop.add_session_ids(session_id);
        v1::StopResponse stopped;
        (void)stub_->Stop(&stop_context, stop, &stopped);
        if (finished.WaitForNotificationWithTimeout(kStopGrace)) return;
      }
      context.TryCancel();
      return;
    }
    if (!session_id.empty() && absl::Now() >= next_renew) {
      grpc::ClientContext renew_context;
      Prepare(renew_context, absl::Seconds(2));
      v1::RenewRequest renew;
      renew.add_session_ids(session_id);
      v1::RenewResponse renewed;
      (void)stub_->Renew(&renew_context, renew, &renewed);
      next_renew = absl::Now() + renew_every;
    }
  }
}

template <typename Update, typename Result, typename Payload>
absl::Status GrpcAgentEndpoint::FollowSession(grpc::ClientContext& context,
                                              grpc::ClientReader<Update>& reader,
                                              const std::function<void()>& on_started,
                                              const std::function<void(const Result&)>& on_result,
                                              Payload payload, std::optional<Result>& last,
                                              const CancelToken& cancel) {
  absl::Notification finished;
  SessionState session;
  std::thread keeper([&] { KeepSession(session, context, finished, cancel); });
  auto start_keeper = [&session](const std::string& session_id, int64_t lease_ms) {
    absl::MutexLock lock(&session.mu);
    session.session_id = session_id;
    session.lease_ms = lease_ms;
  };
  absl::Status status =
      ReadSession<Update, Result>(reader, on_started, on_result, payload, last, start_keeper);
  finished.Notify();
  keeper.join();
  return status;
}

absl::Status GrpcAgentEndpoint::SessionEndStatus(absl::Status status,
                                                 const CancelToken& cancel) const {
  if (status.ok() && cancel.cancelled()) return absl::CancelledError("stopped by the user");
  if (!status.ok() && absl::IsUnavailable(status)) {
    return absl::UnavailableError(
        absl::StrCat("lost the agent ", endpoint_, ": ", status.message()));
  }
  return status;
}

TraceOutcome GrpcAgentEndpoint::RunTrace(const v1::StartTraceRequest& request,
                                         const TraceHooks& hooks, const CancelToken& cancel) {
  TraceOutcome outcome;
  if (cancel.cancelled()) {
    outcome.status = absl::CancelledError("cancelled before the trace started");
    return outcome;
  }
  grpc::ClientContext context;
  Prepare(context, StreamTimeout(request.options()));
  std::unique_ptr<grpc::ClientReader<v1::TraceUpdate>> reader =
      stub_->StartTrace(&context, request);
  outcome.status = FollowSession<v1::TraceUpdate, v1::TraceResult>(
      context, *reader, hooks.on_started, hooks.on_snapshot,
      [](const v1::TraceUpdate& u) { return u.has_snapshot() ? &u.snapshot() : nullptr; },
      outcome.result, cancel);
  if (outcome.status.ok() && outcome.result.has_value() && !outcome.result->final()) {
    outcome.status = absl::DataLossError("the agent ended the stream before the final result");
  }
  outcome.status = SessionEndStatus(std::move(outcome.status), cancel);
  return outcome;
}

OneWayOutcome GrpcAgentEndpoint::RunOneWay(const v1::StartOneWayRequest& request,
                                           const OneWayHooks& hooks, const CancelToken& cancel) {
  OneWayOutcome outcome;
  if (cancel.cancelled()) {
    outcome.status = absl::CancelledError("cancelled before the measurement started");
    return outcome;
  }
  grpc::ClientContext context;
  const int64_t interval_us = request.interval_us() > 0 ? request.interval_us() : 10000;
  Prepare(context, absl::Microseconds(int64_t{request.count()} * interval_us) + absl::Seconds(60));
  std::unique_ptr<grpc::ClientReader<v1::OneWayUpdate>> reader =
      stub_->StartOneWay(&context, request);
  outcome.status = FollowSession<v1::OneWayUpdate, v1::AgentOneWayResult>(
      context, *reader, hooks.on_started, hooks.on_update,
      [](const v1::OneWayUpdate& u) { return u.has_result() ? &u.result() : nullptr; },
      outcome.result, cancel);
  outcome.status = SessionEndStatus(std::move(outcome.status), cancel);
  return outcome;
}

}  // namespace pathpair::paired
