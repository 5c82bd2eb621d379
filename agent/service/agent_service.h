// The agent's gRPC service (pathpair.v1.Agent, proto/pathpair/v1/agent.proto) on the callback
// API. It checks every call (who calls: certificate role and bearer token, caller_identity.h;
// the deadline), consent and limits (global and per caller), then hands traces to a
// TraceRunner and one-way measurements to a OneWayRunner, streaming their results back. Every
// refusal (authentication, role, consent, limits) passes through one place, which reports it
// to AgentServiceConfig::on_refusal (logs, metrics) before the caller gets it.
// Sessions hold leases (SessionRegistry) and stop when the stream is cancelled, when the lease
// lapses, or on Stop. ResolveAliases runs short traces on the same TraceRunner
// (alias_resolver.h) on a worker thread of its own, answering within the call's deadline.
//
//   AgentServiceConfig config;                 // limits, token, version...
//   ConsentPolicy consent(SystemClock::Get(), absl::Minutes(10));
//   AgentService service(config, runner, /*oneway=*/nullptr, consent, SystemClock::Get());
//   service.StartLeaseReaper(absl::Milliseconds(100));
//   builder.RegisterService(&service);
//   ...
//   service.Shutdown();                        // stops every session, before server->Shutdown()
#ifndef PATHPAIR_AGENT_SERVICE_AGENT_SERVICE_H_
#define PATHPAIR_AGENT_SERVICE_AGENT_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/rpc/caller_identity.h"
#include "agent/rpc/tunnel_caller.h"
#include "agent/service/alias_resolver.h"
#include "agent/service/consent.h"
#include "agent/service/host_info.h"
#include "agent/service/session_registry.h"
#include "agent/service/trace_runner.h"
#include "common/time/clock.h"
#include "pathpair/v1/agent.grpc.pb.h"

namespace pathpair::agent {

// A call the agent refused, as AgentServiceConfig::on_refusal sees it. status.code() says the
// kind: UNAUTHENTICATED (no or bad credentials), PERMISSION_DENIED (role or consent),
// RESOURCE_EXHAUSTED (a limit), INVALID_ARGUMENT (a bad request); status.message() is the
// reason the caller also gets.
struct Refusal {
  absl::string_view method;  // "StartTrace", ...
  absl::string_view client;  // CallerIdentity::name, or the peer address when unauthenticated
  const absl::Status& status;
};

struct AgentServiceConfig {
  std::string version = "0.1.0";
  // When either is non-empty, every call must carry "authorization: Bearer <token>" with one of
  // them: bearer_token gives the controller role, agent_token the agent role (Reflect only).
  // On top of a certificate the lesser of the two roles counts.
  std::string bearer_token;
  std::string agent_token;
  int max_concurrent_traces = 16;
  int max_traces_per_client = 8;
  // Sum over running traces of (TTLs probed per round) / interval.
  double max_probe_rate_pps = 2000;
  int max_packet_size = 9000;
  absl::Duration default_lease = absl::Seconds(20);
  absl::Duration max_lease = absl::Minutes(5);
  absl::Duration min_lease = absl::Seconds(1);
  int max_oneway_sessions = 8;
  int max_oneway_per_client = 4;
  int max_oneway_rate_pps = 1000;
  // Credentials for ReflectPeer's outbound call to another agent, read once at start-up (never
  // a plaintext fallback); nullptr: plaintext, only for an agent that itself serves plaintext.
  std::shared_ptr<grpc::ChannelCredentials> peer_credentials;
  // ReflectPeer: calls at once (in all, per caller), calls per minute (in all, per caller; a
  // minute's worth may come in a burst), and the longest it waits for the peer.
  int max_reflect_peer_calls = 4;
  int max_reflect_peer_per_client = 2;
  double reflect_peer_per_minute = 60;
  double reflect_peer_per_minute_per_client = 30;
  absl::Duration reflect_peer_timeout = absl::Seconds(5);
  // The host's own addresses: a trace's source address must be one of them. Default:
  // ListInterfaceAddresses().
  std::function<std::vector<IpAddress>()> local_addresses;
  // Calls the dial-out link relays (agent/dialout/controller_link.h) carry its mark; they come
  // from the controller it authenticated (tunnel_caller.h). nullptr: no link.
  const TunnelCaller* tunnel_caller = nullptr;
  // Told about every refused call (see Refusal), on the calling thread; must be thread-safe.
  std::function<void(const Refusal&)> on_refusal;
  // TEST ONLY: what Info says about the clock (see TestClockOverrides). The one-way runner
  // gets the same offset (SocketOneWayRunner::Bind).
  TestClockOverrides test_clock;
  // ResolveAliases: its bounds, and how many calls may run at once.
  AliasLimits aliases;
  int max_alias_calls = 1;
};

class AgentService final : public v1::Agent::CallbackService {
 public:
  // `trace_runner`, `consent` and `clock` must outlive the service; `oneway_runner` may be
  // nullptr (StartOneWay then answers UNIMPLEMENTED).
  AgentService(AgentServiceConfig config, TraceRunner& trace_runner, OneWayRunner* oneway_runner,
               ConsentPolicy& consent, const Clock& clock);
  ~AgentService() override;

  // A thread that calls sessions().ExpireLeases() every `period` until Shutdown.
  void StartLeaseReaper(absl::Duration period);
  // Stops the reaper and every session (their streams end), and waits for running
  // ResolveAliases calls to answer (they stop probing at once). Call before Server::Shutdown.
  void Shutdown();

