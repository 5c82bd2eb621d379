// Command-line options of `pathpair trace`: mtr's option letters and meanings, parsed by a small
// table-driven getopt_long wrapper into v1::ProbeOptions (what to probe) and TraceOutputOptions
// (how to print it). Every bad value or conflicting pair is an InvalidArgument whose message is
// one line meant for the user; the caller prints it and exits with kExitBadInput.
//
//   absl::StatusOr<TraceCommandLine> cmd = ParseTraceCommandLine({"-n", "-r", "-c", "5", "host"});
//   if (!cmd.ok()) { std::cerr << "pathpair trace: " << cmd.status().message() << "\n"; return 2; }
//   cmd->probe.count();   // 5
//
// Differences from mtr, on purpose: values mtr silently clamps or replaces (-m 300, -Q 300,
// -f 0, -B 300, -U 0) and pairs where mtr lets the last one win (-4 -6) are errors here, a
// host is required (mtr traces localhost without one) and only one may follow the options
// (more come from -F FILE), and -S (SCTP) is refused. Output modes (-r -w -j -C -x -l -p -t)
// keep mtr's "last one wins". Without any of them the interactive screen is used when stdout
// is a terminal (see TraceOutputOptions::format_given), a report otherwise.
#ifndef PATHPAIR_CONTROLLER_CLI_TRACE_OPTIONS_H_
#define PATHPAIR_CONTROLLER_CLI_TRACE_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/status/exit_codes.h"  // kExitBadInput and the other exit codes
#include "pathpair/v1/trace.pb.h"

namespace pathpair::cli {

enum class OutputFormat {
  kReport,  // -r, -w (and the default when stdout is not a terminal)
  kJson,    // -j
  kCsv,     // -C
  kXml,     // -x
  kRaw,     // -l: one line per probe event
  kSplit,   // -p: changed hop lines after every round
  kScreen,  // -t: the interactive screen, even when stdout is not known to be a terminal
};

// mtr's pure formats: what mtr prints and nothing else (no diagnosis, no destination check).
bool IsPureMtrFormat(OutputFormat format);

struct TraceOutputOptions {
  OutputFormat format = OutputFormat::kReport;
  bool format_given = false;      // a format flag was given: never the interactive screen
  bool wide = false;              // -w: do not cut host names
  bool dns = true;                // false with -n: numeric addresses only
  bool show_ips = false;          // -b: name and address
  bool show_as = false;           // -z or -y: the AS / IP information column
  int ip_info_field = 0;          // -y N: 0 origin AS, 1 prefix, 2 country, 3 registry, 4 date
  bool show_mpls = false;         // -e: MPLS label lines
  std::string fields;             // -o / --fields letters, already checked; empty: mtr's default
  std::string export_text;        // --export-text FILE (WinMTR's text table)
  std::string export_html;        // --export-html FILE
  std::string asn_db;             // --asn-db PATH: MaxMind-format AS database for -z and diagnosis
  bool diagnose_exit = false;     // --diagnose-exit: exit with diagnosis::ExitStatusFor(verdict)
  bool diagnosis = true;          // false with --no-diagnosis: mtr's output alone
  bool destination_check = true;  // false with --no-dest-check
  int display_mode = 0;  // --displaymode: 0 statistics, 1 stripchart, 2 stripchart with latency
  std::string geo_db;    // --geo-db PATH: MaxMind-format city database for the diagnosis
};

// Whether a trace that missed its ICMP target gets the destination check (TCP SYNs to ports 80
// and 443, a UDP datagram): only when a verdict is wanted (printed, or --diagnose-exit), never
// in mtr's pure formats (-C -x -l -p) and never with --no-dest-check.
bool WantsDestinationCheck(const TraceOutputOptions& output);

struct TraceCommandLine {
  v1::ProbeOptions probe;  // target is the host exactly as typed (empty with -F and no HOST)
  TraceOutputOptions output;
  std::string hosts_file;     // -F FILE ("-": stdin): more hosts, traced before HOST, as mtr
  bool show_help = false;     // --help / -h: print TraceUsage() and nothing else
  bool show_version = false;  // --version / -v
  bool count_given = false;   // -c was given (the screen otherwise probes until `q`, as mtr)
};

// mtr's defaults: 10 cycles, 1 s interval, TTL 1..30, 64-byte packets, 10 s probe timeout,
// 5 s grace time, 12 unknown hops; TCP's port defaults to 80.
v1::ProbeOptions DefaultProbeOptions();

// Parses the arguments that follow `pathpair trace` (argv without the program and subcommand
// names). Options and the host may come in any order, as with mtr.
absl::StatusOr<TraceCommandLine> ParseTraceCommandLine(const std::vector<std::string>& args);

// A host name or address as typed (on the command line or in a -F file): non-empty, no
// whitespace or control characters, at most 253 characters unless it is an address.
absl::Status CheckHost(absl::string_view host);

// The hosts of a -F file's text, one per line as mtr reads them: surrounding whitespace is
// trimmed and empty lines are skipped (mtr would try to resolve ""). Not checked: the caller
// checks each (CheckHost) and, as mtr, reports a bad one and goes on with the next.
std::vector<std::string> ParseHostsFile(absl::string_view text);

// The --help text, generated from the same table the parser uses.
std::string TraceUsage();

}  // namespace pathpair::cli

#endif  // PATHPAIR_CONTROLLER_CLI_TRACE_OPTIONS_H_
