#include "controller/cli/trace_screen.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/finding.h"
#include "controller/diagnosis/render.h"
#include "controller/report/trace/field_spec.h"
#include "controller/screen/live_trace.h"
#include "controller/screen/screen.h"

namespace pathpair::cli {
namespace {

constexpr char kPrefix[] = "pathpair trace: ";

// Runs the trace on its own thread, publishing into a slot; can pause it, and stop it and start
// it again (with other options).
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
    restart_failed_ = false;
    thread_ = std::thread([this] { Run(); });
  }
  // Ends the trace at the runner's next wake-up and waits for the thread. Its final result is
  // published unless it is being replaced (a restart).
  void Stop(bool keep_result = true) {
    keep_result_ = keep_result;
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // `r`: a new trace with the same options; the path stays on screen until it answers.
  void Restart() {
    Stop(/*keep_result=*/false);
    slot_.ClearKeepingPath();
    ++restarts_;
    Start();
  }
  // `u` `t` `b` `i`: a new trace with changed options (checked as the command line's are).
  absl::Status Modify(const std::function<void(v1::ProbeOptions&)>& change) {
    v1::ProbeOptions options = trace_.command.probe;
    change(options);
    if (absl::Status allowed = CheckPrivileges(options, deps_.privileged); !allowed.ok()) {
      return allowed;
    }
    Stop(/*keep_result=*/false);
    trace_.command.probe = options;
    slot_.ClearKeepingPath();
    ++restarts_;
    Start();
    return absl::OkStatus();
  }
  // `p` / space: the runner starts no round while paused.
  void SetPaused(bool paused) { pause_ = paused; }

  std::string error() const {
    absl::MutexLock lock(&mu_);
    return error_;
  }
  // A trace restarted by a key could not run (its reason is on the screen).
  bool restart_failed() const { return restart_failed_; }

 private:
  void Run() {
    const int64_t started = deps_.now_unix_us ? deps_.now_unix_us() : 0;
    TraceHooks hooks;
    hooks.stop = &stop_;
    hooks.pause = &pause_;
    // AS lookups start on the screen's thread, when the column or the diagnosis asks.
    hooks.on_snapshot = [&](const v1::TraceResult& snapshot) {
      v1::TraceResult live = snapshot;
      CompleteResult(live, trace_, deps_, started);
      slot_.Publish(std::move(live));
    };
    absl::StatusOr<v1::TraceResult> ran = deps_.runner(trace_.command.probe, trace_.target, hooks);
    // Replaced by a new trace: its end ("cancelled") is nothing to show.
    if (stop_ && !keep_result_) return;
    if (ran.ok()) {
      CompleteResult(*ran, trace_, deps_, started);
      slot_.Publish(*std::move(ran));
    } else if (restarts_ > 0) {
      // After a key changed the options (e.g. `u` without the privileges UDP needs): say why on
      // the screen and stay, so that another key can change them back.
      v1::TraceResult failed = slot_.Latest();
      failed.set_error(std::string(ran.status().message()));
      failed.set_final(true);
      slot_.Publish(std::move(failed));
      restart_failed_ = true;
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
  std::atomic<bool> pause_{false};
  std::atomic<bool> keep_result_{true};
  std::atomic<bool> restart_failed_{false};
  int restarts_ = 0;  // written by the screen's thread between runs only
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::string error_ ABSL_GUARDED_BY(mu_);
};

// The diagnosis of the latest snapshot, recomputed only when the figures changed.
class LiveDiagnosis {
 public:
  explicit LiveDiagnosis(const AsInfoSources& as_info) : as_info_(as_info) {}

  std::vector<std::string> Lines(const v1::TraceResult& snapshot) {
    int64_t sent = 0;
    for (const v1::HopResult& hop : snapshot.hops()) sent += hop.sent();
    if (sent == 0) return {"Diagnosis: waiting for the first replies"};
    const auto key = std::make_pair(snapshot.rounds(), sent);
    if (key != last_key_) {
      diagnosis::DiagnoseOptions options;
      options.as_lookup = as_info_.for_diagnosis();
      lines_ = ScreenDiagnosisLines(diagnosis::DiagnoseTrace(snapshot, options));
      last_key_ = key;
    }
    return lines_;
  }

 private:
  const AsInfoSources& as_info_;
  std::pair<int, int64_t> last_key_{-1, -1};
  std::vector<std::string> lines_;
};

}  // namespace

std::vector<std::string> ScreenDiagnosisLines(const v1::Diagnosis& diagnosis) {
  const std::string text = diagnosis::RenderDiagnosisText(diagnosis, /*verbose=*/false);
  std::vector<std::string> lines = {std::string(text.substr(0, text.find('\n')))};
  const v1::Finding* top = nullptr;
  for (const v1::Finding& finding : diagnosis.findings()) {
    if (top == nullptr || finding.severity() > top->severity()) top = &finding;
  }
  if (top == nullptr || top->code() == v1::HEALTHY) return lines;
  std::string where;
  if (top->has_ttl()) absl::StrAppend(&where, " at hop ", top->ttl());
  if (!top->address().empty()) absl::StrAppend(&where, " ", top->address());
  lines.push_back(absl::StrCat("  top: [", diagnosis::SeverityName(top->severity()), "] ",
                               diagnosis::CodeName(top->code()), where, ": ", top->summary()));
  return lines;
}

int RunTraceScreen(const ResolvedTrace& trace, TraceCommandDeps& deps, AsInfoSources& as_info,
                   std::ostream& err) {
  const TraceOutputOptions& output = trace.command.output;
  screen::SnapshotSlot slot;
  TraceWorker worker(trace, deps, slot);
  std::atomic<bool> dns_on{output.dns};
  LiveDiagnosis live_diagnosis(as_info);

  screen::SnapshotSource source =
      screen::MakeSnapshotSource(slot, deps.names, nullptr, "", &dns_on);
  source.reset = [&worker] { worker.Restart(); };
  source.set_paused = [&worker](bool paused) { worker.SetPaused(paused); };
  source.modify_probe = [&worker](const std::function<void(v1::ProbeOptions&)>& change) {
    return worker.Modify(change);
  };
  if (output.diagnosis) {
    source.footer = [&slot, &live_diagnosis] { return live_diagnosis.Lines(slot.Latest()); };
  }
  // `z` / `y` work without -z as in mtr: the first use starts Team Cymru's DNS lookups. Called
  // on this (the screen's) thread only, as the diagnosis pane, so `as_info` needs no lock.
  source.ip_info = [&as_info, &deps](const std::string& address, int field) -> std::string {
    if (as_info.dns == nullptr && (field != 0 || as_info.database == nullptr)) {
      asn::CymruAsLookup::Options options = deps.cymru;
      options.lookup_wait = absl::ZeroDuration();
      absl::StatusOr<std::unique_ptr<asn::CymruAsLookup>> dns = asn::CymruAsLookup::Create(options);
      if (!dns.ok()) return "";
      as_info.dns = *std::move(dns);
    }
    if (field == 0) {
      const uint32_t number = as_info.AsNumber()(address);
      return number == 0 ? std::string() : absl::StrCat(number);
    }
    return as_info.InfoField(field)(address);
  };
  screen::ScreenOptions options;
  options.dns = output.dns;
  options.mode = screen::DisplayModeFromMtr(output.display_mode);
  options.mpls = output.show_mpls;
  options.ip_info = output.show_as ? output.ip_info_field : -1;
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
    return slot.finished() && !worker.restart_failed() && (count_given || !worker.error().empty());
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
