// Command-line flags of pathpair-agent, declared once with CLI11 and parsed into AgentFlags. Kept
// apart from main so the parsing and its refusals (e.g. no TLS material without --insecure) are
// unit-tested; the help text is generated from the same declarations.
//
//   absl::StatusOr<AgentFlags> flags = ParseAgentFlags(argc, argv);
//   if (!flags.ok()) { std::cerr << flags.status().message() << "\n"; return kExitBadInput; }
//   if (flags->help) { std::cout << AgentHelp(); return kExitOk; }
#ifndef PATHPAIR_AGENT_MAIN_AGENT_FLAGS_H_
#define PATHPAIR_AGENT_MAIN_AGENT_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/service/host_info.h"
#include "common/log/log.h"

namespace pathpair::agent {

struct AgentFlags {
  std::vector<std::string> listen;  // repeatable
  // Fleet mode: dial out to the controller at HOST:PORT under this name (agent/dialout).
  std::string controller;
  std::string name;
  std::string controller_tls_name;  // name to check the controller's certificate against
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::string token_file;        // controller role
  std::string agent_token_file;  // agent role: Reflect only
  bool insecure = false;
  std::vector<std::string> allow;
  int max_traces = 16;
  int max_traces_per_client = 8;  // one identity (certificate, token or anonymous)
  double max_rate_pps = 2000;
  int max_packet_size = 9000;
  int consent_ttl_s = 600;
  int oneway_port = 0;
  // Where to serve Prometheus metrics over HTTP ("ADDR:PORT"); empty: nowhere.
  std::string metrics_listen;
  // Instead of serving: check the health of the agent at this endpoint (with the TLS flags as
  // the client's credentials) and exit 0 when it is SERVING.
  std::string health_check;
  std::string user;  // --user: empty means net::DefaultUnprivilegedUser()
  // TEST ONLY: the "Testing only" flags (--test-clock-offset-ms, --test-clock-synchronized,
  // --test-clock-esterror-us, --test-boot-id); see TestClockOverrides.
  TestClockOverrides test_clock;
  log::Level log_level = log::Level::kInfo;  // --log-level
  bool help = false;
  bool version = false;
};

// InvalidArgument with a one-line message for the user on anything wrong, including: an unknown
// flag or a bad value; no --listen (unless --health-check or --controller), or one whose port is
// not 0..65535; --controller without a valid --name (or --name without --controller);
// some but not all of the TLS flags; neither TLS nor --insecure; both TLS and --insecure;
// --insecure on an endpoint other than loopback or a unix socket without a bearer token
// (--token-file), and the same for --controller. With --help or --version, only `help` or `version`
// is set.
absl::StatusOr<AgentFlags> ParseAgentFlags(int argc, const char* const* argv);

// The usage text: every flag with what it does and its default.
std::string AgentHelp();

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_MAIN_AGENT_FLAGS_H_
