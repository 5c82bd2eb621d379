#include "controller/cli/trace_screen.h"

#include <atomic>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "controller/report/trace/field_spec.h"
#include "controller/screen/live_trace.h"
#include "controller/screen/screen.h"

namespace pathpair::cli {
namespace {

constexpr char kPrefix[] = "pathpair trace: ";

// Runs the trace on its own thread, publishing into a slot; can stop it and start it again.
class TraceWorker {
 public:
  TraceWorker(const ResolvedTrace& trace, TraceCommandDeps& deps, screen::SnapshotSlot& slot)
      : trace_(trace), deps_(deps), slot_(slot) {
    // Without -c the display probes until `q`, as mtr's does.
    if (!trace_.command.count_given) trace_.command.probe.set_count(0);
  }
  ~TraceWorker() { Stop(); }

  void Start() {
    stop_ = false;
    thread_ = std::thread([this] { Run(); });
  }
  // Ends the trace at the runner's next wake-up and waits for the thread.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void Restart() {
    Stop();
    slot_.Clear();
    Start();
  }
  std::string error() const {
    absl::MutexLock lock(&mu_);
    return error_;
  }

 private:
  void Run() {
    const int64_t started = deps_.now_unix_us ? deps_.now_unix_us() : 0;
    TraceHooks hooks;
    hooks.stop = &stop_;
    hooks.on_snapshot = [&](const v1::TraceResult& snapshot) {
      v1::TraceResult live = snapshot;
      CompleteResult(live, trace_, deps_, started);
      slot_.Publish(std::move(live));
    };
    absl::StatusOr<v1::TraceResult> ran = deps_.runner(trace_.command.probe, trace_.target, hooks);
    if (ran.ok()) {
      CompleteResult(*ran, trace_, deps_, started);
      slot_.Publish(*std::move(ran));
    } else {
      absl::MutexLock lock(&mu_);
      error_ = std::string(ran.status().message());
    }
    slot_.Finish();
  }

  ResolvedTrace trace_;
  TraceCommandDeps& deps_;
  screen::SnapshotSlot& slot_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::string error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

int RunTraceScreen(const ResolvedTrace& trace, TraceCommandDeps& deps, std::ostream& err) {
  const TraceOutputOptions& output = trace.command.output;
  screen::SnapshotSlot slot;
  TraceWorker worker(trace, deps, slot);
  std::atomic<bool> dns_on{output.dns};

  screen::SnapshotSource source = screen::MakeSnapshotSource(
      slot, deps.names, [&worker] { worker.Restart(); }, "", &dns_on);
  screen::ScreenOptions options;
  options.dns = output.dns;
  options.model.show_ips = output.show_ips;
  if (!output.fields.empty()) {
    absl::StatusOr<formats::FieldList> fields = formats::ParseFieldSpec(output.fields);
    if (fields.ok()) options.model.fields = *fields;
  }
  options.on_dns_changed = [&dns_on](bool on) { dns_on = on; };
  // As mtr's display: leave after the last round when -c was given; also when the trace
  // failed (its reason is printed once the terminal is back).
  const bool count_given = trace.command.count_given;
  options.done = [&slot, &worker, count_given] {
    return slot.finished() && (count_given || !worker.error().empty());
  };

  worker.Start();
  absl::StatusOr<screen::ScreenExit> exit = screen::RunScreen({source}, options);
  worker.Stop();
  if (!exit.ok()) {
    err << kPrefix << exit.status().message() << "\n";
    return kExitRuntimeError;
  }

  int status = kExitOk;
  if (const std::string error = worker.error(); !error.empty()) {
    err << kPrefix << error << "\n";
    status = kExitRuntimeError;
  }
  v1::TraceResult last = slot.Latest();
  if (dns_on && deps.names != nullptr) deps.names->Annotate(last);
  TraceOutputOptions exported = output;
  exported.dns = dns_on;
  if (absl::Status written = WriteExports(last, exported); !written.ok()) {
    err << kPrefix << written.message() << "\n";
    status = kExitRuntimeError;
  }
  if (exit->reason == screen::ScreenExit::Reason::kSignal) return 128 + exit->signal;
  return status;
}

}  // namespace pathpair::cli
