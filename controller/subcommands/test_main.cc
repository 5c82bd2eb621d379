// RunTestMain: `pathpair test` with the real world plugged in (test_command.h).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agent/client/channel.h"
#include "agent/net/privileges.h"
#include "agent/rpc/grpc_log.h"
#include "agent/rpc/tls_files.h"
#include "common/log/log.h"
#include "controller/cli/resolver.h"
#include "controller/history/history_store.h"
#include "controller/paired/grpc_endpoint.h"
#include "controller/paired/local_endpoint.h"
#include "controller/screen/screen.h"
#include "controller/subcommands/test_command.h"

namespace pathpair::subcommands {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void OnTestInterrupt(int) { g_interrupted.store(true); }

// A bearer token file: one line, surrounding whitespace removed, not empty.
absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(buffer.str()));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat("'", path, "' is empty"));
  if (token.size() > 4096)
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is too long"));
  return token;
}

// The agents' channel credentials, made once: the in-process client reads the TLS files while it
// may still read a root-only key, drops its privileges, and only then makes them (gRPC starts
// threads); later connections reuse them.
class CredentialsOnce {
 public:
  // Reads the TLS files now (nothing with --insecure).
  absl::Status ReadFiles(const ConnectionFlags& flags) {
    std::lock_guard<std::mutex> lock(mu_);
    if (flags.insecure || pem_.has_value() || credentials_ != nullptr) return absl::OkStatus();
    if (flags.tls_ca.empty() || flags.tls_cert.empty() || flags.tls_key.empty()) {
      return absl::OkStatus();  // MakeAgentCredentials below says what is missing
    }
    absl::StatusOr<agent::TlsPem> pem = agent::ReadTlsPem(
        agent::TlsFiles{.cert = flags.tls_cert, .key = flags.tls_key, .ca = flags.tls_ca});
    if (!pem.ok()) return pem.status();
    pem_ = *std::move(pem);
    return absl::OkStatus();
  }

  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Get(const ConnectionFlags& flags) {
    std::lock_guard<std::mutex> lock(mu_);
    if (credentials_ == nullptr) {
      if (pem_.has_value() && !flags.insecure) {
        credentials_ = agent::MakeChannelCredentials(*pem_);
      } else {
        absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> made =
            paired::MakeAgentCredentials(flags.insecure, flags.tls_ca, flags.tls_cert,
                                         flags.tls_key);
        if (!made.ok()) return made.status();
        credentials_ = *std::move(made);
      }
    }
    return credentials_;
  }

 private:
  std::mutex mu_;
  std::optional<agent::TlsPem> pem_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
};

CredentialsOnce& Credentials() {
  static auto* const credentials = new CredentialsOnce();
  return *credentials;
}

absl::StatusOr<paired::AgentConnectionOptions> ConnectionFor(const ConnectionFlags& flags) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = Credentials().Get(flags);
  if (!credentials.ok()) return credentials.status();
  paired::AgentConnectionOptions options;
  options.credentials = *credentials;
  options.bearer_token = flags.token;
  options.peer_tls_name = flags.server_tls_name;
  return options;
}

}  // namespace

int RunTestMain(const std::vector<std::string>& args) {
  // gRPC's own lines (a failed TLS handshake in BoringSSL's words, ...) are debug events, not
  // shown: the command says what went wrong in one line of its own.
  log::SetLevel(log::Level::kWarning);
  agent::RouteGrpcLogsToLog();
  cli::SystemHostResolver resolver;
  paired::CancelToken cancel;
  TestCommandDeps deps;
  deps.resolver = &resolver;
  deps.paired = paired::SystemPairedDeps();
  deps.default_history_path = [] { return history::DefaultHistoryPath(); };
  deps.read_token_file = ReadToken;
  deps.make_remote =
      [](const std::string& endpoint,
         const ConnectionFlags& flags) -> absl::StatusOr<std::unique_ptr<paired::Endpoint>> {
    absl::StatusOr<paired::AgentConnectionOptions> options = ConnectionFor(flags);
    if (!options.ok()) return options.status();
    return std::make_unique<paired::GrpcAgentEndpoint>(endpoint, *options);
  };
  deps.make_local =
      [](const ConnectionFlags& flags) -> absl::StatusOr<std::unique_ptr<paired::Endpoint>> {
    // Least privilege (docs/SECURITY.md): files and sockets first, then no privilege at all
    // (as root: the user sudo names, else the unprivileged default), then gRPC.
    if (absl::Status read = Credentials().ReadFiles(flags); !read.ok()) return read;
    paired::LocalEndpoint::Options local;
    local.hostname = cli::LocalHostName();
    local.version = PATHPAIR_VERSION;
    local.reflect = [flags](const std::string& peer, const std::string& pairing) {
      absl::StatusOr<paired::AgentConnectionOptions> reflect_options = ConnectionFor(flags);
      if (!reflect_options.ok()) return absl::StatusOr<std::string>(reflect_options.status());
      reflect_options->tls_name = flags.server_tls_name;
      return paired::CallReflect(peer, *reflect_options, pairing);
    };
    absl::StatusOr<std::unique_ptr<paired::LocalEndpoint>> endpoint =
        paired::LocalEndpoint::Create(std::move(local));
    if (!endpoint.ok()) return endpoint.status();
    absl::StatusOr<net::DroppedPrivileges> dropped =
        net::DropPrivileges(net::SudoAwareDropOptions());
    if (!dropped.ok()) {
      return absl::InternalError(
          absl::StrCat("cannot drop privileges: ", dropped.status().message()));
    }
    // The credentials now, so that a bad file shows before the test starts.
    if (absl::StatusOr<paired::AgentConnectionOptions> options = ConnectionFor(flags);
        !options.ok()) {
      return options.status();
    }
    return std::unique_ptr<paired::Endpoint>(*std::move(endpoint));
  };
  deps.cancel = &cancel;
  deps.progress_tty = isatty(STDERR_FILENO) == 1;
  if (isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1) {
    deps.run_screen = [](const std::vector<screen::SnapshotSource>& sources,
                         std::function<bool()> done) -> absl::Status {
      screen::ScreenOptions options;
      options.dns = false;  // the paired traces carry no names
      options.done = std::move(done);
      return screen::RunScreen(sources, options).status();
    };
  }

  // Ctrl-C stops both sides (the agents are told to stop) and still prints what was measured.
  struct sigaction action {};
  action.sa_handler = OnTestInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // The watcher sleeps on `done` (not a plain sleep), so that joining it at the end adds nothing
  // to the command's time.
  absl::Notification done;
  std::thread watcher;
  deps.on_prepared = [&] {
    watcher = std::thread([&] {
      while (!done.WaitForNotificationWithTimeout(absl::Milliseconds(20))) {
        if (g_interrupted.load()) {
          cancel.Cancel();
          return;
        }
      }
    });
  };
  const int code = RunTestCommand(args, deps, std::cout, std::cerr);
  done.Notify();
  if (watcher.joinable()) watcher.join();
  return code;
}

}  // namespace pathpair::subcommands
