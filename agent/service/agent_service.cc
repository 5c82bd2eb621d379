#include "agent/service/agent_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "agent/client/agent_client.h"
#include "agent/metrics/agent_metrics.h"
#include "agent/rpc/status_convert.h"
#include "agent/service/host_info.h"
#include "agent/service/peer_address.h"
#include "agent/service/session_stream.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace pathpair::agent {
namespace {

// Finishes a unary call with `status` and returns its reactor.
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Probes per second a trace sends at most: every TTL of a round, once per interval.
double TraceRatePps(const v1::ProbeOptions& options) {
  const int first_ttl = options.first_ttl() > 0 ? options.first_ttl() : 1;
  const int max_ttl = options.max_ttl() > 0 ? options.max_ttl() : 30;
  const int ttls = std::max(1, max_ttl - first_ttl + 1);
  const double interval_s = options.interval_us() > 0 ? options.interval_us() / 1e6 : 1.0;
  return ttls / interval_s;
}

grpc::Status StatusFor(StopReason reason, absl::Duration lease) {
  switch (reason) {
    case StopReason::kLeaseExpired:
      return grpc::Status(grpc::StatusCode::ABORTED, absl::StrCat("lease expired: no Renew within ",
                                                                  absl::FormatDuration(lease)));
    case StopReason::kStopRequested:
      return grpc::Status::OK;
    case StopReason::kShutdown:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the agent is shutting down");
  }
  return grpc::Status::OK;
}

// This host's interface addresses.
std::vector<IpAddress> LocalAddresses() {
  std::vector<IpAddress> out;
  for (const v1::InterfaceAddress& a : ListInterfaceAddresses()) {
    absl::StatusOr<IpAddress> ip = IpAddress::Parse(a.address());
    if (ip.ok()) out.push_back(*ip);
  }
  return out;
}

// Whether `target` is the directed broadcast address of one of this host's IPv4 subnets (the
// limited broadcast 255.255.255.255 is NonUnicastKind's).
bool IsLocalSubnetBroadcast(const IpAddress& target) {
  if (!target.is_v4()) return false;
  for (const v1::InterfaceAddress& a : ListInterfaceAddresses()) {
    absl::StatusOr<IpAddress> ip = IpAddress::Parse(a.address());
    if (!ip.ok() || !ip->is_v4() || a.prefix_length() <= 0 || a.prefix_length() >= 31) continue;
    const uint32_t host_bits = 0xffffffffu >> a.prefix_length();
    if (target.v4_host_order() == (ip->v4_host_order() | host_bits)) return true;
  }
  return false;
}

// ReflectPeer answers this long before its caller's deadline.
constexpr absl::Duration kAnswerMargin = absl::Milliseconds(250);

// ResolveAliases answers this long before the caller's deadline.
constexpr absl::Duration kAliasAnswerMargin = absl::Milliseconds(500);

template <typename Update>
grpc::ServerWriteReactor<Update>* FailStream(const absl::Status& status) {
  std::shared_ptr<SessionStream<Update>> stream = SessionStream<Update>::Create();
  stream->Finish(ToGrpcStatus(status));
  return stream->reactor();
}

// How a running session (a trace or a one-way measurement) stops, shared by its stop paths
// (client cancel, lease expiry, Stop RPC) and the runner's callbacks. The first stop wins: its
// status ends the stream. A stop may come before the runner has given its handle; Started
// then cancels right away.
template <typename Runner>
class SessionStopper {
 public:
  explicit SessionStopper(Runner& runner) : runner_(runner) {}

  // Stops the session with `why` as the stream's final status (unless it already ended).
  void Stop(grpc::Status why) {
    std::optional<typename Runner::Handle> handle;
    {
      absl::MutexLock lock(&mu_);
      if (stop_requested_) return;
      stop_requested_ = true;
      end_status_ = std::move(why);
      handle = handle_;
    }
    if (handle.has_value()) runner_.Cancel(*handle);
  }

  // Records the runner's handle once Start returned it.
  void Started(typename Runner::Handle handle) {
    bool cancel_now = false;
    {
      absl::MutexLock lock(&mu_);
      handle_ = handle;
      cancel_now = stop_requested_;  // stopped before the runner gave us its handle
    }
    if (cancel_now) runner_.Cancel(handle);
  }

  // The status the stream ends with (OK unless a stop gave another).
  grpc::Status end_status() {
    absl::MutexLock lock(&mu_);
    return end_status_;
  }

