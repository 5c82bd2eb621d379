#include "controller/screen/live_trace.h"

#include <utility>

namespace pathpair::screen {

namespace {

bool AnyReply(const v1::TraceResult& result) {
  for (const v1::HopResult& hop : result.hops()) {
    if (hop.received() > 0 || !hop.responders().empty()) return true;
  }
  return false;
}

}  // namespace

void SnapshotSlot::Publish(v1::TraceResult snapshot) {
  absl::MutexLock lock(&mu_);
  if (paused_ && !snapshot.final()) return;
  if (previous_path_.has_value() && !AnyReply(snapshot) && snapshot.error().empty()) {
    *snapshot.mutable_hops() = previous_path_->hops();
  } else {
    previous_path_.reset();
  }
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
  latest_ = v1::TraceResult();
  previous_path_.reset();
  finished_ = false;
}

void SnapshotSlot::ClearKeepingPath() {
  absl::MutexLock lock(&mu_);
  v1::TraceResult path;
  *path.mutable_options() = latest_.options();
  path.set_source_hostname(latest_.source_hostname());
  path.set_source_address(latest_.source_address());
  path.set_target_address(latest_.target_address());
  for (const v1::HopResult& hop : latest_.hops()) {
    v1::HopResult* kept = path.add_hops();
    kept->set_ttl(hop.ttl());
    for (const v1::Responder& r : hop.responders()) {
      v1::Responder* responder = kept->add_responders();
      responder->set_address(r.address());
      responder->set_hostname(r.hostname());
    }
  }
  latest_ = path;
  previous_path_ = std::move(path);
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
