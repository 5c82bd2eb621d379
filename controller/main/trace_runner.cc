#include "controller/main/trace_runner.h"

#include <signal.h>

#include <atomic>
#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "agent/engine/trace_result.h"
#include "agent/prober/run_trace.h"

namespace pathpair {

namespace {

std::atomic<bool> g_interrupted{false};

// Ctrl-C ends the trace early and still prints what was measured, as mtr's report mode does.
extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

}  // namespace

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
  absl::StatusOr<engine::TraceResult> result = prober::RunTrace(
      options, target, std::move(on_snapshot), stop, hooks.probe_events, hooks.pause);
  if (!result.ok()) return result.status();
  return engine::ToProto(*result);
}

}  // namespace pathpair
