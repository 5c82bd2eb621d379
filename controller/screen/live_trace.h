// The glue between a running trace and the screen: a thread-safe slot the prober's snapshot
// callback publishes into and the screen reads from, and a SnapshotSource over it that adds
// reverse names from the DNS cache at read time (so `n` works without touching the trace).
//
//   SnapshotSlot slot;
//   std::thread worker([&] { RunTrace(options, target,
//                                     [&](const engine::TraceResult& r) { slot.Publish(ToProto(r));
//                                     }, &stop); slot.Finish(); });
//   SnapshotSource source = MakeSnapshotSource(slot, &dns_cache, /*restart=*/nullptr, "");
//   ScreenOptions options;
//   options.done = [&] { return false; };   // mtr keeps the screen up after the last round
//   RunScreen({source}, options);
//   stop = true; worker.join();
#ifndef PATHPAIR_CONTROLLER_SCREEN_LIVE_TRACE_H_
#define PATHPAIR_CONTROLLER_SCREEN_LIVE_TRACE_H_

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "controller/dns/reverse_dns.h"
#include "controller/screen/screen.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::screen {

class SnapshotSlot {
 public:
  // Any thread. While paused, publications are dropped (the display freezes); the final
  // result is always kept.
  void Publish(v1::TraceResult snapshot);
  v1::TraceResult Latest() const;
  void SetPaused(bool paused);
  bool paused() const;
  // The trace ended (its final result was published, or it failed).
  void Finish();
  bool finished() const;
  // Forget the current snapshot, error included (after a restart, until the new trace
  // publishes).
  void Clear();
  // Forget the figures but keep the path: until a new trace's snapshot has a reply, Latest()
  // shows the previous hops and responders with no figures (the screen's `r` never collapses
  // to "1. ???" while the new trace's first round is out).
  void ClearKeepingPath();

 private:
  mutable absl::Mutex mu_;
  v1::TraceResult latest_ ABSL_GUARDED_BY(mu_);
  // After ClearKeepingPath: the previous hops, figures cleared, until a snapshot has a reply.
  std::optional<v1::TraceResult> previous_path_ ABSL_GUARDED_BY(mu_);
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// A source reading `slot`. With `names` (may be nullptr) and DNS on, responders get their
// cached reverse names. `restart` (may be empty) restarts the trace for `r` (e.g. cancel it and
// start a new one); the slot is cleared first. `dns_on` (may be nullptr) is read at each redraw.
SnapshotSource MakeSnapshotSource(SnapshotSlot& slot, dns::ReverseDnsCache* names,
                                  std::function<void()> restart, std::string title,
                                  const std::atomic<bool>* dns_on = nullptr);

}  // namespace pathpair::screen

#endif  // PATHPAIR_CONTROLLER_SCREEN_LIVE_TRACE_H_
