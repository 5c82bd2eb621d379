// RenewalSchedule: when each session's lease is renewed, on a fake monotonic clock.
#include "agent/client/lease_renewer.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(RenewalScheduleTest, PeriodIsAThirdOfTheLeaseWithAFloor) {
  EXPECT_EQ(RenewalSchedule::PeriodFor(absl::Seconds(3)), absl::Seconds(1));
  EXPECT_EQ(RenewalSchedule::PeriodFor(absl::Milliseconds(30)), RenewalSchedule::kMinPeriod);
  // A lease the agent did not report is taken to be the assumed one.
  EXPECT_EQ(RenewalSchedule::PeriodFor(absl::ZeroDuration()), RenewalSchedule::kAssumedLease / 3);
}

TEST(RenewalScheduleTest, RenewsEachSessionEveryThirdOfItsLease) {
  FakeClock clock;
  RenewalSchedule schedule;
  EXPECT_EQ(schedule.NextDue(), MonoTime::Infinite());
  schedule.Add("long", absl::Seconds(3), clock.Now());          // every 1 s
  schedule.Add("short", absl::Milliseconds(600), clock.Now());  // every 200 ms
  EXPECT_EQ(schedule.NextDue(), clock.Now() + absl::Milliseconds(200));

  clock.Advance(absl::Milliseconds(199));
  EXPECT_THAT(schedule.TakeDue(clock.Now()), IsEmpty());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_THAT(schedule.TakeDue(clock.Now()), ElementsAre("short"));
  EXPECT_THAT(schedule.TakeDue(clock.Now()), IsEmpty());  // rescheduled
  EXPECT_EQ(schedule.NextDue(), clock.Now() + absl::Milliseconds(200));

  clock.Advance(absl::Milliseconds(800));  // 1 s after the start: both are due, in one call
  EXPECT_THAT(schedule.TakeDue(clock.Now()), ElementsAre("long", "short"));
}

TEST(RenewalScheduleTest, ALateCheckRenewsOnceAndSchedulesFromThen) {
  FakeClock clock;
  RenewalSchedule schedule;
  schedule.Add("s", absl::Seconds(3), clock.Now());
  clock.Advance(absl::Milliseconds(2500));  // the renewer was late: one renewal, not two
  EXPECT_THAT(schedule.TakeDue(clock.Now()), ElementsAre("s"));
  EXPECT_EQ(schedule.NextDue(), clock.Now() + absl::Seconds(1));
}

TEST(RenewalScheduleTest, RemovedSessionsAreNotRenewedAndReAddingRestartsThePeriod) {
  FakeClock clock;
  RenewalSchedule schedule;
  schedule.Add("a", absl::Seconds(3), clock.Now());
  schedule.Add("b", absl::Seconds(3), clock.Now());
  schedule.Remove("a");
  EXPECT_EQ(schedule.size(), 1u);
  clock.Advance(absl::Milliseconds(900));
  schedule.Add("b", absl::Seconds(30), clock.Now());  // a new lease: every 10 s from now
  clock.Advance(absl::Milliseconds(200));
  EXPECT_THAT(schedule.TakeDue(clock.Now()), IsEmpty());
  clock.Advance(absl::Seconds(10));
  EXPECT_THAT(schedule.TakeDue(clock.Now()), ElementsAre("b"));
  schedule.Remove("b");
  EXPECT_EQ(schedule.NextDue(), MonoTime::Infinite());
}

}  // namespace
}  // namespace pathpair::agent
