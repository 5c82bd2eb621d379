#include "agent/main/agent_flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "agent/dialout/relay.h"
#include "agent/service/consent.h"
#include "agent/service/peer_address.h"
#include "common/net/ip_address.h"

namespace pathpair::agent {
namespace {

// A number flag in [min, max]; the help shows the range and the default.
template <typename Number>
void AddBounded(CLI::App& app, const std::string& name, Number& value, int min, int max,
                const std::string& type_name, const std::string& what) {
  app.add_option(name, value, absl::StrCat(what, " (", min, "..", max, ")"))
      ->type_name(type_name)
      ->check(CLI::Range(min, max).description(""))
      ->capture_default_str();
}

constexpr char kTestingOnly[] = "Testing only";

// The test-only clock seam (TestClockOverrides), grouped under "Testing only" in --help. They
// let tests on one host make two agents look like hosts with different clocks, so that every
// one-way clock method can be exercised; in production they would make results wrong.
void AddTestClockFlags(CLI::App& app, TestClockOverrides& test) {
  app.add_option_function<double>(
         "--test-clock-offset-ms", [&test](double ms) { test.offset = absl::Milliseconds(ms); },
         "TEST ONLY: stamp one-way packets (and Info's clock) as if this host's clock were off "
         "by MS milliseconds (-86400000..86400000)")
      ->type_name("MS")
      ->check(CLI::Range(-86400000.0, 86400000.0).description(""))
      ->group(kTestingOnly);
  app.add_option_function<std::string>(
         "--test-clock-synchronized",
         [&test](const std::string& value) { test.synchronized = value == "true"; },
         "TEST ONLY: make Info report the clock as synchronised (true) or not (false), whatever "
         "adjtimex says")
      ->type_name("true|false")
      ->check(CLI::IsMember({"true", "false"}).description(""))
      ->group(kTestingOnly);
  app.add_option_function<int64_t>(
         "--test-clock-esterror-us", [&test](int64_t us) { test.estimated_error_us = us; },
         "TEST ONLY: make Info report this estimated clock error (adjtimex esterror, "
         "0..100000000)")
      ->type_name("US")
      ->check(CLI::Range(int64_t{0}, int64_t{100000000}).description(""))
      ->group(kTestingOnly);
  app.add_option_function<std::string>(
         "--test-boot-id", [&test](const std::string& id) { test.boot_id = id; },
         "TEST ONLY: make Info report this boot id instead of the kernel's (1..64 letters, "
         "digits or dashes), so that two agents on one host look like two hosts")
      ->type_name("ID")
      ->check(CLI::Validator(
          [](std::string& id) -> std::string {
            const bool valid =
                !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
                  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
                });
            return valid ? "" : "a boot id is 1..64 letters, digits or dashes";
          },
          ""))
      ->group(kTestingOnly);
}

