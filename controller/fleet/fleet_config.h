// The config of `pathpair serve` (fleet mode): where results go, where dial-in agents connect,
// where /metrics is served, how agents are reached, and which pairs are tested how often. Read
// from YAML with Debian's yaml-cpp; every error names the line.
//
//   database: "postgresql:///pathpair?host=/run/postgresql"   # or sqlite:PATH
//   listen: 0.0.0.0:7500              # dial-in agents connect here (gRPC)
//   http_listen: 127.0.0.1:9432       # /metrics, /runs, /runs/RUN_ID, /healthz
//   security: {insecure: true, token_file: /etc/pathpair/token}  # or tls_cert, tls_key, tls_ca
//   agents:
//     - {name: dc, address: 203.0.113.10:7431}    # the controller dials it
//     - {name: office, dial_in: true}             # the agent dials the controller
//     - {name: lab, address: "10.9.0.2:7431", target: 198.51.100.20}  # traced at target
//   tests:
//     - {between: [office, dc], every: 30s, options: "-c 10 -i 0.5"}
//     - {mesh: [dc, office, lab], every: 5m, options: "-c 20"}
//
//   PATHPAIR_ASSIGN_OR_RETURN(fleet::FleetConfig config, fleet::LoadFleetConfig(path));
//   for (const fleet::ScheduledTest& test : config.tests) ...   // one per pair
//
// `between: [A, B]` is one test, A the client (forward trace A -> B) and B the server. `mesh`
// is one test for every pair of its agents, the earlier one in the list the client (a paired
// test measures both directions, so each unordered pair is tested once). The same pair may be
// scheduled at several intervals (e.g. a frequent short test and a rarer long one); twice at
// one interval is an error. A test naming an agent not in `agents` is accepted with a warning: its
// runs fail with that reason until the agent is defined (SIGHUP).
#ifndef PATHPAIR_CONTROLLER_FLEET_FLEET_CONFIG_H_
#define PATHPAIR_CONTROLLER_FLEET_FLEET_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/subcommands/test_command.h"

namespace pathpair::fleet {

struct SecurityConfig {
  bool insecure = false;
  std::string token_file;
  std::string tls_cert, tls_key, tls_ca;
};

struct AgentConfig {
  std::string name;     // [A-Za-z0-9_.-], at most 64 characters (a metrics label)
  std::string address;  // HOST:PORT the controller dials; empty for a dial-in agent
  // The address tests toward this agent trace to, when it is not the host of `address` (an
  // agent managed over another network than the one tested). Optional.
  std::string target;
  bool dial_in = false;
};

struct ScheduledTest {
  // "CLIENT>SERVER/EVERYs", e.g. "office>dc/30s": unique, stable across reloads (the slot
  // claims use it).
  std::string key;
  std::string client, server;
  absl::Duration every;  // whole seconds, at least 1 s
  std::string options_text;
  subcommands::ScheduledTestOptions options;
  int line = 0;  // of the test entry in the file (1-based)
};

struct FleetConfig {
  std::string database;     // empty: SQLite in the state directory
  std::string listen;       // HOST:PORT, empty: no dial-in listener
  std::string http_listen;  // HOST:PORT, empty: no HTTP
  SecurityConfig security;
  std::vector<AgentConfig> agents;
  std::vector<ScheduledTest> tests;   // expanded to pairs, in file order
  std::vector<std::string> warnings;  // "line N: ...", for the log

  // The agent called `name`, or null.
  const AgentConfig* FindAgent(absl::string_view name) const;
};

// Parses a config's text. InvalidArgument "NAME:LINE: what is wrong" (NAME: how to call the
// file in messages) for YAML syntax errors, unknown or missing keys, bad values, bad test
// options (the flag parser's message).
absl::StatusOr<FleetConfig> ParseFleetConfig(absl::string_view yaml, absl::string_view name);
// Reads and parses the file at `path`. InvalidArgument when it cannot be read.
absl::StatusOr<FleetConfig> LoadFleetConfig(const std::string& path);

}  // namespace pathpair::fleet

#endif  // PATHPAIR_CONTROLLER_FLEET_FLEET_CONFIG_H_
