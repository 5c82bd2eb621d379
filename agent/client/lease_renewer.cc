#include "agent/client/lease_renewer.h"

#include <algorithm>
#include <utility>

namespace pathpair::agent {
namespace {

// How often the renewer's thread looks at the schedule: often, so that a session added with a
// short lease is renewed in time, and so that a FakeClock moved by a test is noticed.
constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

}  // namespace

absl::Duration RenewalSchedule::PeriodFor(absl::Duration lease) {
  if (lease <= absl::ZeroDuration()) lease = kAssumedLease;
  return std::max(lease / 3, kMinPeriod);
}

void RenewalSchedule::Add(const std::string& session_id, absl::Duration lease, MonoTime now) {
  const absl::Duration period = PeriodFor(lease);
  sessions_[session_id] = Entry{period, now + period};
}

void RenewalSchedule::Remove(const std::string& session_id) { sessions_.erase(session_id); }

std::vector<std::string> RenewalSchedule::TakeDue(MonoTime now) {
  std::vector<std::string> due;
  for (auto& [session_id, entry] : sessions_) {
    if (entry.due > now) continue;
    due.push_back(session_id);
    entry.due = now + entry.period;
  }
  std::sort(due.begin(), due.end());
  return due;
}

MonoTime RenewalSchedule::NextDue() const {
  MonoTime next = MonoTime::Infinite();
  for (const auto& [session_id, entry] : sessions_) next = std::min(next, entry.due);
  return next;
}

LeaseRenewer::LeaseRenewer(v1::Agent::Stub& stub, AgentClientOptions options, const Clock& clock)
    : stub_(stub), options_(std::move(options)), clock_(clock), thread_([this] { Loop(); }) {}

LeaseRenewer::~LeaseRenewer() {
  stop_.Notify();
  thread_.join();
}

void LeaseRenewer::Add(const std::string& session_id, absl::Duration lease) {
  absl::MutexLock lock(&mu_);
  schedule_.Add(session_id, lease, clock_.Now());
}

void LeaseRenewer::Remove(const std::string& session_id) {
  absl::MutexLock lock(&mu_);
  schedule_.Remove(session_id);
}

size_t LeaseRenewer::size() {
  absl::MutexLock lock(&mu_);
  return schedule_.size();
}

void LeaseRenewer::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(kPollInterval)) {
    v1::RenewRequest request;
    absl::Duration timeout;
    {
      absl::MutexLock lock(&mu_);
      const MonoTime now = clock_.Now();
      for (std::string& id : schedule_.TakeDue(now)) request.add_session_ids(std::move(id));
      // Once the next renewal is due this one is moot.
      timeout = schedule_.NextDue() - now;
    }
    if (request.session_ids_size() == 0) continue;
    grpc::ClientContext context;
    PrepareContext(context, options_, timeout);
    v1::RenewResponse response;
    if (!stub_.Renew(&context, request, &response).ok()) continue;
    absl::MutexLock lock(&mu_);
    for (const std::string& id : response.unknown_session_ids()) schedule_.Remove(id);
  }
}

}  // namespace pathpair::agent
