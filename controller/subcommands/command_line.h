// What the subcommands `test`, `history`, `show` and `diagnose` share on the command line:
// flags declared with CLI11 (each command declares its own; ParseFlags parses them, so --help
// and bad flags behave alike everywhere), and the one table that turns the Status a command
// ends with into its exit code (common/status/exit_codes.h).
//
//   absl::Status Show(const std::vector<std::string>& args, std::ostream& out) {
//     CLI::App app("Prints a stored run.", "pathpair show");
//     app.add_flag("-j,--json", json, "the paired JSON report");
//     PATHPAIR_ASSIGN_OR_RETURN(const bool go_on, ParseFlags(app, args, out));
//     if (!go_on) return absl::OkStatus();   // --help was printed
//     ...
//   }
//   int RunShowCommand(...) { return FinishCommand("show", Show(args, out), err); }
#ifndef PATHPAIR_CONTROLLER_SUBCOMMANDS_COMMAND_LINE_H_
#define PATHPAIR_CONTROLLER_SUBCOMMANDS_COMMAND_LINE_H_

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pathpair::subcommands {

// Parses `args` (argv after the subcommand's name) into `app`'s flags. False when the command
// is done: --help printed the usage on `out`. InvalidArgument (CLI11's one-line message and a
// pointer to --help) for an unknown option, a missing or bad value, a missing or extra
// argument. Arguments the app does not know are left in app.remaining() when it allows extras.
absl::StatusOr<bool> ParseFlags(CLI::App& app, const std::vector<std::string>& args,
                                std::ostream& out);

// The exit code for the Status a subcommand ends with:
//   OK                          kExitOk
//   InvalidArgument, NotFound   kExitBadInput      bad flags or values, a missing or malformed
//                                                  file, an unknown run id
//   Aborted                     kExitPartial       `test`: something was measured, not all
//   Cancelled                   kExitInterrupted   `test`: stopped by the user
//   anything else               kExitRuntimeError  nothing could be measured or read
int ExitCodeFor(const absl::Status& status);

// Prints every line of a failed status's message as "pathpair COMMAND: line" on `err` and
// returns ExitCodeFor(status).
int FinishCommand(absl::string_view command, const absl::Status& status, std::ostream& err);

}  // namespace pathpair::subcommands

#endif  // PATHPAIR_CONTROLLER_SUBCOMMANDS_COMMAND_LINE_H_
