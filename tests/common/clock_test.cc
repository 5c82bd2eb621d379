#include "common/time/clock.h"

#include "gtest/gtest.h"

namespace pathpair {
namespace {

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock;
  const MonoTime t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(absl::Milliseconds(5));
  EXPECT_EQ(clock.Now() - t0, absl::Milliseconds(5));
  EXPECT_EQ(clock.WallNow() - absl::FromUnixSeconds(1700000000), absl::Milliseconds(5));
}

TEST(ClockTest, SystemClockIsMonotonic) {
  const auto& clock = SystemClock::Get();
  MonoTime prev = clock.Now();
  for (int i = 0; i < 1000; ++i) {
    MonoTime now = clock.Now();
    EXPECT_GE(now, prev);
    prev = now;
  }
}

TEST(ClockTest, TimespecRoundTrip) {
  MonoTime t = MonoTime::FromEpochDuration(absl::Seconds(12) + absl::Nanoseconds(345));
  EXPECT_EQ(MonoTime::FromTimespec(t.ToTimespec()), t);
}

}  // namespace
}  // namespace pathpair
