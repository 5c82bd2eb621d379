// LookupCache: a thread-safe cache in front of an asynchronous per-address lookup (reverse
// names, AS information), so that a screen redraw or a report never waits for a slow or dead
// server. Peek never blocks: an unknown address returns nullopt at once and its lookup starts
// in the background; the next Peek finds the answer. Report modes give lookups a bounded last
// chance with WaitIdle, and Get waits for one address up to a deadline.
//
//   LookupCache<std::string> names(
//       [&resolver](const IpAddress& a, LookupCache<std::string>::Done done) {
//         resolver.Lookup(a, std::move(done));
//       },
//       SystemClock::Get());
//   std::optional<std::string> name = names.Peek(address);   // nullopt now, the name later
//   names.WaitIdle(absl::Seconds(2));
//
// Answers are kept for positive_ttl; failures for negative_ttl (NotFound forgets an older
// value, other failures keep it). Lookup callbacks may run on any thread, before Start
// returns, or after the cache is gone (they are then ignored).
#ifndef PATHPAIR_CONTROLLER_DNS_LOOKUP_CACHE_H_
#define PATHPAIR_CONTROLLER_DNS_LOOKUP_CACHE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"

namespace pathpair::dns {

struct LookupCacheOptions {
  absl::Duration positive_ttl = absl::Hours(1);
  absl::Duration negative_ttl = absl::Minutes(5);  // NXDOMAIN or failure: retry after this
  size_t max_in_flight = 64;  // more distinct unknown addresses wait for a later Peek
};

template <typename Value>
class LookupCache {
 public:
  using Done = std::function<void(absl::StatusOr<Value>)>;
  // Starts one lookup; must not block; `done` runs exactly once, on any thread.
  using Start = std::function<void(const IpAddress& address, Done done)>;

  LookupCache(Start start, const Clock& clock, const LookupCacheOptions& options = {})
      : start_(std::move(start)), clock_(clock), shared_(std::make_shared<Shared>()) {
    shared_->clock = &clock;
    shared_->options = options;
  }
  LookupCache(const LookupCache&) = delete;
  LookupCache& operator=(const LookupCache&) = delete;

  // The cached value (never blocks). Unknown or expired: nullopt (or the stale value), and a
  // lookup starts unless one is in flight or max_in_flight are.
  std::optional<Value> Peek(const IpAddress& address) {
    StartIfNeeded(address);
    absl::MutexLock lock(&shared_->mu);
    return shared_->entries[address].value;
  }

  // Peek, then wait up to `timeout` for the address's lookup to finish. The value, else the
  // lookup's error (NotFound, Unavailable, ...); DeadlineExceeded while it is still running.
  absl::StatusOr<Value> Get(const IpAddress& address, absl::Duration timeout) {
    StartIfNeeded(address);
    absl::MutexLock lock(&shared_->mu);
    Entry* entry = &shared_->entries[address];
    auto done = [entry]() { return !entry->in_flight; };
    shared_->mu.AwaitWithTimeout(absl::Condition(&done), timeout);
    if (entry->value.has_value()) return *entry->value;
    if (entry->in_flight) return absl::DeadlineExceededError("lookup still running");
    if (!entry->error.ok()) return entry->error;
    return absl::UnavailableError("too many lookups in flight");
  }

  // Waits until no lookup is in flight or `timeout` passes; true when idle. For the end of a
  // report run only, never in a probe or redraw loop.
  bool WaitIdle(absl::Duration timeout) {
    absl::MutexLock lock(&shared_->mu);
    Shared* shared = shared_.get();
    auto idle = [shared]() { return shared->in_flight == 0; };
    return shared_->mu.AwaitWithTimeout(absl::Condition(&idle), timeout);
  }

  size_t in_flight() const {
    absl::MutexLock lock(&shared_->mu);
    return shared_->in_flight;
  }
  size_t lookups_started() const {
    absl::MutexLock lock(&shared_->mu);
    return shared_->started;
  }

 private:
  struct Entry {
    std::optional<Value> value;
    absl::Status error;  // the last failure, OK after an answer
    MonoTime expires;
    bool in_flight = false;
  };
  // Outlives the cache while callbacks are pending. Entries are node-stable (Get waits on one).
  struct Shared {
    absl::Mutex mu;
    absl::node_hash_map<IpAddress, Entry> entries ABSL_GUARDED_BY(mu);
    size_t in_flight ABSL_GUARDED_BY(mu) = 0;
    size_t started ABSL_GUARDED_BY(mu) = 0;
    const Clock* clock = nullptr;
    LookupCacheOptions options;
  };

  void StartIfNeeded(const IpAddress& address) {
    const MonoTime now = clock_.Now();
    {
      absl::MutexLock lock(&shared_->mu);
      Entry& entry = shared_->entries[address];
      if (entry.in_flight || entry.expires > now) return;
      if (shared_->in_flight >= shared_->options.max_in_flight) return;
      entry.in_flight = true;
      ++shared_->in_flight;
      ++shared_->started;
    }
    // The callback holds the shared state, not the cache: it may outlive the cache.
    std::weak_ptr<Shared> weak = shared_;
    start_(address, [weak, address](absl::StatusOr<Value> answer) {
      std::shared_ptr<Shared> shared = weak.lock();
      if (!shared) return;
      absl::MutexLock lock(&shared->mu);
      Entry& entry = shared->entries[address];
      entry.in_flight = false;
      --shared->in_flight;
      const MonoTime done_at = shared->clock->Now();
      if (answer.ok()) {
        entry.value = *std::move(answer);
        entry.error = absl::OkStatus();
        entry.expires = done_at + shared->options.positive_ttl;
      } else {
        // Keep an older value through a failed refresh; retry later either way.
        if (absl::IsNotFound(answer.status())) entry.value.reset();
        entry.error = answer.status();
        entry.expires = done_at + shared->options.negative_ttl;
      }
    });
  }

  Start start_;
  const Clock& clock_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace pathpair::dns

#endif  // PATHPAIR_CONTROLLER_DNS_LOOKUP_CACHE_H_
