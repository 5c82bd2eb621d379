#include "agent/service/session_registry.h"

#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"

namespace pathpair::agent {
namespace {

std::string RandomId() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  absl::MutexLock lock(&mu);
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(*gen),
                         absl::Uniform<uint64_t>(*gen));
}

}  // namespace

SessionRegistry::SessionRegistry(const Clock& clock) : clock_(clock) {}

std::string SessionRegistry::Add(SessionKind kind, absl::Duration lease, StopFunction stop) {
  std::string id = RandomId();
  absl::MutexLock lock(&mu_);
  sessions_[id] = Session{kind, lease, clock_.Now() + lease, std::move(stop)};
  return id;
}

bool SessionRegistry::Renew(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  it->second.expires = clock_.Now() + it->second.lease;
  return true;
}

bool SessionRegistry::Remove(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return sessions_.erase(id) > 0;
}

bool SessionRegistry::Stop(const std::string& id) {
  StopFunction stop;
  {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    stop = std::move(it->second.stop);
    sessions_.erase(it);
  }
  if (stop) stop(StopReason::kStopRequested);
  return true;
}

int SessionRegistry::ExpireLeases() {
  std::vector<StopFunction> expired;
  {
    const MonoTime now = clock_.Now();
    absl::MutexLock lock(&mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second.expires <= now) {
        expired.push_back(std::move(it->second.stop));
        sessions_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (auto& stop : expired) {
    if (stop) stop(StopReason::kLeaseExpired);
  }
  return static_cast<int>(expired.size());
}

void SessionRegistry::StopAll() {
  std::vector<StopFunction> all;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, session] : sessions_) all.push_back(std::move(session.stop));
    sessions_.clear();
  }
  for (auto& stop : all) {
    if (stop) stop(StopReason::kShutdown);
  }
}

int SessionRegistry::Count(SessionKind kind) const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const auto& [id, session] : sessions_) n += session.kind == kind ? 1 : 0;
  return n;
}

MonoTime SessionRegistry::NextExpiry() const {
  absl::MutexLock lock(&mu_);
  MonoTime next = MonoTime::Infinite();
  for (const auto& [id, session] : sessions_) {
    if (session.expires < next) next = session.expires;
  }
  return next;
}

}  // namespace pathpair::agent
