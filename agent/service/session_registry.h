// Leases for long-running agent sessions (traces and one-way measurements). Each session holds
// a lease that the controller renews (Renew RPC); when it lapses the registry calls the
// session's stop function, so a controller killed with SIGKILL, or cut off without a TCP reset,
// never leaves probes running for longer than the lease. Driven by a Clock so that tests move
// time with FakeClock and call ExpireLeases() instead of sleeping.
//
//   SessionRegistry sessions(clock);
//   std::string id = sessions.Add(SessionKind::kTrace, absl::Seconds(20), [r](StopReason) {
//   r->Stop(); }); sessions.Renew(id);                 // from the Renew RPC
//   sessions.ExpireLeases();            // from a timer thread: stops sessions past their lease
//   sessions.Remove(id);                // when the session ends by itself
#ifndef PATHPAIR_AGENT_SERVICE_SESSION_REGISTRY_H_
#define PATHPAIR_AGENT_SERVICE_SESSION_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"

namespace pathpair::agent {

enum class SessionKind : uint8_t { kTrace, kOneWay };

// Why a session was stopped, passed to its stop function.
enum class StopReason : uint8_t {
  kLeaseExpired,   // no Renew within the lease
  kStopRequested,  // the Stop RPC
  kShutdown,       // the agent is shutting down
};

// Thread-safe. Stop functions run without the registry's lock held, at most once each.
class SessionRegistry {
 public:
  using StopFunction = std::function<void(StopReason)>;

  explicit SessionRegistry(const Clock& clock);

  // Registers a session with a fresh random id and a lease of `lease` from now.
  std::string Add(SessionKind kind, absl::Duration lease, StopFunction stop);
  // Extends the session's lease by its original length from now. False if unknown.
  bool Renew(const std::string& id);
  // Forgets the session without stopping it (it ended by itself). False if unknown.
  bool Remove(const std::string& id);
  // Removes the session and runs its stop function. False if unknown.
  bool Stop(const std::string& id);
  // Stops every session whose lease has run out; returns how many.
  int ExpireLeases();
  // Stops every session (shutdown).
  void StopAll();

  int Count(SessionKind kind) const;
  // The earliest lease expiry (MonoTime::Infinite() when there is no session).
  MonoTime NextExpiry() const;

 private:
  struct Session {
    SessionKind kind;
    absl::Duration lease;
    MonoTime expires;
    StopFunction stop;
  };

  const Clock& clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_SESSION_REGISTRY_H_
