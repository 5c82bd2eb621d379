#include "controller/screen/live_trace.h"

#include <utility>

namespace pathpair::screen {

void SnapshotSlot::Publish(v1::TraceResult snapshot) {
  absl::MutexLock lock(&mu_);
  if (paused_ && !snapshot.final()) return;
  latest_ = std::move(snapshot);
}

v1::TraceResult SnapshotSlot::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

void SnapshotSlot::SetPaused(bool paused) {
  absl::MutexLock lock(&mu_);
  paused_ = paused;
}

bool SnapshotSlot::paused() const {
  absl::MutexLock lock(&mu_);
  return paused_;
}

void SnapshotSlot::Finish() {
  absl::MutexLock lock(&mu_);
  finished_ = true;
}

bool SnapshotSlot::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

void SnapshotSlot::Clear() {
  absl::MutexLock lock(&mu_);
  latest_.clear_hops();
  latest_.set_rounds(0);
  latest_.set_rounds_started(0);
  finished_ = false;
}

SnapshotSource MakeSnapshotSource(SnapshotSlot& slot, dns::ReverseDnsCache* names,
                                  std::function<void()> restart, std::string title,
                                  const std::atomic<bool>* dns_on) {
  SnapshotSource source;
  source.title = std::move(title);
  source.latest = [&slot, names, dns_on] {
    v1::TraceResult snapshot = slot.Latest();
    if (names != nullptr && (dns_on == nullptr || dns_on->load())) names->Annotate(snapshot);
    return snapshot;
  };
  source.reset = [&slot, restart = std::move(restart)] {
    slot.Clear();
    if (restart) restart();
  };
  source.set_paused = [&slot](bool paused) { slot.SetPaused(paused); };
  return source;
}

}  // namespace pathpair::screen
