// MemoryFleetStore: a FleetStore in memory with the semantics every real store must have (slot
// leases, finished slots, runs by id, metrics from the stored runs), and switches that make it
// fail like an unreachable database. For the scheduler's and the HTTP server's unit tests.
//
//   MemoryFleetStore store;
//   store.unavailable = 2;   // the next two calls fail with Unavailable
#ifndef PATHPAIR_TESTS_CONTROLLER_FLEET_MEMORY_FLEET_STORE_H_
#define PATHPAIR_TESTS_CONTROLLER_FLEET_MEMORY_FLEET_STORE_H_

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "controller/fleet/fleet_store.h"

namespace pathpair::fleet {

class MemoryFleetStore : public FleetStore {
 public:
  struct Slot {
    std::string holder;
    absl::Time lease_end;
    bool finished = false;
    std::string run_id;
    int claims = 0;  // successful claims (a takeover counts again)
  };

  int unavailable = 0;  // the next N calls fail with Unavailable

  absl::StatusOr<bool> ClaimSlot(const SlotKey& slot, absl::string_view replica, absl::Time now,
                                 absl::Duration lease) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status down = Down(); !down.ok()) return down;
    Slot& s = slots_[{slot.test_key, slot.slot_start}];
    if (s.finished) return false;
    if (!s.holder.empty() && s.holder != replica && now < s.lease_end) return false;
    s.holder = std::string(replica);
    s.lease_end = now + lease;
    ++s.claims;
    return true;
  }
  absl::Status FinishSlot(const SlotKey& slot, absl::string_view replica, absl::string_view run_id,
                          absl::Time /*now*/) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status down = Down(); !down.ok()) return down;
    Slot& s = slots_[{slot.test_key, slot.slot_start}];
    if (s.finished || s.holder != replica) {
      return absl::FailedPreconditionError("the slot is not held by this replica");
    }
    s.finished = true;
    s.run_id = std::string(run_id);
    return absl::OkStatus();
  }
  absl::Status SaveRun(const FleetRun& run) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status down = Down(); !down.ok()) return down;
    for (const FleetRun& r : runs_) {
      if (r.record.run_id == run.record.run_id) return absl::AlreadyExistsError(run.record.run_id);
    }
    runs_.push_back(run);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<history::RunSummary>> ListRuns(int limit) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status down = Down(); !down.ok()) return down;
    std::vector<history::RunSummary> out;
    for (auto it = runs_.rbegin(); it != runs_.rend() && static_cast<int>(out.size()) < limit;
         ++it) {
      out.push_back(it->record);
    }
    return out;
  }
  absl::StatusOr<history::RunRecord> LoadRun(absl::string_view run_id) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status down = Down(); !down.ok()) return down;
    for (const FleetRun& r : runs_) {
      if (r.record.run_id == run_id) return r.record;
    }
    return absl::NotFoundError(absl::StrCat("no run ", run_id));
  }
  absl::Status SetAgentPresence(absl::string_view agent, absl::string_view /*replica*/,
                                bool connected, absl::Time /*now*/) override {
    absl::MutexLock lock(&mu_);
    presence_[std::string(agent)] = connected;
    return absl::OkStatus();
  }
  absl::StatusOr<MetricsSnapshot> ReadMetrics(absl::Time /*now*/) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status down = Down(); !down.ok()) return down;
    MetricsSnapshot snapshot;
    std::map<std::tuple<std::string, std::string, std::string>, int64_t> counts;
    std::map<std::pair<std::string, std::string>, const FleetRun*> latest;
    for (const FleetRun& r : runs_) {
      ++counts[{r.record.client, r.record.server, r.status}];
      latest[{r.record.client, r.record.server}] = &r;
    }
    for (const auto& [key, count] : counts) {
      snapshot.runs.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
    }
    for (const auto& [pair, run] : latest) {
      snapshot.latest.push_back({pair.first, pair.second, run->record.verdict, run->directions});
    }
    for (const auto& [name, connected] : presence_) snapshot.agents.push_back({name, connected});
    return snapshot;
  }

  // For assertions.
  std::vector<FleetRun> runs() {
    absl::MutexLock lock(&mu_);
    return runs_;
  }
  std::map<std::pair<std::string, absl::Time>, Slot> slots() {
    absl::MutexLock lock(&mu_);
    return slots_;
  }
  void ExpireLeases() {
    absl::MutexLock lock(&mu_);
    for (auto& [key, slot] : slots_) slot.lease_end = absl::InfinitePast();
  }

 private:
  absl::Status Down() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (unavailable <= 0) return absl::OkStatus();
    --unavailable;
    return absl::UnavailableError("connection to the database refused");
  }

  absl::Mutex mu_;
  std::map<std::pair<std::string, absl::Time>, Slot> slots_ ABSL_GUARDED_BY(mu_);
  std::vector<FleetRun> runs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> presence_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pathpair::fleet

#endif  // PATHPAIR_TESTS_CONTROLLER_FLEET_MEMORY_FLEET_STORE_H_