// Declares every flag, writing into `flags`.
std::unique_ptr<CLI::App> MakeAgentApp(AgentFlags& flags) {
  auto app = std::make_unique<CLI::App>(
      "Serves the pathpair.v1.Agent gRPC service on one end of a path: traces and one-way "
      "measurements for a pathpair controller.",
      "pathpair-agent");
  app->add_flag("--version", flags.version, "print the version and exit");
  app->add_option("--listen", flags.listen,
                  "where to serve gRPC: ADDR:PORT ([ADDR]:PORT for IPv6; port 0 picks one) or "
                  "unix:PATH; repeatable")
      ->type_name("ADDR:PORT")
      ->allow_extra_args(false);
  app->add_option("--controller", flags.controller,
                  "fleet mode: keep one outbound stream to the controller (pathpair serve) at "
                  "HOST:PORT and take its commands over it, so that no inbound port is needed "
                  "(--listen is then optional); authenticates with the TLS flags (this agent's "
                  "certificate) or, with --insecure, --agent-token-file")
      ->type_name("HOST:PORT");
  app->add_option("--name", flags.name,
                  "this agent's fleet name with --controller (1..64 of A-Z a-z 0-9 . _ -; with "
                  "TLS, the NAME of its certificate's spiffe://pathpair/agent/NAME)")
      ->type_name("NAME");
  app->add_option("--controller-tls-name", flags.controller_tls_name,
                  "the name to check the controller's certificate against (default: the HOST "
                  "of --controller)")
      ->type_name("NAME");
  CLI::Option* cert =
      app->add_option("--tls-cert", flags.tls_cert,
                      "this agent's certificate (mutual TLS with the operator's certificates, "
                      "deploy/make-certs.sh)")
          ->type_name("FILE");
  CLI::Option* key =
      app->add_option("--tls-key", flags.tls_key, "its private key")->type_name("FILE");
  CLI::Option* ca =
      app->add_option("--tls-ca", flags.tls_ca,
                      "the CA certificate; clients must present a certificate it signed")
          ->type_name("FILE");
  app->add_option("--token-file", flags.token_file,
                  "also require 'authorization: Bearer <token>' on every call; this token gives "
                  "the controller role (every RPC)")
      ->type_name("FILE");
  app->add_option("--agent-token-file", flags.agent_token_file,
                  "a second accepted token that gives only the agent role (Reflect); this agent "
                  "also presents it when it calls a peer's Reflect")
      ->type_name("FILE");
  app->add_flag("--insecure", flags.insecure,
                "serve plaintext without TLS (prints a warning); only on loopback or a unix "
                "socket unless --token-file is given")
      ->excludes(cert)
      ->excludes(key)
      ->excludes(ca);
  app->add_option("--allow", flags.allow,
                  "targets this agent may probe without a paired peer; repeatable")
      ->type_name("CIDR")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& text) {
            absl::StatusOr<Cidr> cidr = Cidr::Parse(text);
            return cidr.ok() ? std::string() : std::string(cidr.status().message());
          },
          ""));
  AddBounded(*app, "--max-traces", flags.max_traces, 1, 100000, "N", "concurrent traces");
  AddBounded(*app, "--max-traces-per-client", flags.max_traces_per_client, 1, 100000, "N",
             "concurrent traces of one client");
  AddBounded(*app, "--max-rate", flags.max_rate_pps, 1, 10000000, "PPS",
             "probes per second over all traces");
  AddBounded(*app, "--max-packet-size", flags.max_packet_size, 28, 65535, "BYTES",
             "largest probe or test packet");
  AddBounded(*app, "--consent-ttl", flags.consent_ttl_s, 1, 86400, "SECONDS",
             "how long a peer's Reflect consent lasts");
  AddBounded(*app, "--oneway-port", flags.oneway_port, 0, 65535, "PORT",
             "UDP port of the one-way measurement endpoint; 0: any, Info reports it");
  app->add_option("--metrics-listen", flags.metrics_listen,
                  "serve Prometheus metrics over plain HTTP at http://ADDR:PORT/metrics "
                  "([ADDR]:PORT for IPv6; port 0 picks one); off by default")
      ->type_name("ADDR:PORT")
      ->check(CLI::Validator(
          [](std::string& text) {
            absl::StatusOr<PeerEndpoint> endpoint = ParseAddressPort(text);
            return endpoint.ok() ? std::string() : std::string(endpoint.status().message());
          },
          ""));
  app->add_option("--health-check", flags.health_check,
                  "do not serve: ask the agent at ADDR:PORT for its gRPC health (with the TLS "
                  "flags as this side's credentials, or --insecure) and exit 0 when it is "
                  "serving, 1 otherwise (a Kubernetes exec probe)")
      ->type_name("ADDR:PORT");
  app->add_option("--user", flags.user,
                  "when started as root: the user to run as once the sockets are open (default: "
                  "'pathpair' where that user exists, else 'nobody'); every capability is "
                  "dropped in any case")
      ->type_name("NAME");
  app->add_option_function<std::string>(
         "--log-level",
         [&flags](const std::string& name) { flags.log_level = *log::ParseLevel(name); },
         "least important log event written to stderr (one line per event, key=value): "
         "debug, info, warning or error (default info)")
      ->type_name("LEVEL")
      ->check(CLI::Validator(
          [](std::string& name) {
            absl::StatusOr<log::Level> level = log::ParseLevel(name);
            return level.ok() ? std::string() : std::string(level.status().message());
          },
          ""));
  AddTestClockFlags(*app, flags.test_clock);
  return app;
}

