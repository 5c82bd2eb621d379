// What fleet mode needs from its database, as one small interface: slot claims with leases (so
// that any number of `pathpair serve` replicas run each scheduled slot once), runs saved with
// both agents by name, and the figures /metrics shows (computed by the database, so every
// replica serves the same). The SQLite / PostgreSQL store implements it; tests use
// MemoryFleetStore (tests/controller/fleet).
//
//   absl::StatusOr<bool> mine = store.ClaimSlot({"office>dc", slot}, "replica-a", now, lease);
//   if (mine.ok() && *mine) { ... run ...; store.SaveRun(run); store.FinishSlot(key, "replica-a",
//   run_id, now); }
#ifndef PATHPAIR_CONTROLLER_FLEET_FLEET_STORE_H_
#define PATHPAIR_CONTROLLER_FLEET_FLEET_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/history/history_store.h"

namespace pathpair::fleet {

// One slot of one scheduled test: the test's key (ScheduledTest::key) and the slot's start.
struct SlotKey {
  std::string test_key;
  absl::Time slot_start;
};

// The one-way figures of one direction of a run ("forward": client -> server).
struct DirectionFigures {
  std::string direction;                // "forward" or "reverse"
  double loss_ratio = 0;                // 0..1
  std::optional<double> delay_seconds;  // mean one-way delay; absent when not measured
};

// A run as fleet mode stores it.
struct FleetRun {
  // client and server hold the agents' names; verdict "healthy" / "degraded" / "broken", empty
  // when nothing was measured; payload the whole v1::PairedRun (paired::EncodeRun).
  history::RunRecord record;
  std::string status;  // "complete", "partial", "failed" (paired::CompletenessName)
  std::string error;   // why it failed or is partial (empty when complete)
  std::vector<DirectionFigures> directions;  // from the one-way measurement, when it ran
};

// What /metrics shows, read from the database.
struct MetricsSnapshot {
  struct RunCount {
    std::string client, server, status;
    int64_t count = 0;
  };
  struct LatestRun {  // the latest run of a pair
    std::string client, server;
    std::string verdict;  // empty: no verdict (a failed run)
    std::vector<DirectionFigures> directions;
  };
  struct Agent {
    std::string name;
    bool connected = false;
  };
  std::vector<RunCount> runs;
  std::vector<LatestRun> latest;
  std::vector<Agent> agents;
};

class FleetStore {
 public:
  virtual ~FleetStore() = default;

  // Claims `slot` for `replica` until now + lease. True when this replica now holds it: nobody
  // held it, or the holder's lease expired before the slot was finished. False when the slot is
  // finished or another replica's lease runs. Unavailable when the database cannot be reached.
  virtual absl::StatusOr<bool> ClaimSlot(const SlotKey& slot, absl::string_view replica,
                                         absl::Time now, absl::Duration lease) = 0;
  // Marks the slot done by `replica` with the run that filled it. FailedPrecondition when
  // `replica` no longer holds it (its lease expired and another replica took it over).
  virtual absl::Status FinishSlot(const SlotKey& slot, absl::string_view replica,
                                  absl::string_view run_id, absl::Time now) = 0;
  // Stores a run; AlreadyExists when its id is taken.
  virtual absl::Status SaveRun(const FleetRun& run) = 0;
  virtual absl::StatusOr<std::vector<history::RunSummary>> ListRuns(int limit) = 0;
  virtual absl::StatusOr<history::RunRecord> LoadRun(absl::string_view run_id) = 0;
  // Records whether `agent` is connected to `replica` (dial-in agents; listening agents are
  // "connected" while their last run reached them).
  virtual absl::Status SetAgentPresence(absl::string_view agent, absl::string_view replica,
                                        bool connected, absl::Time now) = 0;
  virtual absl::StatusOr<MetricsSnapshot> ReadMetrics(absl::Time now) = 0;
};

}  // namespace pathpair::fleet

#endif  // PATHPAIR_CONTROLLER_FLEET_FLEET_STORE_H_
