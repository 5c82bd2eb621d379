#include "controller/main/trace_runner.h"

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "agent/engine/trace_result.h"
#include "agent/net/privileges.h"
#include "agent/net/socket_set.h"
#include "agent/prober/run_trace.h"
#include "controller/cli/trace_options.h"

namespace pathpair {

namespace {

std::atomic<bool> g_interrupted{false};

// The sockets OpenTraceSocketsAndDropPrivileges opened (or why it could not); unset when it did
// not run, and each trace then opens its own.
std::optional<absl::StatusOr<net::SocketSet>>& OpenedSockets() {
  static auto* const sockets = new std::optional<absl::StatusOr<net::SocketSet>>();
  return *sockets;
}

// Ctrl-C ends the trace early and still prints what was measured, as mtr's report mode does.
extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

}  // namespace

absl::Status OpenTraceSocketsAndDropPrivileges(const std::vector<std::string>& args) {
  absl::StatusOr<cli::TraceCommandLine> command = cli::ParseTraceCommandLine(args);
  if (!command.ok() || command->show_help || command->show_version) return absl::OkStatus();
  net::SocketPlan plan;
  plan.interface = command->probe.interface();
  plan.mark = command->probe.fwmark();
  absl::StatusOr<net::SocketSet> sockets = net::OpenEverySocket(plan);
  OpenedSockets() = std::move(sockets);
  return net::DropPrivileges(net::SudoAwareDropOptions()).status();
}

absl::StatusOr<v1::TraceResult> LocalTraceRunner(const v1::ProbeOptions& options,
                                                 const IpAddress& target,
                                                 const cli::TraceHooks& hooks) {
  const std::atomic<bool>* stop = hooks.stop;
  if (stop == nullptr) {  // no one else owns the signals (the screen does when it runs)
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    stop = &g_interrupted;
  }
  std::function<void(const engine::TraceResult&)> on_snapshot;
  if (hooks.on_snapshot) {
    on_snapshot = [&hooks](const engine::TraceResult& r) { hooks.on_snapshot(engine::ToProto(r)); };
  }
  absl::StatusOr<engine::TraceResult> result;
  if (const std::optional<absl::StatusOr<net::SocketSet>>& opened = OpenedSockets();
      opened.has_value()) {
    if (!opened->ok()) return opened->status();
    absl::StatusOr<net::SocketSet> sockets =
        net::DuplicateSocketSet(**opened, prober::PlanFor(options, target.family()));
    if (!sockets.ok()) return sockets.status();
    result = prober::RunTrace(*std::move(sockets), options, target, std::move(on_snapshot), stop,
                              hooks.probe_events, hooks.pause);
  } else {
    result = prober::RunTrace(options, target, std::move(on_snapshot), stop, hooks.probe_events,
                              hooks.pause);
  }
  if (!result.ok()) return result.status();
  return engine::ToProto(*result);
}

}  // namespace pathpair
