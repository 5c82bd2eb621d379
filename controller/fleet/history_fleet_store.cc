#include "controller/fleet/history_fleet_store.h"

#include <utility>

#include "common/status/status_macros.h"
#include "controller/fleet/fleet_run.h"
#include "controller/paired/run_payload.h"

namespace pathpair::fleet {

absl::StatusOr<bool> HistoryFleetStore::ClaimSlot(const SlotKey& slot, absl::string_view replica,
                                                  absl::Time now, absl::Duration lease) {
  PATHPAIR_ASSIGN_OR_RETURN(const history::SlotClaim claim,
                            store_->ClaimSlot(slot.test_key, slot.slot_start, replica, lease, now));
  return claim.outcome == history::ClaimOutcome::kClaimed ||
         claim.outcome == history::ClaimOutcome::kTakenOver;
}

absl::Status HistoryFleetStore::FinishSlot(const SlotKey& slot, absl::string_view replica,
                                           absl::string_view run_id, absl::Time now) {
  return store_->FinishSlot(slot.test_key, slot.slot_start, replica, run_id,
                            run_id.empty() ? "no run was stored" : "", now);
}

absl::Status HistoryFleetStore::SaveRun(const FleetRun& run) { return store_->Save(run.record); }

absl::StatusOr<std::vector<history::RunSummary>> HistoryFleetStore::ListRuns(int limit) {
  return store_->List(limit);
}

absl::StatusOr<history::RunRecord> HistoryFleetStore::LoadRun(absl::string_view run_id) {
  return store_->Load(run_id);
}

absl::Status HistoryFleetStore::SetAgentPresence(absl::string_view agent, absl::string_view replica,
                                                 bool connected, absl::Time now) {
  return store_->SetAgentPresence(agent, replica, connected, now);
}

absl::StatusOr<MetricsSnapshot> HistoryFleetStore::ReadMetrics(absl::Time /*now*/) {
  MetricsSnapshot snapshot;
  PATHPAIR_ASSIGN_OR_RETURN(const std::vector<history::RunCount> counts, store_->CountRuns());
  for (const history::RunCount& c : counts) {
    snapshot.runs.push_back(
        {c.client_name, c.server_name, std::string(history::RunStatusName(c.status)), c.count});
  }
  PATHPAIR_ASSIGN_OR_RETURN(const std::vector<history::RunRecord> latest,
                            store_->LatestRunPerPair());
  for (const history::RunRecord& record : latest) {
    MetricsSnapshot::LatestRun pair{record.client_name, record.server_name, record.verdict, {}};
    // A payload this version cannot read (a newer format) shows no figures, never wrong ones.
    if (absl::StatusOr<v1::PairedRun> run =
            paired::DecodeRun(record.payload_format, record.payload);
        run.ok()) {
      pair.directions = OneWayFigures(*run);
    }
    snapshot.latest.push_back(std::move(pair));
  }
  PATHPAIR_ASSIGN_OR_RETURN(const std::vector<history::AgentPresence> agents,
                            store_->ListAgentPresence());
  for (const history::AgentPresence& agent : agents) {
    snapshot.agents.push_back({agent.agent, agent.connected});
  }
  return snapshot;
}

}  // namespace pathpair::fleet
