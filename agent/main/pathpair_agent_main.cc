// pathpair-agent: serves the pathpair.v1.Agent gRPC service on one endpoint of a path. Parses
// flags, opens the probe and one-way sockets once, drops its privileges (agent/net/privileges.h),
// builds the server (agent_server.h) and waits for SIGINT/SIGTERM. See agent_flags.h for the flags.
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "agent/client/channel.h"
#include "agent/client/health_check.h"
#include "agent/dialout/controller_link.h"
#include "agent/main/agent_flags.h"
#include "agent/metrics/agent_metrics.h"
#include "agent/metrics/metrics_http.h"
#include "agent/net/privileges.h"
#include "agent/net/socket_set.h"
#include "agent/rpc/grpc_log.h"
#include "agent/rpc/tls_files.h"
#include "agent/service/agent_server.h"
#include "agent/service/agent_service.h"
#include "agent/service/consent.h"
#include "agent/service/oneway_socket_runner.h"
#include "agent/service/peer_address.h"
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

// --health-check: one grpc.health.v1 Check as a client; 0 when SERVING.
int CheckHealth(const AgentFlags& flags) {
  AgentClientOptions options;
  if (flags.insecure) {
    options.credentials = grpc::InsecureChannelCredentials();
  } else {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        MakeChannelCredentials(TlsFiles{flags.tls_cert, flags.tls_key, flags.tls_ca});
    if (!credentials.ok()) {
      std::cerr << "pathpair-agent: TLS: " << credentials.status().message() << "\n";
      return kExitBadInput;
    }
    options.credentials = *credentials;
  }
  if (absl::Status serving = CheckAgentHealth(flags.health_check, options); !serving.ok()) {
    std::cerr << "pathpair-agent: --health-check " << flags.health_check << ": "
              << serving.message() << "\n";
    return kExitRuntimeError;
  }
  std::cout << "pathpair-agent: " << flags.health_check << " is serving\n";
  return kExitOk;
}

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

  if (!flags->health_check.empty()) return CheckHealth(*flags);

  AgentServiceConfig config;
  config.version = PATHPAIR_VERSION;
  config.max_concurrent_traces = flags->max_traces;
  config.max_traces_per_client = flags->max_traces_per_client;
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
  if (!flags->agent_token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(flags->agent_token_file);
    if (!token.ok()) {
      std::cerr << "pathpair-agent: --agent-token-file: " << token.status().message() << "\n";
      return kExitBadInput;
    }
    config.agent_token = *token;
  }

  // The TLS files are read now, while a root-only key is still readable.
  std::optional<TlsPem> tls_pem;
  if (!flags->insecure) {
    absl::StatusOr<TlsPem> pem =
        ReadTlsPem(TlsFiles{flags->tls_cert, flags->tls_key, flags->tls_ca});
    if (!pem.ok()) {
      std::cerr << "pathpair-agent: TLS: " << pem.status().message() << "\n";
      return kExitBadInput;
    }
    tls_pem = *std::move(pem);
  }

  // Least privilege: every socket the agent will ever need is opened now (probe sockets, the
  // one-way endpoint); then the process becomes an unprivileged user without capabilities,
  // before any thread starts (docs/SECURITY.md). gRPC binds its ports after this: they must be
  // unprivileged ones (>= 1024).
  absl::StatusOr<net::SocketSet> probe_sockets = ProberTraceRunner::OpenSockets();
  absl::StatusOr<std::unique_ptr<SocketOneWayRunner>> oneway =
      SocketOneWayRunner::Bind(static_cast<uint16_t>(flags->oneway_port), flags->test_clock.offset);
  absl::StatusOr<net::DroppedPrivileges> dropped = net::DropPrivileges({.user = flags->user});
  if (!dropped.ok()) {
    log::Log(log::Level::kError, "privilege_drop_failed", {{"error", dropped.status().message()}});
    return absl::IsInternal(dropped.status()) || absl::IsFailedPrecondition(dropped.status())
               ? kExitRuntimeError
               : kExitBadInput;
  }
  log::Log(log::Level::kInfo, "privileges_dropped",
           {{"user", dropped->user},
            {"uid", static_cast<int64_t>(dropped->uid)},
            {"message", "running without capabilities"}});

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
    server_credentials = MakeServerCredentials(*tls_pem);
    // The agent's own certificate doubles as its client certificate towards peer agents. Made
    // once, from the PEM read before the privilege drop: ReflectPeer never falls back to
    // plaintext.
    config.peer_credentials = MakeChannelCredentials(*tls_pem);
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
      probe_sockets.ok()
          ? ProberTraceRunner::Create(*std::move(probe_sockets), SystemClock::Get())
          : absl::StatusOr<std::unique_ptr<ProberTraceRunner>>(probe_sockets.status());
  if (prober_runner.ok()) {
    runner = *std::move(prober_runner);
  } else {
    log::Log(log::Level::kError, "probe_sockets",
             {{"message", "cannot open probe sockets: traces are unavailable"},
              {"error", prober_runner.status().message()}});
    runner = std::make_unique<UnavailableTraceRunner>(prober_runner.status());
  }
  LogProbePrivileges(runner->capabilities());
  if (!oneway.ok()) {
    log::Log(log::Level::kWarning, "oneway_endpoint",
             {{"message", "no one-way endpoint"}, {"error", oneway.status().message()}});
  }
  // Fleet mode: the calls the link relays come from the controller it authenticated.
  TunnelCaller tunnel_caller;
  if (!flags->controller.empty()) config.tunnel_caller = &tunnel_caller;
  AgentService service(config, *runner, oneway.ok() ? oneway->get() : nullptr, consent,
                       SystemClock::Get());
  service.StartLeaseReaper(absl::Milliseconds(100));
  // Metrics next to gRPC, not earlier: the HTTP server is a thread, and the agent opens its
  // sockets (and may drop privileges) while it is still single-threaded.
  metrics::AgentMetrics& agent_metrics = metrics::Global();
  agent_metrics.SetVersion(PATHPAIR_VERSION);
  agent_metrics.SetTracesActive(
      [&service] { return service.sessions().Count(SessionKind::kTrace); });
  agent_metrics.SetOneWaySessionsActive(
      [&service] { return service.sessions().Count(SessionKind::kOneWay); });
  std::unique_ptr<metrics::MetricsHttpServer> metrics_server;
  if (!flags->metrics_listen.empty()) {
    const absl::StatusOr<PeerEndpoint> where = ParseAddressPort(flags->metrics_listen);
    absl::StatusOr<std::unique_ptr<metrics::MetricsHttpServer>> started =
        where.ok() ? metrics::MetricsHttpServer::Start(where->address.ToString(), where->port,
                                                       [] { return metrics::Global().Render(); })
                   : where.status();
    if (!started.ok()) {
      log::Log(log::Level::kError, "metrics_listen_failed",
               {{"endpoint", flags->metrics_listen}, {"error", started.status().message()}});
      return kExitRuntimeError;
    }
    metrics_server = *std::move(started);
    std::cout << "pathpair-agent: metrics on port " << metrics_server->port() << " ("
              << flags->metrics_listen << ")\n";
  }

  std::vector<int> ports;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      BuildAgentServer(flags->listen, server_credentials, &service, &ports,
                       /*reflection=*/!flags->insecure || config.bearer_token.empty());
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

  std::unique_ptr<ControllerLink> link;
  if (!flags->controller.empty()) {
    ControllerLinkOptions options{
        .controller = flags->controller, .name = flags->name, .version = PATHPAIR_VERSION};
    options.credentials =
        flags->insecure ? grpc::InsecureChannelCredentials() : MakeChannelCredentials(*tls_pem);
    options.tls_name = flags->controller_tls_name;
    options.agent_token = config.agent_token;
    options.tunnel = &tunnel_caller;
    link = std::make_unique<ControllerLink>(options,
                                            (*server)->InProcessChannel(grpc::ChannelArguments()));
    link->Start();
    std::cout << "pathpair-agent: dialling the controller at " << flags->controller << " as "
              << flags->name << "\n";
  }

  std::cout << std::flush;

  int received = 0;
  sigwait(&signals, &received);
  log::Log(log::Level::kInfo, "stopping", {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  if (grpc::HealthCheckServiceInterface* health = (*server)->GetHealthCheckService()) {
    health->Shutdown();  // NOT_SERVING from now on
  }
  metrics_server.reset();
  if (link != nullptr) link->Stop();  // its relayed calls are cancelled
  // The gauges read the service, which goes away with this function.
  agent_metrics.SetTracesActive(nullptr);
  agent_metrics.SetOneWaySessionsActive(nullptr);
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
