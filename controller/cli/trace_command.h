// `pathpair trace [options] HOST`: parse and check the options, resolve HOST (or each host of
// -F FILE in turn, as mtr), run the trace through an injected runner, add reverse names and AS
// information while probing (asynchronously; unless -n / without -z -y), diagnose the result,
// and print it in the requested format: mtr's report (with the findings under it unless
// --no-diagnosis), JSON (with report.diagnosis/verdict/effective unless --no-diagnosis), CSV,
// XML, split or raw lines, plus WinMTR's exports. Without a format flag on a terminal, or with
// -t, the interactive screen runs instead (trace_screen.h). Every dependency with I/O or time
// is passed in, so the whole command runs in unit tests.
//
//   TraceCommandDeps deps = {.resolver = &system_resolver, .names = &dns_cache,
//                            .runner = MyRunner, .now_unix_us = WallClockMicros,
//                            .local_hostname = LocalHostName()};
//   return RunTraceCommand(args_after_trace, deps, std::cout, std::cerr);
//
// Exit codes: kExitOk after a completed trace (whatever it found, as mtr); kExitBadInput (bad
// option, value, pair, host, an unresolvable name, an unreadable --asn-db or -F file), with one
// line on `err` and nothing on `out`; kExitRuntimeError when the trace could not run or stopped
// on an error, or an export could not be written (what was measured is still printed). With
// --diagnose-exit, a completed trace exits with diagnosis::ExitStatusFor(verdict) instead. With
// -F, the highest status of all hosts. Interrupted (Ctrl-C; the result says interrupted): what
// was measured is printed, with the report's "Interrupted after N rounds" line and an
// INCOMPLETE diagnosis, and the exit code is kExitInterrupted (130), as `pathpair test`'s.
#ifndef PATHPAIR_CONTROLLER_CLI_TRACE_COMMAND_H_
#define PATHPAIR_CONTROLLER_CLI_TRACE_COMMAND_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net/ip_address.h"
#include "common/trace/probe_events.h"
#include "controller/asn/as_lookup.h"
#include "controller/asn/cymru_as_lookup.h"
#include "controller/cli/resolver.h"
#include "controller/cli/trace_options.h"
#include "controller/dns/reverse_dns.h"
#include "controller/report/trace/mtr_formats.h"
#include "pathpair/v1/diagnosis.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::cli {

// What a runner reports while it runs, and how it is stopped early.
struct TraceHooks {
  // After each round starts: the trace so far (fields the runner leaves empty may be unset).
  std::function<void(const v1::TraceResult&)> on_snapshot;
  ProbeEventSink* probe_events = nullptr;  // every probe and accepted reply (-l); may be null
  // Set by another thread to end the trace now (the screen's q or r). nullptr: the runner
  // handles SIGINT/SIGTERM itself, ending the trace with what was measured.
  const std::atomic<bool>* stop = nullptr;
  // While true (the screen's `p`), the runner starts no round: nothing is sent. May be null.
  const std::atomic<bool>* pause = nullptr;
};

// Runs a whole trace to `target` (options.target() is the name as typed) and returns the final
// result. A non-OK status means nothing could be measured (e.g. no permission for raw sockets).
using TraceRunner = std::function<absl::StatusOr<v1::TraceResult>(
    const v1::ProbeOptions& options, const IpAddress& target, const TraceHooks& hooks)>;

using AsDatabaseOpener =
    std::function<absl::StatusOr<std::unique_ptr<asn::AsLookup>>(const std::string& path)>;

