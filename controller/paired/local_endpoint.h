// The controller's own machine as the client end of a paired test (`pathpair test` without
// --client): traces run in-process with the agent's engine (prober::RunTrace) and the one-way
// half with the agent's one-way runner (oneway::OneWayRunner), so a customer needs only the
// `pathpair` binary. Info reports this host's clock as an agent does (agent/service/host_info.h),
// since the one-way clock method depends on both ends. Needs the same privileges as `pathpair
// trace` (raw sockets), but only in Create: it opens every socket the end will use (the probe
// sockets of agent/service/prober_trace_runner.h and the one-way sockets), so the process can
// drop its privileges right after (agent/net/privileges.h). Each trace runs on duplicates of the
// probe sockets; router aliases are resolved as an agent does (agent/service/alias_resolver.h),
// on a prober of its own over another duplicate. The traces and the alias resolution of one test
// run one after another (the orchestrator's phases), never at once: they share the sockets.
// Traces with -I or -M are refused (the sockets are opened before the trace options are known).
//
//   LocalEndpoint::Options options;
//   options.reflect = [&](const std::string& peer, const std::string& pairing) {
//     return CallReflect(peer, connection, pairing);          // grpc_endpoint.h
//   };
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<LocalEndpoint> local,
//   LocalEndpoint::Create(options));
#ifndef PATHPAIR_CONTROLLER_PAIRED_LOCAL_ENDPOINT_H_
#define PATHPAIR_CONTROLLER_PAIRED_LOCAL_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/net/socket_set.h"
#include "controller/paired/endpoint.h"

namespace pathpair::oneway {
class OneWayRunner;
}
namespace pathpair::agent {
class ProberTraceRunner;
}

namespace pathpair::paired {

class LocalEndpoint : public Endpoint {
 public:
  struct Options {
    // Calls Reflect on the peer agent at "ADDRESS:PORT" with a pairing id (CallReflect).
    std::function<absl::StatusOr<std::string>(const std::string& peer_endpoint,
                                              const std::string& pairing_id)>
        reflect;
    std::string hostname;  // for Info and reports
    std::string version;
  };

  // Opens the probe sockets (when they cannot be opened, traces fail with the reason) and binds
  // the one-way UDP sockets (IPv4, and IPv6 on the same port when possible).
  static absl::StatusOr<std::unique_ptr<LocalEndpoint>> Create(Options options);
  ~LocalEndpoint() override;

  std::string Describe() const override { return "local"; }
  absl::StatusOr<v1::InfoResponse> Info() override;
  absl::StatusOr<std::string> ReflectFrom(const std::string& peer_endpoint,
                                          const std::string& pairing_id) override;
  TraceOutcome RunTrace(const v1::StartTraceRequest& request, const TraceHooks& hooks,
                        const CancelToken& cancel) override;
  OneWayOutcome RunOneWay(const v1::StartOneWayRequest& request, const OneWayHooks& hooks,
                          const CancelToken& cancel) override;
  // The same checks and probes as an agent's, without the consent (this is the user's own
  // machine, as for `pathpair trace`).
  absl::StatusOr<v1::ResolveAliasesResponse> ResolveAliases(
      const v1::ResolveAliasesRequest& request, const CancelToken& cancel) override;

 private:
  LocalEndpoint(Options options, absl::StatusOr<net::SocketSet> sockets,
                std::unique_ptr<oneway::OneWayRunner> v4, std::unique_ptr<oneway::OneWayRunner> v6);

  Options options_;
  const absl::StatusOr<net::SocketSet> sockets_;  // duplicated for each trace
  std::unique_ptr<oneway::OneWayRunner> v4_;
  std::unique_ptr<oneway::OneWayRunner> v6_;
  std::unique_ptr<agent::ProberTraceRunner> alias_runner_;  // opened by the first ResolveAliases
};

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_LOCAL_ENDPOINT_H_
