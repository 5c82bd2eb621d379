// The long-running part of `pathpair serve`: one replica of the fleet controller. It owns the
// store (HistoryFleetStore), the hub where dial-in agents attach (AgentHub, on the config's
// `listen`), the HTTP server (/metrics, /runs, /runs/RUN_ID, /healthz on `http_listen`), and
// the schedule; each claimed slot runs on a thread of its own (RunSlot).
//
// Replicas and dial-in agents: a dial-in agent holds one stream, to one replica. A slot of a
// test with a dial-in agent is claimed only by the replica that holds the agent (the store's
// agent presence says which); when no live replica holds it, any replica claims the slot and
// records a failed run ("not connected"), so an agent that is down is visible.
//
//   PATHPAIR_ASSIGN_OR_RETURN(auto controller, FleetController::Start(config, options));
//   while (running) { controller->Tick(absl::Now()); sleep(1 s); }   // SIGHUP: Reload(config)
//   controller->Shutdown();   // SIGTERM: running tests stopped and recorded
#ifndef PATHPAIR_CONTROLLER_FLEET_FLEET_CONTROLLER_H_
#define PATHPAIR_CONTROLLER_FLEET_FLEET_CONTROLLER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/fleet/fleet_config.h"

namespace pathpair::fleet {

struct FleetControllerOptions {
  std::string replica;           // this replica's name in the store (default: HOST-PID)
  std::string http_listen;       // overrides the config's http_listen when not empty
  std::string default_database;  // used when the config has no database:
  std::string version;
  absl::Duration heartbeat_every = absl::Seconds(2);
};

class FleetController {
 public:
  // Opens the store, starts the hub's listener and the HTTP server. Unavailable when the
  // database cannot be reached or an address cannot be bound; InvalidArgument for bad files.
  static absl::StatusOr<std::unique_ptr<FleetController>> Start(FleetConfig config,
                                                                FleetControllerOptions options);
  ~FleetController();

  // Heartbeat, reaps ended runs, claims and starts the slots due at `now`.
  void Tick(absl::Time now);
  // A new config: its agents, tests and security apply at once (running tests finish with the
  // old one); database, listen and http_listen need a restart (logged when they changed).
  void Reload(FleetConfig config);
  // Stops every running test (the agents are told to stop), waits for them to be recorded,
  // then stops the listeners.
  void Shutdown();

  int http_port() const;
  int listen_port() const;

  class Impl;

 private:
  explicit FleetController(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathpair::fleet

#endif  // PATHPAIR_CONTROLLER_FLEET_FLEET_CONTROLLER_H_
