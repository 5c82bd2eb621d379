#include "common/time/clock.h"

#include <time.h>

namespace pathpair {

MonoTime MonoTime::FromTimespec(const struct timespec& ts) {
  return MonoTime(absl::DurationFromTimespec(ts));
}

struct timespec MonoTime::ToTimespec() const {
  return absl::ToTimespec(since_epoch_);
}

MonoTime SystemClock::Now() const {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return MonoTime::FromTimespec(ts);
}

absl::Time SystemClock::WallNow() const { return absl::Now(); }

const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

MonoTime FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

absl::Time FakeClock::WallNow() const {
  absl::MutexLock lock(&mu_);
  return absl::UnixEpoch() + now_.SinceEpoch() + wall_offset_;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

void FakeClock::Set(MonoTime t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

}  // namespace pathpair