// A unix socket, "localhost:PORT", or a loopback address literal with a port.
bool IsLoopbackEndpoint(absl::string_view endpoint) {
  if (absl::StartsWith(endpoint, "unix:")) return true;
  const size_t colon = endpoint.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = endpoint.substr(0, colon);
  if (host == "localhost") return true;
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) return false;
  absl::StatusOr<IpAddress> address = IpAddress::Parse(host);
  return address.ok() && address->IsLoopback();
}

// --listen ADDR:PORT ([ADDR]:PORT, unix:PATH): a port gRPC would otherwise take modulo 65536
// or reject deep inside, with a log line of its own.
absl::Status CheckListen(const std::string& endpoint) {
  if (absl::StartsWith(endpoint, "unix:")) return absl::OkStatus();
  const size_t colon = endpoint.rfind(':');
  const bool bracketed = !endpoint.empty() && endpoint.front() == '[';
  int port = -1;
  if (colon == std::string::npos || colon == 0 || (bracketed && endpoint[colon - 1] != ']') ||
      (!bracketed && endpoint.find(':') != colon) ||
      !absl::SimpleAtoi(absl::string_view(endpoint).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen ", endpoint,
                     ": give ADDR:PORT with a port 0..65535 ([ADDR]:PORT for IPv6, unix:PATH)"));
  }
  return absl::OkStatus();
}

// What the declarations cannot say: TLS is all or nothing, and plaintext only when asked.
absl::Status CheckTransport(const AgentFlags& flags) {
  const int tls_given = !flags.tls_cert.empty() + !flags.tls_key.empty() + !flags.tls_ca.empty();
  if (tls_given != 0 && tls_given != 3) {
    return absl::InvalidArgumentError("mutual TLS needs all of --tls-cert, --tls-key and --tls-ca");
  }
  if (tls_given == 0 && !flags.insecure) {
    return absl::InvalidArgumentError(
        "no TLS material: give --tls-cert, --tls-key and --tls-ca (deploy/make-certs.sh makes "
        "them), or --insecure to serve plaintext");
  }
  if (flags.insecure && flags.token_file.empty()) {
    for (const std::string& endpoint : flags.listen) {
      if (!IsLoopbackEndpoint(endpoint)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--insecure on ", endpoint,
            " would let anyone who reaches it command this agent: plaintext without a token is "
            "served only on loopback or a unix socket; give --token-file, or use mutual TLS"));
      }
    }
    if (!flags.controller.empty() && !IsLoopbackEndpoint(flags.controller)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--insecure with --controller ", flags.controller,
          " would let whoever answers there command this agent: give --token-file (the "
          "controller token every relayed call must carry), or use mutual TLS"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AgentFlags> ParseAgentFlags(int argc, const char* const* argv) {
  AgentFlags flags;
  std::unique_ptr<CLI::App> app = MakeAgentApp(flags);
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return AgentFlags{.help = true};
  } catch (const CLI::ParseError& error) {
    return absl::InvalidArgumentError(error.what());
  }
  if (flags.version) return AgentFlags{.version = true};
  if (flags.listen.empty() && flags.health_check.empty() && flags.controller.empty()) {
    return absl::InvalidArgumentError(
        "--listen ADDR:PORT is required (or --controller HOST:PORT --name NAME to dial out)");
  }
  if (flags.controller.empty() != flags.name.empty()) {
    return absl::InvalidArgumentError("--controller and --name go together");
  }
  if (!flags.name.empty()) {
    if (absl::Status s = ValidateAgentName(flags.name); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--name: ", s.message()));
    }
  }
  for (const std::string& endpoint : flags.listen) {
    if (absl::Status s = CheckListen(endpoint); !s.ok()) return s;
  }
  if (absl::Status s = CheckTransport(flags); !s.ok()) return s;
  return flags;
}

std::string AgentHelp() {
  AgentFlags unused;
  return MakeAgentApp(unused)->help();
}

}  // namespace pathpair::agent
