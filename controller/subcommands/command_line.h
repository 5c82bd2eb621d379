// What the subcommands `test`, `history`, `show` and `diagnose` share on the command line:
// flags declared with CLI11 (each command declares its own; ParseFlags parses them, so --help
// and bad flags behave alike everywhere), and the one place that turns how a command ended (its
// Status, and the verdict when it exits with one) into its exit code (common/status/exit_codes.h
// has the table every command follows).
//
//   absl::Status Show(const std::vector<std::string>& args, std::ostream& out,
//                     std::optional<v1::Verdict>& exit_verdict) {
//     CLI::App app("Prints a stored run.", "pathpair show");
//     app.add_flag("-j,--json", json, "the paired JSON report");
//     PATHPAIR_ASSIGN_OR_RETURN(const bool go_on, ParseFlags(app, args, out));
//     if (!go_on) return absl::OkStatus();   // --help was printed
//     ...
//     if (diagnose_exit) exit_verdict = diagnosis.verdict;
//   }
//   int RunShowCommand(...) {
//     std::optional<v1::Verdict> verdict;
//     const absl::Status status = Show(args, out, verdict);
//     return FinishCommand("show", status, err, verdict);
//   }
#ifndef PATHPAIR_CONTROLLER_SUBCOMMANDS_COMMAND_LINE_H_
#define PATHPAIR_CONTROLLER_SUBCOMMANDS_COMMAND_LINE_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/asn/as_lookup.h"
#include "controller/geo/geo_lookup.h"
#include "controller/history/history_store.h"
#include "pathpair/v1/diagnosis.pb.h"
#include "pathpair/v1/paired.pb.h"

namespace pathpair::subcommands {

// Parses `args` (argv after the subcommand's name) into `app`'s flags. False when the command
// is done: --help printed the usage on `out`. InvalidArgument (CLI11's one-line message and a
// pointer to --help) for an unknown option, a missing or bad value, a missing or extra
// argument. Arguments the app does not know are left in app.remaining() when it allows extras.
absl::StatusOr<bool> ParseFlags(CLI::App& app, const std::vector<std::string>& args,
                                std::ostream& out);

// The exit code for the Status a subcommand ends with and, when it exits with a verdict (`test`
// and `diagnose` always, `show` with --diagnose-exit), that verdict:
//   OK, no verdict              kExitOk
//   OK, verdict                 diagnosis::ExitStatusFor: healthy kExitOk, degraded
//                               kExitDegraded, broken kExitBroken
//   InvalidArgument, NotFound   kExitBadInput      bad flags or values, a missing or malformed
//                                                  file, an unknown run id
//   Aborted                     kExitPartial       `test`: something was measured, not all (the
//                                                  verdict of what was is in the report);
//                                                  `diagnose`/`show`: such a stored run
//   Cancelled                   kExitInterrupted   `test`: stopped by the user
//   anything else               kExitRuntimeError  nothing could be measured or read
// A failed status wins over the verdict: a partial run's verdict covers only part of the path.
int ExitCodeFor(const absl::Status& status, std::optional<v1::Verdict> verdict = std::nullopt);

// The --asn-db / --geo-db database at `path` (MaxMind format); null for an empty path.
// InvalidArgument ("--asn-db: ...") when the file cannot be opened or is not such a database.
absl::StatusOr<std::unique_ptr<asn::AsLookup>> OpenAsDatabase(const std::string& path);
absl::StatusOr<std::unique_ptr<geo::GeoLookup>> OpenGeoDatabase(const std::string& path);

// What `show` and `diagnose` take for the newest stored run.
inline constexpr char kLastRun[] = "last";

// The help of --history-db, shared by `test`, `history`, `show` and `diagnose`.
inline constexpr char kHistoryDbHelp[] =
    "history database: a path, sqlite:PATH, or a postgresql:// URL\n"
    "(default: $PATHPAIR_HISTORY_DB, else ~/.local/share/pathpair/history.db;\n"
    "a file's directory must exist)";

// The history database of `test`, `history`, `show` and `diagnose`: `flag_path` (--history-db)
// when given, else default_path() (history::DefaultHistoryPath: $PATHPAIR_HISTORY_DB or the XDG
// place); a path, sqlite:PATH or a postgresql:// URL (history::ParseStoreLocation).
// InvalidArgument for a malformed location or a path in a directory that does not exist (bad
// input, exit 2); FailedPrecondition, naming --history-db, when there is no default or the
// database cannot be opened (a PostgreSQL server down, say). Messages never hold a password.
absl::StatusOr<std::unique_ptr<history::HistoryStore>> OpenHistoryStore(
    const std::string& flag_path, const std::function<absl::StatusOr<std::string>()>& default_path);

// How a paired run went, as a Status for ExitCodeFor: OK when complete (the verdict decides),
// Aborted when partial, Unavailable when nothing was measured; the message lists every failure.
// An interrupted run is Cancelled when this process's `test` was stopped (`stored` false), and
// partial (Aborted) when it is read back from the history or a file (`stored` true).
absl::Status PairedRunStatus(const v1::PairedRun& run, bool stored);

// Prints every line of a failed status's message as "pathpair COMMAND: line" on `err` and
// returns ExitCodeFor(status, verdict).
int FinishCommand(absl::string_view command, const absl::Status& status, std::ostream& err,
                  std::optional<v1::Verdict> verdict = std::nullopt);

}  // namespace pathpair::subcommands

#endif  // PATHPAIR_CONTROLLER_SUBCOMMANDS_COMMAND_LINE_H_