struct TraceCommandDeps {
  HostResolver* resolver = nullptr;
  // Reverse names with DNS on: lookups start while probing, never blocking it. nullptr: none.
  dns::ReverseDnsCache* names = nullptr;
  // Report modes wait at most this long at the end for lookups still in flight.
  absl::Duration dns_wait = absl::Seconds(2);
  TraceRunner runner;
  std::function<int64_t()> now_unix_us;  // wall clock, for start/end when the runner has none
  std::string local_hostname;            // the report's HOST: and JSON's src
  // Whether the user is root. As in mtr, only root may probe faster than once a second (-i).
  bool privileged = true;
  // stdin and stdout are a terminal: without a format flag, the interactive screen runs.
  bool interactive = false;
  // Opens --asn-db (e.g. asn::MmdbAsLookup::Open); empty: --asn-db is an error.
  AsDatabaseOpener open_as_database;
  // Team Cymru's DNS for -z without --asn-db and for -y: the servers (empty: resolv.conf) and
  // timeouts. Lookups never wait in Peek; reports wait at most dns_wait for the last answers.
  asn::CymruAsLookup::Options cymru;
  // Reads -F FILE ("-": stdin); empty: the file system and std::cin.
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_hosts_file;
};

// Where the -z / -y column and the diagnosis's AS areas come from: --asn-db (an offline
// database) and Team Cymru's DNS (asynchronous: Start begins lookups, answers fill in later).
struct AsInfoSources {
  std::unique_ptr<asn::AsLookup> database;  // --asn-db; may be null
  std::unique_ptr<asn::CymruAsLookup> dns;  // -z without --asn-db, or -y; may be null

  // For the diagnosis: the database, else the DNS lookup (answers known so far), else null.
  asn::AsLookup* for_diagnosis() const;
  // Starts the DNS lookups of every responder of `result` (never blocks).
  void Start(const v1::TraceResult& result) const;
  // Waits for DNS lookups in flight, at most `timeout`.
  void WaitIdle(absl::Duration timeout) const;
  // The AS number of an address for the -z column (0: unknown yet), and -y's field text.
  formats::AsNumberOf AsNumber() const;
  formats::IpInfoOf InfoField(int field) const;
};

// Options after parsing and resolution: what the runner gets.
struct ResolvedTrace {
  TraceCommandLine command;
  IpAddress target;
};

// As mtr: only root may probe faster than once a second (-i). InvalidArgument otherwise.
absl::Status CheckPrivileges(const v1::ProbeOptions& probe, bool privileged);

// Resolves `command`'s target and cross-checks (-a against the target's family, -i against
// the privileges). Errors are InvalidArgument or NotFound with a user-facing one-line message;
// both mean kExitBadInput.
absl::StatusOr<ResolvedTrace> ResolveTrace(TraceCommandLine command, HostResolver& resolver,
                                           bool privileged = true);

// Parse + ResolveTrace (help and version need no host and are returned unresolved).
absl::StatusOr<ResolvedTrace> PrepareTrace(const std::vector<std::string>& args,
                                           HostResolver& resolver, bool privileged = true);

// Fills what a runner leaves to its caller: options, source host name, target address, start
// (`started_unix_us`) and end times.
void CompleteResult(v1::TraceResult& result, const ResolvedTrace& trace,
                    const TraceCommandDeps& deps, int64_t started_unix_us);

// The machine formats' options (-n -b -z -e -w -o) with AS numbers from `as_info` (may be
// nullptr: every AS unknown). mtr's CSV shows its AS column only for -z / -y 0.
formats::MtrFormatOptions MtrFormatOptionsFor(const TraceOutputOptions& output,
                                              const AsInfoSources* as_info);

// Renders the final result in the requested format: the report (-r/-w) with the diagnosis
// text under it, JSON with the diagnosis members (diagnosis null: mtr's output alone), CSV or
// XML. Raw and split print while probing and render nothing here.
std::string RenderTrace(const v1::TraceResult& result, const v1::Diagnosis* diagnosis,
                        const TraceOutputOptions& output, const AsInfoSources* as_info = nullptr);

// Writes --export-text / --export-html (when asked) from `result`.
absl::Status WriteExports(const v1::TraceResult& result, const TraceOutputOptions& output);

int RunTraceCommand(const std::vector<std::string>& args, TraceCommandDeps& deps, std::ostream& out,
                    std::ostream& err);

// "pathpair <version>".
std::string VersionLine();

}  // namespace pathpair::cli

#endif  // PATHPAIR_CONTROLLER_CLI_TRACE_COMMAND_H_
