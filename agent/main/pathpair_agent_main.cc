// pathpair-agent: serves the pathpair.v1.Agent gRPC service on one endpoint of a path. Parses
// flags, opens the probe sockets once (ProberTraceRunner), builds the server (agent_server.h)
// and waits for SIGINT/SIGTERM. See agent_flags.h for the flags.
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "agent/client/channel.h"
#include "agent/main/agent_flags.h"
#include "agent/rpc/grpc_log.h"
#include "agent/rpc/tls_files.h"
#include "agent/service/agent_server.h"
#include "agent/service/agent_service.h"
#include "agent/service/consent.h"
#include "agent/service/oneway_socket_runner.h"
#include "agent/service/prober_trace_runner.h"
#include "common/log/log.h"
#include "common/status/exit_codes.h"
#include "common/time/clock.h"

namespace pathpair::agent {
namespace {

// Stands in when no probe socket could be opened: the agent still answers Info and Reflect,
// and StartTrace says what is missing.
class UnavailableTraceRunner final : public TraceRunner {
 public:
  explicit UnavailableTraceRunner(absl::Status why) : why_(std::move(why)) {}
  absl::StatusOr<Handle> Start(const v1::ProbeOptions&, const IpAddress&, Callbacks) override {
    return absl::FailedPreconditionError(
        absl::StrCat("this agent cannot send probes: ", why_.message()));
  }
  void Cancel(Handle) override {}
  v1::Capabilities capabilities() const override {
    v1::Capabilities c;
    c.set_socket_mode(v1::Capabilities::SOCKET_MODE_NONE);
    return c;
  }

 private:
  absl::Status why_;
};

// Says at start-up what the probe sockets allow: without CAP_NET_RAW only ICMP (datagram
// sockets), and no UDP or TCP probes (Info reports the same in its capabilities).
void LogProbePrivileges(const v1::Capabilities& capabilities) {
  std::vector<std::string> protocols;
  for (const int protocol : capabilities.protocols()) {
    protocols.push_back(v1::Protocol_Name(static_cast<v1::Protocol>(protocol)));
  }
  const bool full = capabilities.socket_mode() == v1::Capabilities::SOCKET_MODE_RAW;
  log::Log(full ? log::Level::kInfo : log::Level::kWarning, "probe_privileges",
           {{"socket_mode", v1::Capabilities::SocketMode_Name(capabilities.socket_mode())},
            {"protocols", absl::StrJoin(protocols, ",")},
            {"message", full ? "raw sockets: ICMP, UDP and TCP probes"
                             : "no CAP_NET_RAW: UDP and TCP probes are unavailable (run as root "
                               "or grant CAP_NET_RAW)"}});
}

int Run(int argc, char** argv) {
  // Block the shutdown signals first, in every thread (gRPC's and the prober's inherit the
  // mask), so that only sigwait below receives them, even when they come during startup.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<AgentFlags> flags = ParseAgentFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << "pathpair-agent: " << flags.status().message() << " (see --help)\n";
    return kExitBadInput;
  }
  if (flags->help) {
    std::cout << AgentHelp();
    return kExitOk;
  }
  if (flags->version) {
    std::cout << "pathpair-agent " << PATHPAIR_VERSION << "\n";
    return kExitOk;
  }
  // From here on, everything the agent has to say is one log line per event on stderr.
  log::SetLevel(flags->log_level);
  RouteGrpcLogsToLog();

  AgentServiceConfig config;
  config.version = PATHPAIR_VERSION;
  config.max_concurrent_traces = flags->max_traces;
  config.max_probe_rate_pps = flags->max_rate_pps;
  config.max_packet_size = flags->max_packet_size;
  config.test_clock = flags->test_clock;
  if (config.test_clock.any()) {
    log::Log(log::Level::kWarning, "test_clock",
             {{"message",
               "test-only clock flags are set: one-way results involving this agent do not "
               "describe the real clock"}});
  }
  if (!flags->token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(flags->token_file);
    if (!token.ok()) {
      std::cerr << "pathpair-agent: --token-file: " << token.status().message() << "\n";
      return kExitBadInput;
    }
    config.bearer_token = *token;
  }

