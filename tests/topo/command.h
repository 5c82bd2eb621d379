// Running the system tools the topology builder drives (ip, nft) and collecting what they print.
//
//   absl::StatusOr<CommandResult> r = RunCommand({"ip", "-o", "link"});
//   PATHPAIR_RETURN_IF_ERROR(Run({"ip", "netns", "add", "pp1a2b3c-client"}));
#ifndef PATHPAIR_TESTS_TOPO_COMMAND_H_
#define PATHPAIR_TESTS_TOPO_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pathpair::topo {

struct CommandResult {
  int exit_code = 0;  // 128 + N when killed by signal N; 127 when argv[0] cannot be run
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up in PATH) with `input` on its standard input and waits. Only a
// failure to start it is an error; its exit code is in the result. The child starts with no
// signal blocked, whatever the caller blocks.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::string& input = "");

// RunCommand, and an error naming the command and its standard error unless it exits 0.
absl::Status Run(const std::vector<std::string>& argv, const std::string& input = "");

}  // namespace pathpair::topo

#endif  // PATHPAIR_TESTS_TOPO_COMMAND_H_