  SessionRegistry& sessions() { return sessions_; }

  grpc::ServerUnaryReactor* Info(grpc::CallbackServerContext* context,
                                 const v1::InfoRequest* request,
                                 v1::InfoResponse* response) override;
  grpc::ServerUnaryReactor* Reflect(grpc::CallbackServerContext* context,
                                    const v1::ReflectRequest* request,
                                    v1::ReflectResponse* response) override;
  grpc::ServerUnaryReactor* ReflectPeer(grpc::CallbackServerContext* context,
                                        const v1::ReflectPeerRequest* request,
                                        v1::ReflectPeerResponse* response) override;
  grpc::ServerWriteReactor<v1::TraceUpdate>* StartTrace(
      grpc::CallbackServerContext* context, const v1::StartTraceRequest* request) override;
  grpc::ServerWriteReactor<v1::OneWayUpdate>* StartOneWay(
      grpc::CallbackServerContext* context, const v1::StartOneWayRequest* request) override;
  grpc::ServerUnaryReactor* Renew(grpc::CallbackServerContext* context,
                                  const v1::RenewRequest* request,
                                  v1::RenewResponse* response) override;
  grpc::ServerUnaryReactor* Stop(grpc::CallbackServerContext* context,
                                 const v1::StopRequest* request,
                                 v1::StopResponse* response) override;
  grpc::ServerUnaryReactor* ResolveAliases(grpc::CallbackServerContext* context,
                                           const v1::ResolveAliasesRequest* request,
                                           v1::ResolveAliasesResponse* response) override;

 private:
  // Who calls and whether they may call `method` (certificate role, bearer token), and the
  // deadline check, shared by every RPC. Refusals go through Refuse.
  absl::StatusOr<CallerIdentity> CheckCall(const grpc::CallbackServerContext& context,
                                           absl::string_view method);
  // The one place refusals pass: tells on_refusal, returns `why`.
  absl::Status Refuse(absl::string_view method, absl::string_view client, absl::Status why);
  // The lease a request gets: default when 0, else clamped to [min_lease, max_lease].
  absl::Duration GrantedLease(int64_t requested_ms) const;
  // Capacity taken by a session or call; releasing it more than once is a no-op.
  using Release = std::function<void()>;
  // Reserves capacity for a trace probing at `rate_pps` for `client`; RESOURCE_EXHAUSTED when
  // over a limit (global or the client's).
  absl::StatusOr<Release> ReserveTrace(const std::string& client, double rate_pps);
  absl::StatusOr<Release> ReserveOneWay(const std::string& client);
  // ReflectPeer's concurrency and rate limits.
  absl::StatusOr<Release> ReserveReflectPeer(const std::string& client);
  // StartTrace's checks after the capacity check (they may block: DNS, interface list).
  absl::StatusOr<IpAddress> CheckTraceTarget(const v1::StartTraceRequest& request);
  // Joins the alias workers that have finished (all of them with `all`, after Shutdown began).
  void JoinAliasWorkers(bool all);

  const AgentServiceConfig config_;
  TraceRunner& trace_runner_;
  OneWayRunner* const oneway_runner_;
  ConsentPolicy& consent_;
  const Clock& clock_;
  SessionRegistry sessions_;

  // What one caller (CallerIdentity::name) holds; dropped when it holds nothing.
  struct ClientUsage {
    int traces = 0;
    int oneway = 0;
    int reflect_peer = 0;
  };
  // A token bucket: `tokens` refill at a rate up to a minute's worth.
  struct RateBucket {
    double tokens = -1;  // < 0: full (never used)
    MonoTime updated;
  };
  // Takes a token from `bucket` refilling at `per_minute`; false when empty.
  bool TakeToken(RateBucket& bucket, double per_minute) ABSL_EXCLUSIVE_LOCKS_REQUIRED(capacity_mu_);
  // Drops `client`'s entries once it holds nothing.
  void ForgetIdleClient(const std::string& client) ABSL_EXCLUSIVE_LOCKS_REQUIRED(capacity_mu_);
  // Once every limit has passed: counts one more in `*running` and in the client's `held`
  // field; the release (safe to call more than once) counts both back.
  Release Hold(int* running, int ClientUsage::*held, const std::string& client)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(capacity_mu_);

  absl::Mutex capacity_mu_;
  int running_traces_ ABSL_GUARDED_BY(capacity_mu_) = 0;
  double running_rate_pps_ ABSL_GUARDED_BY(capacity_mu_) = 0;
  int running_oneway_ ABSL_GUARDED_BY(capacity_mu_) = 0;
  int running_reflect_peer_ ABSL_GUARDED_BY(capacity_mu_) = 0;
  absl::flat_hash_map<std::string, ClientUsage> usage_ ABSL_GUARDED_BY(capacity_mu_);
  RateBucket reflect_peer_bucket_ ABSL_GUARDED_BY(capacity_mu_);
  // Per-client ReflectPeer buckets; bounded: a full bucket carries no state and is dropped.
  absl::flat_hash_map<std::string, RateBucket> reflect_peer_buckets_ ABSL_GUARDED_BY(capacity_mu_);

  // A ResolveAliases call's thread; `done` once it answered.
  struct AliasWorker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  absl::Mutex alias_mu_;
  std::vector<AliasWorker> alias_workers_ ABSL_GUARDED_BY(alias_mu_);

  absl::Notification shutting_down_;
  std::thread reaper_;
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_AGENT_SERVICE_H_
