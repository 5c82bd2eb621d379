// `pathpair serve`: the fleet controller (controller/fleet), a long-running process.
//
//   pathpair serve --config FILE [--http-listen ADDR:PORT] [--listen ADDR:PORT] [--replica NAME]
//                  [--check]
//
// Reads the YAML config (fleet_config.h; a bad one: "pathpair serve: FILE:LINE: what", exit 2),
// opens the database (sqlite:PATH or postgresql://; default sqlite:$STATE_DIRECTORY/fleet.db,
// else /var/lib/pathpair/fleet.db), serves dial-in agents and HTTP, and runs the schedule
// until SIGTERM or SIGINT (running tests are stopped and recorded; exit 0). SIGHUP reloads the
// config; a bad new config is logged and the old one kept. --check only checks the config.
#ifndef PATHPAIR_CONTROLLER_SUBCOMMANDS_SERVE_COMMAND_H_
#define PATHPAIR_CONTROLLER_SUBCOMMANDS_SERVE_COMMAND_H_

#include <string>
#include <vector>

namespace pathpair::subcommands {

int RunServeMain(const std::vector<std::string>& args);

}  // namespace pathpair::subcommands

#endif  // PATHPAIR_CONTROLLER_SUBCOMMANDS_SERVE_COMMAND_H_
