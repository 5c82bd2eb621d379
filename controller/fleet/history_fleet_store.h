// HistoryFleetStore: fleet mode's FleetStore on the one run store (controller/history: SQLite
// or PostgreSQL, schema migrations, slot claims with leases, agent presence). /metrics figures
// come from the database: run counts by pair and status, and each pair's latest run (its
// verdict column, and the one-way figures of its stored payload).
//
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<history::HistoryStore> db,
//                             history::HistoryStore::Open(config.database));
//   HistoryFleetStore store(std::move(db));
#ifndef PATHPAIR_CONTROLLER_FLEET_HISTORY_FLEET_STORE_H_
#define PATHPAIR_CONTROLLER_FLEET_HISTORY_FLEET_STORE_H_

#include <memory>

#include "controller/fleet/fleet_store.h"
#include "controller/history/history_store.h"

namespace pathpair::fleet {

class HistoryFleetStore : public FleetStore {
 public:
  explicit HistoryFleetStore(std::unique_ptr<history::HistoryStore> store)
      : store_(std::move(store)) {}

  absl::StatusOr<bool> ClaimSlot(const SlotKey& slot, absl::string_view replica, absl::Time now,
                                 absl::Duration lease) override;
  absl::Status FinishSlot(const SlotKey& slot, absl::string_view replica, absl::string_view run_id,
                          absl::Time now) override;
  absl::Status SaveRun(const FleetRun& run) override;
  absl::StatusOr<std::vector<history::RunSummary>> ListRuns(int limit) override;
  absl::StatusOr<history::RunRecord> LoadRun(absl::string_view run_id) override;
  absl::Status SetAgentPresence(absl::string_view agent, absl::string_view replica, bool connected,
                                absl::Time now) override;
  absl::StatusOr<MetricsSnapshot> ReadMetrics(absl::Time now) override;

  history::HistoryStore& history() { return *store_; }

 private:
  std::unique_ptr<history::HistoryStore> store_;
};

}  // namespace pathpair::fleet

#endif  // PATHPAIR_CONTROLLER_FLEET_HISTORY_FLEET_STORE_H_