  std::shared_ptr<grpc::ServerCredentials> server_credentials;
  if (flags->insecure) {
    log::Log(
        log::Level::kWarning, "insecure",
        {{"message", absl::StrCat("--insecure: serving plaintext gRPC without TLS; anyone "
                                  "who can reach ",
                                  absl::StrJoin(flags->listen, ", "), " can command this agent",
                                  config.bearer_token.empty() ? "" : " if they learn the token")}});
    server_credentials = grpc::InsecureServerCredentials();
  } else {
    const TlsFiles tls{flags->tls_cert, flags->tls_key, flags->tls_ca};
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials(tls);
    if (!credentials.ok()) {
      std::cerr << "pathpair-agent: TLS: " << credentials.status().message() << "\n";
      return kExitBadInput;
    }
    server_credentials = *credentials;
    // The agent's own certificate doubles as its client certificate towards peer agents.
    config.peer_credentials = [tls]() -> std::shared_ptr<grpc::ChannelCredentials> {
      absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> c = MakeChannelCredentials(tls);
      return c.ok() ? *c : grpc::InsecureChannelCredentials();
    };
  }

  ConsentPolicy consent(SystemClock::Get(), absl::Seconds(flags->consent_ttl_s));
  for (const std::string& cidr : flags->allow) {
    if (absl::Status s = consent.AllowCidr(cidr); !s.ok()) {
      std::cerr << "pathpair-agent: --allow: " << s.message() << "\n";
      return kExitBadInput;
    }
  }

  std::unique_ptr<TraceRunner> runner;
  absl::StatusOr<std::unique_ptr<ProberTraceRunner>> prober_runner =
      ProberTraceRunner::Create(SystemClock::Get());
  if (prober_runner.ok()) {
    runner = *std::move(prober_runner);
  } else {
    log::Log(log::Level::kError, "probe_sockets",
             {{"message", "cannot open probe sockets: traces are unavailable"},
              {"error", prober_runner.status().message()}});
    runner = std::make_unique<UnavailableTraceRunner>(prober_runner.status());
  }
  LogProbePrivileges(runner->capabilities());

  absl::StatusOr<std::unique_ptr<SocketOneWayRunner>> oneway =
      SocketOneWayRunner::Bind(static_cast<uint16_t>(flags->oneway_port), flags->test_clock.offset);
  if (!oneway.ok()) {
    log::Log(log::Level::kWarning, "oneway_endpoint",
             {{"message", "no one-way endpoint"}, {"error", oneway.status().message()}});
  }
  AgentService service(config, *runner, oneway.ok() ? oneway->get() : nullptr, consent,
                       SystemClock::Get());
  service.StartLeaseReaper(absl::Milliseconds(100));
  std::vector<int> ports;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      BuildAgentServer(flags->listen, server_credentials, &service, &ports);
  if (!server.ok()) {
    log::Log(log::Level::kError, "listen_failed", {{"error", server.status().message()}});
    return kExitRuntimeError;
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    std::cout << "pathpair-agent: listening on port " << ports[i] << " (" << flags->listen[i]
              << ")\n";
    log::Log(log::Level::kInfo, "listening",
             {{"endpoint", flags->listen[i]},
              {"port", ports[i]},
              {"tls", !flags->insecure},
              {"version", PATHPAIR_VERSION}});
  }
  std::cout << std::flush;

  int received = 0;
  sigwait(&signals, &received);
  log::Log(log::Level::kInfo, "stopping", {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  if (grpc::HealthCheckServiceInterface* health = (*server)->GetHealthCheckService()) {
    health->Shutdown();  // NOT_SERVING from now on
  }
  service.Shutdown();  // every session stops; their streams end with UNAVAILABLE
  (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  (*server)->Wait();
  // The runners go before the service: their threads call back into it until they stop.
  if (oneway.ok()) oneway->reset();
  runner.reset();
  return kExitOk;
}

}  // namespace
}  // namespace pathpair::agent

int main(int argc, char** argv) { return pathpair::agent::Run(argc, argv); }
