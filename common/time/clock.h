// Time as the rest of pathpair sees it: a monotonic clock for every interval and RTT, and the
// wall clock only for display. Code that needs time takes a Clock& so that tests can drive it
// with FakeClock and never sleep.
//
//   void Engine::Tick(const Clock& clock) {
//     MonoTime now = clock.Now();
//     absl::Duration rtt = now - sent_at;   // never the wall clock
//   }
#ifndef PATHPAIR_COMMON_TIME_CLOCK_H_
#define PATHPAIR_COMMON_TIME_CLOCK_H_

#include <compare>
#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pathpair {

// A point on CLOCK_MONOTONIC, as a duration since that clock's (arbitrary) epoch. A distinct
// type so that monotonic and wall times cannot be mixed by accident.
class MonoTime {
 public:
  constexpr MonoTime() = default;
  static constexpr MonoTime FromEpochDuration(absl::Duration since_epoch) {
    return MonoTime(since_epoch);
  }
  static MonoTime FromTimespec(const struct timespec& ts);
  // The latest representable time, used as "no deadline".
  static MonoTime Infinite() { return MonoTime(absl::InfiniteDuration()); }

  absl::Duration SinceEpoch() const { return since_epoch_; }
  struct timespec ToTimespec() const;

  friend absl::Duration operator-(MonoTime a, MonoTime b) {
    return a.since_epoch_ - b.since_epoch_;
  }
  friend MonoTime operator+(MonoTime t, absl::Duration d) { return MonoTime(t.since_epoch_ + d); }
  friend MonoTime operator-(MonoTime t, absl::Duration d) { return MonoTime(t.since_epoch_ - d); }
  MonoTime& operator+=(absl::Duration d) {
    since_epoch_ += d;
    return *this;
  }
  friend bool operator==(MonoTime a, MonoTime b) { return a.since_epoch_ == b.since_epoch_; }
  friend bool operator<(MonoTime a, MonoTime b) { return a.since_epoch_ < b.since_epoch_; }
  friend bool operator<=(MonoTime a, MonoTime b) { return a.since_epoch_ <= b.since_epoch_; }
  friend bool operator>(MonoTime a, MonoTime b) { return a.since_epoch_ > b.since_epoch_; }
  friend bool operator>=(MonoTime a, MonoTime b) { return a.since_epoch_ >= b.since_epoch_; }

 private:
  constexpr explicit MonoTime(absl::Duration since_epoch) : since_epoch_(since_epoch) {}
  absl::Duration since_epoch_ = absl::ZeroDuration();
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: for intervals, deadlines and RTTs.
  virtual MonoTime Now() const = 0;
  // Wall-clock time: for timestamps shown to people only.
  virtual absl::Time WallNow() const = 0;
};

// The real clocks (CLOCK_MONOTONIC and CLOCK_REALTIME).
class SystemClock final : public Clock {
 public:
  MonoTime Now() const override;
  absl::Time WallNow() const override;
  // A process-wide instance; SystemClock has no state.
  static const SystemClock& Get();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(MonoTime start = MonoTime::FromEpochDuration(absl::Seconds(1000)),
                     absl::Time wall_start = absl::FromUnixSeconds(1700000000))
      : now_(start), wall_offset_(wall_start - absl::UnixEpoch() - start.SinceEpoch()) {}
  MonoTime Now() const override;
  absl::Time WallNow() const override;
  void Advance(absl::Duration d);
  void Set(MonoTime t);

 private:
  mutable absl::Mutex mu_;
  MonoTime now_ ABSL_GUARDED_BY(mu_);
  const absl::Duration wall_offset_;
};

}  // namespace pathpair

#endif  // PATHPAIR_COMMON_TIME_CLOCK_H_
