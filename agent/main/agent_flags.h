// Command-line flags of pathpair-agent, parsed into AgentFlags. Kept apart from main so the
// parsing and its refusals (e.g. no TLS material without --insecure) are unit-tested.
//
//   absl::StatusOr<AgentFlags> flags = ParseAgentFlags(argc, argv);
//   if (!flags.ok()) { std::cerr << flags.status().message() << "\n" << kAgentUsage; return 2; }
#ifndef PATHPAIR_AGENT_MAIN_AGENT_FLAGS_H_
#define PATHPAIR_AGENT_MAIN_AGENT_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pathpair::agent {

inline constexpr char kAgentUsage[] =
    "usage: pathpair-agent --listen ADDR:PORT [--tls-cert FILE --tls-key FILE --tls-ca FILE]\n"
    "                      [--token-file FILE] [--insecure] [--allow CIDR]... [--max-traces N]\n"
    "                      [--max-rate PPS] [--max-packet-size BYTES] [--consent-ttl SECONDS]\n"
    "                      [--oneway-port PORT]\n"
    "\n"
    "  --listen ADDR:PORT   where to serve gRPC (IPv6 as [ADDR]:PORT; port 0 picks one;\n"
    "                       unix:PATH for a local socket); repeatable\n"
    "  --tls-cert/-key/-ca  mutual TLS with the operator's certificates (deploy/make-certs.sh);\n"
    "                       clients must present a certificate signed by the CA\n"
    "  --token-file FILE    also require 'authorization: Bearer <token>' on every call\n"
    "  --insecure           serve plaintext without TLS (prints a warning)\n"
    "  --allow CIDR         targets this agent may probe without a paired peer (repeatable)\n"
    "  --max-traces N       concurrent traces (default 16)\n"
    "  --max-rate PPS       probes per second over all traces (default 2000)\n"
    "  --max-packet-size B  largest probe or test packet (default 9000)\n"
    "  --consent-ttl S      how long a peer's Reflect consent lasts (default 600)\n"
    "  --oneway-port PORT   UDP port of the one-way measurement endpoint (default 0: any;\n"
    "                       Info reports it)\n";

struct AgentFlags {
  std::vector<std::string> listen;  // repeatable
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::string token_file;
  bool insecure = false;
  std::vector<std::string> allow;
  int max_traces = 16;
  double max_rate_pps = 2000;
  int max_packet_size = 9000;
  int consent_ttl_s = 600;
  int oneway_port = 0;
  bool help = false;
  bool version = false;
};

// InvalidArgument with a message for the user on anything wrong, including: no --listen; some
// but not all of the TLS flags; neither TLS nor --insecure; both TLS and --insecure.
absl::StatusOr<AgentFlags> ParseAgentFlags(int argc, const char* const* argv);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_MAIN_AGENT_FLAGS_H_