 private:
  Runner& runner_;
  absl::Mutex mu_;
  std::optional<typename Runner::Handle> handle_ ABSL_GUARDED_BY(mu_);
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

AgentService::AgentService(AgentServiceConfig config, TraceRunner& trace_runner,
                           OneWayRunner* oneway_runner, ConsentPolicy& consent, const Clock& clock)
    : config_(std::move(config)),
      trace_runner_(trace_runner),
      oneway_runner_(oneway_runner),
      consent_(consent),
      clock_(clock),
      sessions_(clock) {}

AgentService::~AgentService() { Shutdown(); }

void AgentService::StartLeaseReaper(absl::Duration period) {
  reaper_ = std::thread([this, period] {
    while (!shutting_down_.WaitForNotificationWithTimeout(period)) {
      sessions_.ExpireLeases();
    }
  });
}

void AgentService::Shutdown() {
  if (!shutting_down_.HasBeenNotified()) shutting_down_.Notify();
  if (reaper_.joinable()) reaper_.join();
  sessions_.StopAll();
  JoinAliasWorkers(/*all=*/true);
}

void AgentService::JoinAliasWorkers(bool all) {
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&alias_mu_);
    for (auto it = alias_workers_.begin(); it != alias_workers_.end();) {
      if (all || it->done->load()) {
        finished.push_back(std::move(it->thread));
        it = alias_workers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (std::thread& thread : finished) thread.join();
}

absl::Status AgentService::Refuse(absl::string_view method, absl::string_view client,
                                  absl::Status why) {
  if (config_.on_refusal) config_.on_refusal(Refusal{method, client, why});
  return why;
}

absl::StatusOr<CallerIdentity> AgentService::CheckCall(const grpc::CallbackServerContext& context,
                                                       absl::string_view method) {
  // A call the dial-out link relays comes from the controller the link authenticated.
  absl::StatusOr<CallerIdentity> identity =
      config_.tunnel_caller != nullptr && config_.tunnel_caller->Marked(context.client_metadata())
          ? config_.tunnel_caller->Get()
      : context.auth_context() != nullptr
          ? IdentityFromAuthContext(*context.auth_context())
          : absl::StatusOr<CallerIdentity>(CallerIdentity{.name = "anonymous"});
  if (!identity.ok()) return Refuse(method, context.peer(), identity.status());
  if (!config_.bearer_token.empty() || !config_.agent_token.empty()) {
    const auto& metadata = context.client_metadata();
    auto it = metadata.find("authorization");
    if (it == metadata.end()) {
      return Refuse(method, identity->has_certificate ? identity->name : context.peer(),
                    absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata"));
    }
    const absl::string_view value(it->second.data(), it->second.size());
    std::optional<Role> token_role;
    if (absl::StartsWith(value, "Bearer ")) {
      const absl::string_view token = value.substr(7);
      if (!config_.bearer_token.empty() && SecretEquals(token, config_.bearer_token)) {
        token_role = Role::kController;
      } else if (!config_.agent_token.empty() && SecretEquals(token, config_.agent_token)) {
        token_role = Role::kAgent;
      }
    }
    if (!token_role.has_value()) {
      return Refuse(method, identity->has_certificate ? identity->name : context.peer(),
                    absl::UnauthenticatedError("bad bearer token"));
    }
    if (!identity->has_certificate) {
      identity->name = absl::StrCat("token:", RoleName(*token_role));
      identity->role = *token_role;
    } else if (*token_role == Role::kAgent) {
      identity->role = Role::kAgent;  // the lesser of the two
    }
  }
  if (absl::Status allowed = AuthorizeRpc(identity->role, method); !allowed.ok()) {
    return Refuse(method, identity->name, allowed);
  }
  if (context.deadline() == std::chrono::system_clock::time_point::max()) {
    return Refuse(method, identity->name,
                  absl::InvalidArgumentError(
                      "the call has no deadline; pathpair agents require one on every RPC"));
  }
  return identity;
}

absl::Duration AgentService::GrantedLease(int64_t requested_ms) const {
  if (requested_ms <= 0) return config_.default_lease;
  return std::clamp(absl::Milliseconds(requested_ms), config_.min_lease, config_.max_lease);
}

namespace {

// `release` made safe to call more than once (a session's stop paths may race).
std::function<void()> ReleaseOnce(std::function<void()> release) {
  auto released = std::make_shared<std::atomic<bool>>(false);
  return [released, release = std::move(release)] {
    if (!released->exchange(true)) release();
  };
}

}  // namespace

void AgentService::ForgetIdleClient(const std::string& client) {
  auto it = usage_.find(client);
  if (it != usage_.end() && it->second.traces == 0 && it->second.oneway == 0 &&
      it->second.reflect_peer == 0) {
    usage_.erase(it);
  }
}

absl::StatusOr<AgentService::Release> AgentService::ReserveTrace(const std::string& client,
                                                                 double rate_pps) {
  absl::MutexLock lock(&capacity_mu_);
  if (running_traces_ >= config_.max_concurrent_traces) {
    metrics::CountLimitRefusal("max_traces");
    return absl::ResourceExhaustedError(
        absl::StrCat("too many concurrent traces: ", running_traces_, " running, limit ",
                     config_.max_concurrent_traces, " (--max-traces)"));
  }
  ClientUsage& usage = usage_[client];
  if (usage.traces >= config_.max_traces_per_client) {
    metrics::CountLimitRefusal("max_traces_per_client");
    const int held = usage.traces;
    ForgetIdleClient(client);
    return absl::ResourceExhaustedError(absl::StrCat("too many concurrent traces for ", client,
                                                     ": ", held, " running, limit ",
                                                     config_.max_traces_per_client, " per client"));
  }
  if (running_rate_pps_ + rate_pps > config_.max_probe_rate_pps) {
    metrics::CountLimitRefusal("max_rate");
    ForgetIdleClient(client);
    return absl::ResourceExhaustedError(absl::StrFormat(
        "probe rate limit: this trace needs %.0f probes/s, %.0f of %.0f probes/s are in use "
        "(send fewer TTLs or a longer interval)",
        rate_pps, running_rate_pps_, config_.max_probe_rate_pps));
  }
  ++running_traces_;
  ++usage.traces;
  running_rate_pps_ += rate_pps;
  return ReleaseOnce([this, client, rate_pps] {
    absl::MutexLock release_lock(&capacity_mu_);
    --running_traces_;
    --usage_[client].traces;
    ForgetIdleClient(client);
    running_rate_pps_ = std::max(0.0, running_rate_pps_ - rate_pps);
  });
}

absl::StatusOr<AgentService::Release> AgentService::ReserveOneWay(const std::string& client) {
  absl::MutexLock lock(&capacity_mu_);
  if (running_oneway_ >= config_.max_oneway_sessions) {
    metrics::CountLimitRefusal("max_oneway_sessions");
    return absl::ResourceExhaustedError(
        absl::StrCat("too many one-way measurements: limit ", config_.max_oneway_sessions));
  }
  ClientUsage& usage = usage_[client];
  if (usage.oneway >= config_.max_oneway_per_client) {
    metrics::CountLimitRefusal("max_oneway_per_client");
    ForgetIdleClient(client);
    return absl::ResourceExhaustedError(absl::StrCat("too many one-way measurements for ", client,
                                                     ": limit ", config_.max_oneway_per_client,
                                                     " per client"));
  }
  return Hold(&running_oneway_, &ClientUsage::oneway, client);
}

AgentService::Release AgentService::Hold(int* running, int ClientUsage::*held,
                                         const std::string& client) {
  ++*running;
  ++(usage_[client].*held);
  return ReleaseOnce([this, running, held, client] {
    absl::MutexLock release_lock(&capacity_mu_);
    --*running;
    --(usage_[client].*held);
    ForgetIdleClient(client);
  });
}

bool AgentService::TakeToken(RateBucket& bucket, double per_minute) {
  const MonoTime now = clock_.Now();
  if (bucket.tokens < 0) {
    bucket.tokens = per_minute;
  } else {
    bucket.tokens = std::min(
        per_minute, bucket.tokens + absl::ToDoubleMinutes(now - bucket.updated) * per_minute);
  }
  bucket.updated = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

absl::StatusOr<AgentService::Release> AgentService::ReserveReflectPeer(const std::string& client) {
  // Bounds the per-client buckets: a client whose bucket refilled is forgotten.
  constexpr size_t kMaxTrackedClients = 1024;
  absl::MutexLock lock(&capacity_mu_);
  if (running_reflect_peer_ >= config_.max_reflect_peer_calls) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many ReflectPeer calls at once: limit ", config_.max_reflect_peer_calls));
  }
  ClientUsage& usage = usage_[client];
  if (usage.reflect_peer >= config_.max_reflect_peer_per_client) {
    ForgetIdleClient(client);
    return absl::ResourceExhaustedError(
        absl::StrCat("too many ReflectPeer calls at once for ", client, ": limit ",
                     config_.max_reflect_peer_per_client, " per client"));
  }
  if (reflect_peer_buckets_.size() >= kMaxTrackedClients) {
    const MonoTime now = clock_.Now();
    const double per_minute = config_.reflect_peer_per_minute_per_client;
    absl::erase_if(reflect_peer_buckets_, [&](const auto& entry) {
      return entry.second.tokens + absl::ToDoubleMinutes(now - entry.second.updated) * per_minute >=
             per_minute;
    });
  }
  // The client's own bucket first: a client over its rate does not drain the global one.
  if (!TakeToken(reflect_peer_buckets_[client], config_.reflect_peer_per_minute_per_client)) {
    ForgetIdleClient(client);
    return absl::ResourceExhaustedError(absl::StrCat("ReflectPeer rate limit for ", client, ": ",
                                                     config_.reflect_peer_per_minute_per_client,
                                                     " calls per minute"));
  }
  if (!TakeToken(reflect_peer_bucket_, config_.reflect_peer_per_minute)) {
    ForgetIdleClient(client);
    return absl::ResourceExhaustedError(absl::StrCat(
        "ReflectPeer rate limit: ", config_.reflect_peer_per_minute, " calls per minute"));
  }
  return Hold(&running_reflect_peer_, &ClientUsage::reflect_peer, client);
}

grpc::ServerUnaryReactor* AgentService::Info(grpc::CallbackServerContext* context,
                                             const v1::InfoRequest* /*request*/,
                                             v1::InfoResponse* response) {
  absl::StatusOr<CallerIdentity> caller = CheckCall(*context, "Info");
  if (!caller.ok()) return FinishUnary(context, caller.status());
  response->set_version(config_.version);
  response->set_hostname(LocalHostname());
  *response->mutable_capabilities() = trace_runner_.capabilities();
  response->mutable_capabilities()->set_oneway(oneway_runner_ != nullptr);
  for (v1::InterfaceAddress& a : ListInterfaceAddresses()) {
    *response->add_addresses() = std::move(a);
  }
  *response->mutable_clock() = ReadClockStatus(clock_, config_.test_clock);
  v1::Limits* limits = response->mutable_limits();
  limits->set_max_concurrent_traces(config_.max_concurrent_traces);
  limits->set_max_probe_rate_pps(config_.max_probe_rate_pps);
  limits->set_max_packet_size(config_.max_packet_size);
  limits->set_max_lease_ms(absl::ToInt64Milliseconds(config_.max_lease));
  limits->set_default_lease_ms(absl::ToInt64Milliseconds(config_.default_lease));
  response->set_active_traces(sessions_.Count(SessionKind::kTrace));
  response->set_active_oneway(sessions_.Count(SessionKind::kOneWay));
  response->set_oneway_port(oneway_runner_ != nullptr ? oneway_runner_->local_port() : 0);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* AgentService::Reflect(grpc::CallbackServerContext* context,
                                                const v1::ReflectRequest* request,
                                                v1::ReflectResponse* response) {
  absl::StatusOr<CallerIdentity> caller = CheckCall(*context, "Reflect");
  if (!caller.ok()) return FinishUnary(context, caller.status());
  if (!request->pairing_id().empty()) {
    if (absl::Status s = ValidatePairingId(request->pairing_id()); !s.ok()) {
      return FinishUnary(context, s);
    }
  }
  absl::StatusOr<PeerEndpoint> peer = ParseGrpcPeer(context->peer());
  if (!peer.ok()) {
    return FinishUnary(context, absl::FailedPreconditionError(peer.status().message()));
  }
  response->set_address(peer->address.ToString());
  response->set_port(peer->port);
  if (!request->pairing_id().empty()) {
    // Bound to who called: the addresses its certificate vouches for, never the address its
    // connection came from (a proxy's or a NAT's). Without a certificate, that address.
    absl::StatusOr<MonoTime> expiry =
        caller->has_certificate
            ? consent_.Grant(request->pairing_id(), caller->name, caller->certified_addresses)
            : consent_.Grant(request->pairing_id(),
                             absl::StrCat(caller->name, "@", peer->address.ToString()),
                             {peer->address});
    if (!expiry.ok()) return FinishUnary(context, Refuse("Reflect", caller->name, expiry.status()));
    response->set_consent_expires_unix_us(
        absl::ToUnixMicros(clock_.WallNow() + (*expiry - clock_.Now())));
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* AgentService::ReflectPeer(grpc::CallbackServerContext* context,
                                                    const v1::ReflectPeerRequest* request,
                                                    v1::ReflectPeerResponse* response) {
  absl::StatusOr<CallerIdentity> caller = CheckCall(*context, "ReflectPeer");
  if (!caller.ok()) return FinishUnary(context, caller.status());
  if (absl::Status s = ValidatePairingId(request->pairing_id()); !s.ok()) {
    return FinishUnary(context, s);
  }
  absl::StatusOr<PeerEndpoint> peer = ParseAddressPort(request->peer());
  if (!peer.ok()) return FinishUnary(context, peer.status());
  if (const char* kind = NonUnicastKind(peer->address)) {
    return FinishUnary(context, Refuse("ReflectPeer", caller->name,
                                       absl::PermissionDeniedError(absl::StrCat(
                                           "the peer ", peer->address.ToString(), " is ", kind))));
  }
  absl::StatusOr<Release> release = ReserveReflectPeer(caller->name);
  if (!release.ok()) {
    return FinishUnary(context, Refuse("ReflectPeer", caller->name, release.status()));
  }

  AgentClientOptions peer_options;
  peer_options.credentials = config_.peer_credentials != nullptr
                                 ? config_.peer_credentials
                                 : grpc::InsecureChannelCredentials();
  // An agent token of our own proves we are an agent; otherwise the one the controller gave.
  peer_options.bearer_token =
      !config_.agent_token.empty() ? config_.agent_token : request->peer_token();
  peer_options.tls_name = request->peer_tls_name();
  const std::string target = peer->address.is_v6()
                                 ? absl::StrCat("[", peer->address.ToString(), "]:", peer->port)
                                 : absl::StrCat(peer->address.ToString(), ":", peer->port);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const IpAddress peer_address = peer->address;
  const std::string pairing_id = request->pairing_id();
  const std::string client = caller->name;
  // Our cap, and a little before our caller's deadline, so that the caller hears our answer.
  const auto deadline = std::min(
      context->deadline() - std::chrono::milliseconds(absl::ToInt64Milliseconds(kAnswerMargin)),
      std::chrono::system_clock::now() +
          std::chrono::microseconds(absl::ToInt64Microseconds(config_.reflect_peer_timeout)));
  ReflectAsync(
      target, peer_options, pairing_id, deadline,
      [this, reactor, response, peer_address, pairing_id, client, release = *std::move(release)](
          absl::StatusOr<v1::ReflectResponse> reflected, absl::StatusOr<CallerIdentity> who) {
        release();
        // One answer for every failure (nothing listens, something else listens, no answer, not
        // an agent of ours): the caller cannot tell an open port from a closed one.
        const absl::Status uniform = absl::UnavailableError(
            absl::StrCat("peer ", peer_address.ToString(),
                         " did not answer Reflect as a pathpair agent in time"));
        // Consent: the peer proved to be an agent (its certificate's role; over plaintext, it
        // took the token and answered).
        if (!reflected.ok() || !who.ok() || (who->has_certificate && who->role != Role::kAgent)) {
          reactor->Finish(ToGrpcStatus(uniform));
          return;
        }
        absl::StatusOr<MonoTime> granted =
            who->has_certificate
                ? consent_.Grant(pairing_id, who->name, who->certified_addresses)
                : consent_.Grant(pairing_id, absl::StrCat("address:", peer_address.ToString()),
                                 {peer_address});
        if (!granted.ok()) {
          reactor->Finish(ToGrpcStatus(Refuse("ReflectPeer", client, granted.status())));
          return;
        }
        response->set_peer_address(peer_address.ToString());
        response->set_reflected_address(reflected->address());
        response->set_reflected_port(reflected->port());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerWriteReactor<v1::TraceUpdate>* AgentService::StartTrace(
    grpc::CallbackServerContext* context, const v1::StartTraceRequest* request) {
  using Stream = SessionStream<v1::TraceUpdate>;
  absl::StatusOr<CallerIdentity> caller = CheckCall(*context, "StartTrace");
  if (!caller.ok()) return FailStream<v1::TraceUpdate>(caller.status());
  const v1::ProbeOptions& options = request->options();
  if (options.packet_size() > config_.max_packet_size) {
    metrics::CountLimitRefusal("max_packet_size");
    return FailStream<v1::TraceUpdate>(
        Refuse("StartTrace", caller->name,
               absl::ResourceExhaustedError(absl::StrCat("packet size ", options.packet_size(),
                                                         " exceeds this agent's limit of ",
                                                         config_.max_packet_size, " bytes"))));
  }
  if (!request->pairing_id().empty()) {
    if (absl::Status s = ValidatePairingId(request->pairing_id()); !s.ok()) {
      return FailStream<v1::TraceUpdate>(s);
    }
  }
  // Capacity first: nothing that may block (DNS, the interface list, the prober) runs on this
  // gRPC thread for a call that would be refused anyway.
  const double rate = TraceRatePps(options);
  absl::StatusOr<Release> release = ReserveTrace(caller->name, rate);
  if (!release.ok()) {
    return FailStream<v1::TraceUpdate>(Refuse("StartTrace", caller->name, release.status()));
  }
  absl::StatusOr<IpAddress> target = CheckTraceTarget(*request);
  if (!target.ok()) {
    (*release)();
    return FailStream<v1::TraceUpdate>(target.status().code() == absl::StatusCode::kPermissionDenied
                                           ? Refuse("StartTrace", caller->name, target.status())
                                           : target.status());
  }

  std::shared_ptr<Stream> stream = Stream::Create();
  const absl::Duration lease = GrantedLease(request->lease_ms());

  auto stopper = std::make_shared<SessionStopper<TraceRunner>>(trace_runner_);
  const std::string session_id = sessions_.Add(
      SessionKind::kTrace, lease,
      [stopper, lease](StopReason reason) { stopper->Stop(StatusFor(reason, lease)); });
  stream->SetStop([stopper] {
    stopper->Stop(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
  });

  v1::TraceUpdate first;
  first.set_session_id(session_id);
  first.set_lease_ms(absl::ToInt64Milliseconds(lease));
  stream->Push(first, /*is_final=*/false);
  log::Log(log::Level::kInfo, "trace_start",
           {{"session", session_id},
            {"peer", context->peer()},
            {"target", target->ToString()},
            {"protocol", v1::Protocol_Name(options.protocol())},
            {"count", options.count()},
            {"interval_us", options.interval_us()},
            {"pairing", request->pairing_id()}});

  TraceRunner::Callbacks callbacks;
  callbacks.on_snapshot = [stream, session_id](const v1::TraceResult& snapshot) {
    v1::TraceUpdate update;
    update.set_session_id(session_id);
    *update.mutable_snapshot() = snapshot;
    stream->Push(std::move(update), /*is_final=*/false);
  };
  callbacks.on_done = [this, stream, stopper, session_id,
                       release = *release](const v1::TraceResult& result) {
    sessions_.Remove(session_id);
    release();
    log::Log(
        result.error().empty() || result.interrupted() ? log::Level::kInfo : log::Level::kWarning,
        "trace_end",
        {{"session", session_id},
         {"rounds", result.rounds()},
         {"interrupted", result.interrupted()},
         {"reached", result.reached()},
         {"error", result.error()}});
    v1::TraceUpdate update;
    update.set_session_id(session_id);
    *update.mutable_snapshot() = result;
    update.mutable_snapshot()->set_final(true);
    stream->Push(std::move(update), /*is_final=*/true);
    stream->Finish(stopper->end_status());
  };
  absl::StatusOr<TraceRunner::Handle> handle =
      trace_runner_.Start(options, *target, std::move(callbacks));
  if (!handle.ok()) {
    // A runner that breaks its contract and still ends the trace later (on_done) cannot
    // release the slot a second time: the release is once only.
    sessions_.Remove(session_id);
    (*release)();
    stream->Finish(ToGrpcStatus(handle.status().code() == absl::StatusCode::kResourceExhausted
                                    ? Refuse("StartTrace", caller->name, handle.status())
                                    : handle.status()));
    return stream->reactor();
  }
  stopper->Started(*handle);
  return stream->reactor();
}

absl::StatusOr<IpAddress> AgentService::CheckTraceTarget(const v1::StartTraceRequest& request) {
  const v1::ProbeOptions& options = request.options();
  absl::StatusOr<IpAddress> target = ResolveTarget(options.target(), options.ip_version());
  if (!target.ok()) return target.status();
  if (IsLocalSubnetBroadcast(*target)) {
    return absl::PermissionDeniedError(absl::StrCat("no consent to probe ", target->ToString(),
                                                    ": it is a local subnet's broadcast address"));
  }
  PATHPAIR_RETURN_IF_ERROR(consent_.Check(*target, request.pairing_id()));
  if (!options.source_address().empty()) {
    // The probes' source: one of this host's own addresses, never someone else's (raw IPv6
    // sockets would send from any address they are given).
    absl::StatusOr<IpAddress> source = IpAddress::Parse(options.source_address());
    if (!source.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("source address '", options.source_address(), "' is not an address"));
    }
    const std::vector<IpAddress> own =
        config_.local_addresses ? config_.local_addresses() : LocalAddresses();
    if (std::find(own.begin(), own.end(), UnmapV4(*source)) == own.end()) {
      return absl::PermissionDeniedError(
          absl::StrCat("source address ", source->ToString(), " is not one of this host's own"));
    }
  }
  return target;
}

grpc::ServerWriteReactor<v1::OneWayUpdate>* AgentService::StartOneWay(
    grpc::CallbackServerContext* context, const v1::StartOneWayRequest* request) {
  using Stream = SessionStream<v1::OneWayUpdate>;
  absl::StatusOr<CallerIdentity> caller = CheckCall(*context, "StartOneWay");
  if (!caller.ok()) return FailStream<v1::OneWayUpdate>(caller.status());
  if (oneway_runner_ == nullptr) {
    return FailStream<v1::OneWayUpdate>(
        absl::UnimplementedError("this agent has no one-way measurement endpoint"));
  }
  if (request->packet_size() > config_.max_packet_size) {
    metrics::CountLimitRefusal("max_packet_size");
    return FailStream<v1::OneWayUpdate>(
        Refuse("StartOneWay", caller->name,
               absl::ResourceExhaustedError(absl::StrCat("packet size ", request->packet_size(),
                                                         " exceeds this agent's limit of ",
                                                         config_.max_packet_size, " bytes"))));
  }
  if (request->interval_us() > 0 &&
      1e6 / static_cast<double>(request->interval_us()) > config_.max_oneway_rate_pps) {
    metrics::CountLimitRefusal("max_oneway_rate");
    return FailStream<v1::OneWayUpdate>(
        Refuse("StartOneWay", caller->name,
               absl::ResourceExhaustedError(absl::StrCat("one-way rate over the limit of ",
                                                         config_.max_oneway_rate_pps,
                                                         " packets/s; use a longer interval"))));
  }
  absl::StatusOr<PeerEndpoint> peer =
      ParseAddressPort(absl::StrCat(request->peer_address().find(':') != std::string::npos
                                        ? absl::StrCat("[", request->peer_address(), "]")
                                        : request->peer_address(),
                                    ":", request->peer_port()));
  if (!peer.ok()) return FailStream<v1::OneWayUpdate>(peer.status());
  // One-way traffic goes only to a peer agent that answered Reflect in this pairing.
  if (absl::Status s = consent_.CheckPeer(peer->address, request->pairing_id()); !s.ok()) {
    return FailStream<v1::OneWayUpdate>(Refuse("StartOneWay", caller->name, s));
  }
  absl::StatusOr<Release> reserved = ReserveOneWay(caller->name);
  if (!reserved.ok()) {
    return FailStream<v1::OneWayUpdate>(Refuse("StartOneWay", caller->name, reserved.status()));
  }
  const Release release = *std::move(reserved);

  std::shared_ptr<Stream> stream = Stream::Create();
  const absl::Duration lease = GrantedLease(request->lease_ms());
  auto stopper = std::make_shared<SessionStopper<OneWayRunner>>(*oneway_runner_);
  const std::string session_id = sessions_.Add(
      SessionKind::kOneWay, lease,
      [stopper, lease](StopReason reason) { stopper->Stop(StatusFor(reason, lease)); });
  stream->SetStop([stopper] {
    stopper->Stop(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
  });
  v1::OneWayUpdate first;
  first.set_session_id(session_id);
  first.set_lease_ms(absl::ToInt64Milliseconds(lease));
  stream->Push(first, false);
  log::Log(log::Level::kInfo, "oneway_start",
           {{"session", session_id},
            {"peer", context->peer()},
            {"to", peer->address.ToString()},
            {"port", request->peer_port()},
            {"count", request->count()},
            {"interval_us", request->interval_us()},
            {"pairing", request->pairing_id()}});

  OneWayRunner::Callbacks callbacks;
  callbacks.on_update = [stream, session_id](const v1::AgentOneWayResult& result) {
    v1::OneWayUpdate update;
    update.set_session_id(session_id);
    *update.mutable_result() = result;
    stream->Push(std::move(update), false);
  };
  callbacks.on_done = [this, stream, stopper, session_id,
                       release](const v1::AgentOneWayResult& result) {
    sessions_.Remove(session_id);
    release();
    log::Log(
        result.error().empty() || result.interrupted() ? log::Level::kInfo : log::Level::kWarning,
        "oneway_end",
        {{"session", session_id},
         {"sent", result.outbound().sent()},
         {"received", result.inbound().received()},
         {"peer_sent", result.inbound().sent()},
         {"interrupted", result.interrupted()},
         {"error", result.error()}});
    v1::OneWayUpdate update;
    update.set_session_id(session_id);
    *update.mutable_result() = result;
    update.mutable_result()->set_final(true);
    stream->Push(std::move(update), true);
    stream->Finish(stopper->end_status());
  };
  absl::StatusOr<OneWayRunner::Handle> handle =
      oneway_runner_->Start(*request, peer->address, std::move(callbacks));
  if (!handle.ok()) {
    sessions_.Remove(session_id);
    release();
    // The runner's own limit (one measurement per address family at a time) is a refusal too.
    stream->Finish(ToGrpcStatus(handle.status().code() == absl::StatusCode::kResourceExhausted
                                    ? Refuse("StartOneWay", caller->name, handle.status())
                                    : handle.status()));
    return stream->reactor();
  }
  stopper->Started(*handle);
  return stream->reactor();
}

grpc::ServerUnaryReactor* AgentService::Renew(grpc::CallbackServerContext* context,
                                              const v1::RenewRequest* request,
                                              v1::RenewResponse* response) {
  absl::StatusOr<CallerIdentity> caller = CheckCall(*context, "Renew");
  if (!caller.ok()) return FinishUnary(context, caller.status());
  for (const std::string& id : request->session_ids()) {
    if (!sessions_.Renew(id)) response->add_unknown_session_ids(id);
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* AgentService::ResolveAliases(grpc::CallbackServerContext* context,
                                                       const v1::ResolveAliasesRequest* request,
                                                       v1::ResolveAliasesResponse* response) {
  absl::StatusOr<CallerIdentity> caller = CheckCall(*context, "ResolveAliases");
  if (!caller.ok()) return FinishUnary(context, caller.status());
  if (absl::Status s = consent_.CheckPairing(request->pairing_id()); !s.ok()) {
    return FinishUnary(context, Refuse("ResolveAliases", caller->name, s));
  }
  absl::StatusOr<AliasRequest> checked = CheckAliasRequest(*request, config_.aliases);
  if (!checked.ok()) return FinishUnary(context, checked.status());
  JoinAliasWorkers(/*all=*/false);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Answer a little before the caller's deadline, so that what was learned arrives.
  const absl::Time deadline = absl::FromChrono(context->deadline()) - kAliasAnswerMargin;
  auto done = std::make_shared<std::atomic<bool>>(false);
  {
    absl::MutexLock lock(&alias_mu_);
    // Under the lock, so that Shutdown (which joins every worker under it) misses none.
    if (shutting_down_.HasBeenNotified()) {
      reactor->Finish(ToGrpcStatus(absl::UnavailableError("the agent is shutting down")));
      return reactor;
    }
    const auto running = std::count_if(alias_workers_.begin(), alias_workers_.end(),
                                       [](const AliasWorker& w) { return !w.done->load(); });
    if (running >= config_.max_alias_calls) {
      reactor->Finish(ToGrpcStatus(
          Refuse("ResolveAliases", caller->name,
                 absl::ResourceExhaustedError(absl::StrCat(
                     "an alias resolution is already running (limit ", config_.max_alias_calls,
                     " at a time); try again when it has answered")))));
      return reactor;
    }
    // The probes run on the trace runner; this thread only waits for them, so that no gRPC
    // callback thread blocks.
    alias_workers_.push_back(
        {std::thread(
             [this, context, reactor, response, checked = *std::move(checked), deadline, done] {
               // A caller that went away (cancelled, disconnected) stops the probes too.
               *response = agent::ResolveAliases(
                   checked, trace_runner_, config_.aliases, deadline, [this, context] {
                     return shutting_down_.HasBeenNotified() || context->IsCancelled();
                   });
               done->store(true);  // before answering: the caller may call again at once
               reactor->Finish(grpc::Status::OK);
             }),
         done});
  }
  return reactor;
}

grpc::ServerUnaryReactor* AgentService::Stop(grpc::CallbackServerContext* context,
                                             const v1::StopRequest* request,
                                             v1::StopResponse* response) {
  absl::StatusOr<CallerIdentity> caller = CheckCall(*context, "Stop");
  if (!caller.ok()) return FinishUnary(context, caller.status());
  for (const std::string& id : request->session_ids()) {
    if (!sessions_.Stop(id)) response->add_unknown_session_ids(id);
  }
  return FinishUnary(context, absl::OkStatus());
}

}  // namespace pathpair::agent
