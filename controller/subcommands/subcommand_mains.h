// Entry points of the paired-test subcommands for the `pathpair` executable's table. This header
// includes no protocol code on purpose, so the dispatcher stays free of generated headers.
//
//   {"test", "trace both directions at once", subcommands::RunTestMain},
#ifndef PATHPAIR_CONTROLLER_SUBCOMMANDS_SUBCOMMAND_MAINS_H_
#define PATHPAIR_CONTROLLER_SUBCOMMANDS_SUBCOMMAND_MAINS_H_

#include <string>
#include <vector>

namespace pathpair::subcommands {

// `pathpair test` (test_command.h), with real agents, the in-process engine and Ctrl-C.
int RunTestMain(const std::vector<std::string>& args);
// `pathpair history`, `show`, `diagnose` (history_commands.h) on std::cout / std::cerr.
int RunHistoryMain(const std::vector<std::string>& args);
int RunShowMain(const std::vector<std::string>& args);
int RunDiagnoseMain(const std::vector<std::string>& args);

}  // namespace pathpair::subcommands

#endif  // PATHPAIR_CONTROLLER_SUBCOMMANDS_SUBCOMMAND_MAINS_H_
