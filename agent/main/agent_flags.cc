#include "agent/main/agent_flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "agent/service/consent.h"

namespace pathpair::agent {

absl::StatusOr<AgentFlags> ParseAgentFlags(int argc, const char* const* argv) {
  AgentFlags flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    absl::string_view value;
    bool has_inline_value = false;
    if (const size_t eq = arg.find('=');
        arg.substr(0, 2) == "--" && eq != absl::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline_value = true;
    }
    auto take_value = [&](absl::string_view name) -> absl::StatusOr<std::string> {
      if (has_inline_value) return std::string(value);
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      return std::string(argv[++i]);
    };
    auto take_int = [&](absl::string_view name, int min, int max) -> absl::StatusOr<int> {
      absl::StatusOr<std::string> text = take_value(name);
      if (!text.ok()) return text.status();
      int n = 0;
      if (!absl::SimpleAtoi(*text, &n) || n < min || n > max) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " must be an integer in ", min, "..", max, ", got '", *text, "'"));
      }
      return n;
    };
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
    } else if (arg == "--version") {
      flags.version = true;
    } else if (arg == "--insecure") {
      flags.insecure = true;
    } else if (arg == "--listen" || arg == "--tls-cert" || arg == "--tls-key" ||
               arg == "--tls-ca" || arg == "--token-file" || arg == "--allow") {
      absl::StatusOr<std::string> v = take_value(arg);
      if (!v.ok()) return v.status();
      if (arg == "--listen") flags.listen.push_back(*v);
      if (arg == "--tls-cert") flags.tls_cert = *v;
      if (arg == "--tls-key") flags.tls_key = *v;
      if (arg == "--tls-ca") flags.tls_ca = *v;
      if (arg == "--token-file") flags.token_file = *v;
      if (arg == "--allow") {
        absl::StatusOr<Cidr> cidr = Cidr::Parse(*v);
        if (!cidr.ok())
          return absl::InvalidArgumentError(absl::StrCat("--allow: ", cidr.status().message()));
        flags.allow.push_back(*v);
      }
    } else if (arg == "--max-traces") {
      absl::StatusOr<int> n = take_int(arg, 1, 100000);
      if (!n.ok()) return n.status();
      flags.max_traces = *n;
    } else if (arg == "--max-rate") {
      absl::StatusOr<int> n = take_int(arg, 1, 10000000);
      if (!n.ok()) return n.status();
      flags.max_rate_pps = *n;
    } else if (arg == "--max-packet-size") {
      absl::StatusOr<int> n = take_int(arg, 28, 65535);
      if (!n.ok()) return n.status();
      flags.max_packet_size = *n;
    } else if (arg == "--oneway-port") {
      absl::StatusOr<int> n = take_int(arg, 0, 65535);
      if (!n.ok()) return n.status();
      flags.oneway_port = *n;
    } else if (arg == "--consent-ttl") {
      absl::StatusOr<int> n = take_int(arg, 1, 86400);
      if (!n.ok()) return n.status();
      flags.consent_ttl_s = *n;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument '", argv[i], "'"));
    }
  }
  if (flags.help || flags.version) return flags;
  if (flags.listen.empty()) return absl::InvalidArgumentError("--listen ADDR:PORT is required");
  const int tls_given = !flags.tls_cert.empty() + !flags.tls_key.empty() + !flags.tls_ca.empty();
  if (tls_given != 0 && tls_given != 3) {
    return absl::InvalidArgumentError("mutual TLS needs all of --tls-cert, --tls-key and --tls-ca");
  }
  if (tls_given == 3 && flags.insecure) {
    return absl::InvalidArgumentError("--insecure and the --tls-* flags exclude each other");
  }
  if (tls_given == 0 && !flags.insecure) {
    return absl::InvalidArgumentError(
        "no TLS material: give --tls-cert, --tls-key and --tls-ca (deploy/make-certs.sh makes "
        "them), or --insecure to serve plaintext");
  }
  return flags;
}

}  // namespace pathpair::agent
