// `pathpair history`, `pathpair show RUN_ID` and `pathpair diagnose FILE|RUN_ID`: reading back
// what `pathpair test` stored, and diagnosing saved traces.
//
//   pathpair history [--json] [--limit N] [--history-db PATH]
//   pathpair show [-j|--json] [-n] [--history-db PATH] [--asn-db FILE] [--geo-db FILE]
//                 [--diagnose-exit] RUN_ID
//   pathpair diagnose [-j|--json] [-n] [--history-db PATH] [--asn-db FILE] [--geo-db FILE]
//                     FILE|RUN_ID
//   pathpair history|show|diagnose --help
//
// history lists each run with its verdict (healthy / degraded / broken, over both directions
// and the one-way results; runs stored before the verdict was kept are diagnosed again).
// show prints the stored run as `pathpair test` printed it (text, or the paired JSON).
// diagnose FILE reads a `pathpair trace -j` report or real mtr's -j output and prints the
// report with its findings (text), or the same JSON as `trace -j` with "diagnosis" filled;
// diagnose RUN_ID does the same for a stored paired run (text, or the paired JSON), and so does
// diagnose FILE for a saved `pathpair test --json` report.
//
// Flags are parsed with CLI11 (command_line.h). Exit codes (command_line.h's ExitCodeFor, the
// table in common/status/exit_codes.h):
//   diagnose  the verdict: 0 healthy, 3 degraded, 4 broken; 5 for a paired run that is partial
//             (or was interrupted); --diagnose-exit is accepted and changes nothing;
//   show      0; with --diagnose-exit, as diagnose;
//   history   0;
// and for all three 2 (kExitBadInput) for bad options, a missing or unreadable file, malformed
// JSON, a malformed or unknown run id, a stored run this version cannot read — one line on
// stderr, nothing on stdout; 1 when the history database cannot be opened.
#ifndef PATHPAIR_CONTROLLER_SUBCOMMANDS_HISTORY_COMMANDS_H_
#define PATHPAIR_CONTROLLER_SUBCOMMANDS_HISTORY_COMMANDS_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/subcommands/subcommand_mains.h"  // Run*Main: std::cout, real files

namespace pathpair::subcommands {

struct HistoryDeps {
  std::function<absl::StatusOr<std::string>()> default_history_path;
  // Whole-file reads for diagnose FILE (NotFound / InvalidArgument with a message).
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_file;
};

// Real paths and files.
HistoryDeps SystemHistoryDeps();

int RunHistoryCommand(const std::vector<std::string>& args, const HistoryDeps& deps,
                      std::ostream& out, std::ostream& err);
int RunShowCommand(const std::vector<std::string>& args, const HistoryDeps& deps, std::ostream& out,
                   std::ostream& err);
int RunDiagnoseCommand(const std::vector<std::string>& args, const HistoryDeps& deps,
                       std::ostream& out, std::ostream& err);

}  // namespace pathpair::subcommands

#endif  // PATHPAIR_CONTROLLER_SUBCOMMANDS_HISTORY_COMMANDS_H_
