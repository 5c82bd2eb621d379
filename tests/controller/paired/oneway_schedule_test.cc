#include "controller/paired/oneway_schedule.h"

#include <gtest/gtest.h>

namespace pathpair::paired {
namespace {

v1::ProbeOptions Traces(int count, absl::Duration interval) {
  v1::ProbeOptions probe;
  probe.set_count(count);
  probe.set_interval_us(absl::ToInt64Microseconds(interval));
  return probe;
}

constexpr absl::Duration kDefaultLongest = absl::Milliseconds(5);

TEST(OneWayScheduleTest, PlannedTraceDurationIsUntilTheLastRoundLeaves) {
  EXPECT_EQ(PlannedTraceDuration(Traces(5, absl::Milliseconds(100))), absl::Milliseconds(400));
  EXPECT_EQ(PlannedTraceDuration(Traces(1, absl::Milliseconds(100))), absl::ZeroDuration());
  EXPECT_EQ(PlannedTraceDuration(Traces(0, absl::Milliseconds(100))), absl::ZeroDuration());
  EXPECT_EQ(PlannedTraceDuration(Traces(3, absl::ZeroDuration())), absl::Seconds(2));  // 1 s
}

TEST(OneWayScheduleTest, OneWayDurationCountsTheFinishPackets) {
  EXPECT_EQ(OneWayDuration({.count = 300, .interval = absl::Milliseconds(1)}),
            absl::Milliseconds(302));
}

// `pathpair test -c 5 -i 0.1` (the benchmark's): 300 packets, spaced to end 40 ms before the
// traces' last round (before: 300 at 5 ms, 1.5 s, which outlasted the 0.4 s traces).
TEST(OneWayScheduleTest, ShortTracesGetTheMinimumPacketsCloserTogether) {
  const OneWaySchedule schedule =
      PlanOneWaySchedule(Traces(5, absl::Milliseconds(100)), 0, kDefaultLongest);
  EXPECT_EQ(schedule.count, kMinOneWayPackets);
  EXPECT_EQ(schedule.interval, absl::Microseconds(1192));  // 360 ms / 302, rounded down
  EXPECT_LE(OneWayDuration(schedule), absl::Milliseconds(360));
  EXPECT_GT(OneWayDuration(schedule), absl::Milliseconds(359));
}

TEST(OneWayScheduleTest, LongTracesGetMorePacketsAtTheLongestInterval) {
  // 10 rounds 1 s apart (the default trace) at 10 ms: 9 s less 0.9 s of margin.
  OneWaySchedule schedule =
      PlanOneWaySchedule(Traces(10, absl::Seconds(1)), 0, absl::Milliseconds(10));
  EXPECT_EQ(schedule.count, 808);
  EXPECT_EQ(schedule.interval, absl::Milliseconds(10));
  EXPECT_LE(OneWayDuration(schedule), absl::Milliseconds(8100));
  schedule = PlanOneWaySchedule(Traces(10, absl::Seconds(1)), 0, kDefaultLongest);
  EXPECT_EQ(schedule.count, 1618);
  EXPECT_EQ(schedule.interval, kDefaultLongest);
}

TEST(OneWayScheduleTest, RequestedCountIsKeptAndSpacedWithinTheLimits) {
  OneWaySchedule schedule =
      PlanOneWaySchedule(Traces(10, absl::Seconds(1)), 50, absl::Milliseconds(10));
  EXPECT_EQ(schedule.count, 50);
  EXPECT_EQ(schedule.interval, absl::Milliseconds(10));  // never slower than the longest
  schedule = PlanOneWaySchedule(Traces(5, absl::Milliseconds(100)), 1000, kDefaultLongest);
  EXPECT_EQ(schedule.count, 1000);
  EXPECT_EQ(schedule.interval, kMinOneWayInterval);  // outlasts the traces: asked for
  schedule =
      PlanOneWaySchedule(Traces(5, absl::Milliseconds(100)), int64_t{1} << 30, kDefaultLongest);
  EXPECT_EQ(schedule.count, kMaxOneWayPackets);
}

TEST(OneWayScheduleTest, TracesTooShortForTheMinimumGetItAtTheFastestRate) {
  for (int rounds : {0, 1, 2, 3}) {
    const OneWaySchedule schedule =
        PlanOneWaySchedule(Traces(rounds, absl::Milliseconds(100)), 0, kDefaultLongest);
    EXPECT_EQ(schedule.count, kMinOneWayPackets) << rounds;
    EXPECT_EQ(schedule.interval, kMinOneWayInterval) << rounds;
  }
}

// Whatever the traces: never fewer than the minimum, never faster than the agents' rate limit
// nor slower than asked, and within the traces (less the margin) whenever the minimum fits.
TEST(OneWayScheduleTest, EveryScheduleKeepsItsBounds) {
  for (int rounds : {1, 2, 4, 5, 7, 10, 30, 100, 1000}) {
    for (int64_t interval_ms : {1, 10, 50, 100, 200, 1000}) {
      const v1::ProbeOptions probe = Traces(rounds, absl::Milliseconds(interval_ms));
      const OneWaySchedule schedule = PlanOneWaySchedule(probe, 0, kDefaultLongest);
      SCOPED_TRACE(testing::Message() << "-c " << rounds << " -i " << interval_ms << " ms");
      EXPECT_GE(schedule.count, kMinOneWayPackets);
      EXPECT_GE(schedule.interval, kMinOneWayInterval);
      EXPECT_LE(schedule.interval, kDefaultLongest);
      const absl::Duration traces = PlannedTraceDuration(probe);
      const absl::Duration budget = traces - std::max(traces / 10, absl::Milliseconds(20));
      if (OneWayDuration({.count = kMinOneWayPackets, .interval = kMinOneWayInterval}) <= budget) {
        EXPECT_LE(OneWayDuration(schedule), budget);
        // And it uses most of it: the packets are spread over the traces, not bunched up.
        EXPECT_GT(OneWayDuration(schedule), budget - kDefaultLongest * 3);
      }
    }
  }
}

}  // namespace
}  // namespace pathpair::paired
