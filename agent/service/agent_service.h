// The agent's gRPC service (pathpair.v1.Agent, proto/pathpair/v1/agent.proto) on the callback
// API. It checks every call (bearer token, deadline), consent and limits, then hands traces to
// a TraceRunner and one-way measurements to a OneWayRunner, streaming their results back.
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

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/service/alias_resolver.h"
#include "agent/service/consent.h"
#include "agent/service/host_info.h"
#include "agent/service/session_registry.h"
#include "agent/service/trace_runner.h"
#include "common/time/clock.h"
#include "pathpair/v1/agent.grpc.pb.h"

namespace pathpair::agent {

struct AgentServiceConfig {
  std::string version = "0.1.0";
  // When non-empty, every call must carry the metadata "authorization: Bearer <token>".
  std::string bearer_token;
  int max_concurrent_traces = 16;
  // Sum over running traces of (TTLs probed per round) / interval.
  double max_probe_rate_pps = 2000;
  int max_packet_size = 9000;
  absl::Duration default_lease = absl::Seconds(20);
  absl::Duration max_lease = absl::Minutes(5);
  absl::Duration min_lease = absl::Seconds(1);
  int max_oneway_sessions = 8;
  int max_oneway_rate_pps = 1000;
  // Credentials for ReflectPeer's outbound call to another agent; nullptr: insecure.
  std::function<std::shared_ptr<grpc::ChannelCredentials>()> peer_credentials;
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
  // Token and deadline checks shared by every RPC.
  absl::Status CheckCall(const grpc::CallbackServerContext& context) const;
  // The lease a request gets: default when 0, else clamped to [min_lease, max_lease].
  absl::Duration GrantedLease(int64_t requested_ms) const;
  // Reserves capacity for a trace probing at `rate_pps`; RESOURCE_EXHAUSTED when over a limit.
  absl::Status ReserveTrace(double rate_pps);
  void ReleaseTrace(double rate_pps);
  // Joins the alias workers that have finished (all of them with `all`, after Shutdown began).
  void JoinAliasWorkers(bool all);

  const AgentServiceConfig config_;
  TraceRunner& trace_runner_;
  OneWayRunner* const oneway_runner_;
  ConsentPolicy& consent_;
  const Clock& clock_;
  SessionRegistry sessions_;

  absl::Mutex capacity_mu_;
  int running_traces_ ABSL_GUARDED_BY(capacity_mu_) = 0;
  double running_rate_pps_ ABSL_GUARDED_BY(capacity_mu_) = 0;
  int running_oneway_ ABSL_GUARDED_BY(capacity_mu_) = 0;

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
