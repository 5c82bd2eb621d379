// A paired run as fleet mode stores and shows it: MakeFleetRun turns a v1::PairedRun into the
// record stored (both agents by name, status complete/partial/failed, the verdict from the
// paired diagnosis, the errors) and OneWayFigures gives the per-direction loss and delay that
// /metrics shows for a pair's latest run.
//
//   FleetRun stored = MakeFleetRun(run, "office", "dc");
//   for (const DirectionFigures& d : OneWayFigures(run)) ...   // "forward", "reverse"
#ifndef PATHPAIR_CONTROLLER_FLEET_FLEET_RUN_H_
#define PATHPAIR_CONTROLLER_FLEET_FLEET_RUN_H_

#include <string>
#include <vector>

#include "controller/fleet/fleet_store.h"
#include "pathpair/v1/paired.pb.h"

namespace pathpair::fleet {

// "forward" (client -> server, measured by the server) and "reverse", each when measured (some
// packets sent): loss as a ratio, the mean delay in seconds when any packet arrived.
std::vector<DirectionFigures> OneWayFigures(const v1::PairedRun& run);

// The FleetRun of `run` between the agents `client` and `server` (names). The verdict is set
// (in the payload as well) unless nothing was measured.
FleetRun MakeFleetRun(v1::PairedRun run, const std::string& client, const std::string& server);

}  // namespace pathpair::fleet

#endif  // PATHPAIR_CONTROLLER_FLEET_FLEET_RUN_H_
