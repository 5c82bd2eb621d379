// Lease renewal for the sessions (traces, one-way measurements) a client runs on an agent. A
// session lives only as long as its lease unless the client renews it, so the sessions of a
// client that died stop within one lease. RenewalSchedule is the timing alone (every third of
// each session's lease, on the monotonic clock of a Clock, so tests drive it with FakeClock);
// LeaseRenewer runs it on its own thread with the agent's Renew RPC.
//
//   LeaseRenewer renewer(stub, options);                  // SystemClock by default
//   renewer.Add(update.session_id(), absl::Milliseconds(update.lease_ms()));
//   ...                                                   // renewed while the stream runs
//   renewer.Remove(update.session_id());                  // the stream ended
#ifndef PATHPAIR_AGENT_CLIENT_LEASE_RENEWER_H_
#define PATHPAIR_AGENT_CLIENT_LEASE_RENEWER_H_

#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/client/channel.h"
#include "common/time/clock.h"
#include "pathpair/v1/agent.grpc.pb.h"

namespace pathpair::agent {

// When each held session is due for renewal. Not thread-safe; pure (time comes in as `now`).
class RenewalSchedule {
 public:
  // A lease the agent did not report (0) is taken to be this long.
  static constexpr absl::Duration kAssumedLease = absl::Seconds(10);
  // Renewals never come more often than this, whatever the lease.
  static constexpr absl::Duration kMinPeriod = absl::Milliseconds(100);

  // A third of `lease` (two renewals may be lost before it lapses), at least kMinPeriod.
  static absl::Duration PeriodFor(absl::Duration lease);

  // Holds `session_id` (again, with a new lease); its first renewal is one period after `now`.
  void Add(const std::string& session_id, absl::Duration lease, MonoTime now);
  void Remove(const std::string& session_id);
  // The sessions due at `now`, sorted; each is next due one period after `now`.
  std::vector<std::string> TakeDue(MonoTime now);
  // When the next session is due; MonoTime::Infinite() when none is held.
  MonoTime NextDue() const;
  size_t size() const { return sessions_.size(); }

 private:
  struct Entry {
    absl::Duration period;
    MonoTime due;
  };
  absl::flat_hash_map<std::string, Entry> sessions_;
};

// Renews the sessions it holds from its own thread, by the RenewalSchedule on `clock`, in one
// Renew call for all that are due. Sessions the agent no longer knows are dropped; a failed
// Renew is tried again one period later.
class LeaseRenewer {
 public:
  // `stub` and `clock` must outlive the renewer.
  LeaseRenewer(v1::Agent::Stub& stub, AgentClientOptions options,
               const Clock& clock = SystemClock::Get());
  ~LeaseRenewer();  // stops renewing (the sessions then lapse unless stopped otherwise)
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  void Add(const std::string& session_id, absl::Duration lease);
  void Remove(const std::string& session_id);
  size_t size();  // sessions held

 private:
  void Loop();

  v1::Agent::Stub& stub_;
  const AgentClientOptions options_;
  const Clock& clock_;
  absl::Mutex mu_;
  RenewalSchedule schedule_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_CLIENT_LEASE_RENEWER_H_
