#include "agent/net/kernel_timestamp.h"

#include "gtest/gtest.h"

namespace pathpair::net {
namespace {

MonoTime Mono(int64_t ms) { return MonoTime::FromEpochDuration(absl::Milliseconds(ms)); }
absl::Time Wall(int64_t ms) { return absl::FromUnixMillis(ms); }

// The wall clock reads 1,700,000,000,000 ms when the monotonic clock reads 5,000 ms.
constexpr int64_t kWallAtMono5000 = 1'700'000'000'000;

ClockOffset OffsetAt(int64_t mono_ms, int64_t wall_ms) {
  return MakeClockOffset(Mono(mono_ms), Wall(wall_ms), Mono(mono_ms));
}

TEST(KernelTimestampTest, OffsetUsesTheMidpointOfTheMonotonicReadings) {
  const ClockOffset offset = MakeClockOffset(Mono(100), Wall(1000), Mono(104));
  EXPECT_EQ(offset.wall_minus_mono, absl::Milliseconds(1000 - 102));
}

TEST(KernelTimestampTest, MapsAStampInsideTheWindow) {
  const ClockOffset offset = OffsetAt(5000, kWallAtMono5000);
  // Stamped 3 ms before the offset was sampled.
  const MappedTime t =
      MapKernelTimestamp(Wall(kWallAtMono5000 - 3), offset, Mono(4990), Mono(5000), Mono(5000));
  EXPECT_TRUE(t.from_kernel);
  EXPECT_EQ(t.time, Mono(4997));
}

TEST(KernelTimestampTest, NoStampFallsBack) {
  const MappedTime t = MapKernelTimestamp(std::nullopt, OffsetAt(5000, kWallAtMono5000), Mono(4990),
                                          Mono(5000), Mono(5000));
  EXPECT_FALSE(t.from_kernel);
  EXPECT_EQ(t.time, Mono(5000));
}

TEST(KernelTimestampTest, FallbackIsClampedIntoTheWindow) {
  const MappedTime t = MapKernelTimestamp(std::nullopt, OffsetAt(5000, kWallAtMono5000), Mono(4990),
                                          Mono(5000), Mono(7000));
  EXPECT_EQ(t.time, Mono(5000));
}

// The wall clock steps forward by one hour between the packet's arrival (stamped with the old
// wall time) and the offset sample (taken with the new one): the mapped stamp would be an hour
// early. It falls outside the window and the user-space time is used instead.
TEST(KernelTimestampTest, ForwardWallClockStepFallsBackToUserSpace) {
  const int64_t step = 3'600'000;
  const ClockOffset after_step = OffsetAt(5000, kWallAtMono5000 + step);
  const absl::Time stamp_before_step = Wall(kWallAtMono5000 - 2);
  const MappedTime t =
      MapKernelTimestamp(stamp_before_step, after_step, Mono(4990), Mono(5000), Mono(5000));
  EXPECT_FALSE(t.from_kernel);
  EXPECT_EQ(t.time, Mono(5000));
}

TEST(KernelTimestampTest, BackwardWallClockStepFallsBackToUserSpace) {
  const int64_t step = -3'600'000;
  const ClockOffset after_step = OffsetAt(5000, kWallAtMono5000 + step);
  const MappedTime t =
      MapKernelTimestamp(Wall(kWallAtMono5000 - 2), after_step, Mono(4990), Mono(5000), Mono(5000));
  EXPECT_FALSE(t.from_kernel);
  EXPECT_EQ(t.time, Mono(5000));
}

// A full RTT across a step: send mapped before the step, receive after it. Each end is bounded
// by its own window, so the RTT stays within the user-space bracket and never goes negative.
TEST(KernelTimestampTest, RttAcrossAStepStaysWithinTheUserSpaceBracket) {
  const ClockOffset before_step = OffsetAt(1000, kWallAtMono5000 - 4000);
  const MappedTime sent = MapKernelTimestamp(Wall(kWallAtMono5000 - 4000), before_step, Mono(999),
                                             Mono(1001), Mono(1001));
  ASSERT_TRUE(sent.from_kernel);
  // Wall clock steps back by 10 s; the reply arrives at mono 1020 (wall stamp already stepped).
  const ClockOffset after_step = OffsetAt(1021, kWallAtMono5000 - 4000 + 21 - 10'000);
  const MappedTime received = MapKernelTimestamp(Wall(kWallAtMono5000 - 4000 + 20 - 10'000),
                                                 after_step, Mono(1010), Mono(1021), Mono(1021));
  EXPECT_TRUE(received.from_kernel);
  EXPECT_EQ(received.time - sent.time, absl::Milliseconds(20));
  EXPECT_GE(received.time - sent.time, absl::ZeroDuration());
}

// The formats engineer's -8 ms RTT under load: sendmsg ran at mono 100, the process was then
// descheduled until 120 before it read the clock again, and no TX stamp came back. The reply's
// kernel RX stamp (accurate) says 112. Taking the post-send reading as the send time gave
// 112 - 120 = -8 ms; the send time must be the reading before sendmsg.
TEST(KernelTimestampTest, SendWithoutStampUsesTheReadingBeforeSendmsg) {
  const ClockOffset sampled_late = OffsetAt(120, kWallAtMono5000 - 4880);
  const MappedTime sent = MapSendTimestamp(std::nullopt, sampled_late, Mono(100), Mono(121));
  EXPECT_FALSE(sent.from_kernel);
  EXPECT_EQ(sent.time, Mono(100));

  const ClockOffset at_receive = OffsetAt(125, kWallAtMono5000 - 4875);
  const MappedTime received =
      MapKernelTimestamp(Wall(kWallAtMono5000 - 4888), at_receive, Mono(110), Mono(125), Mono(125));
  ASSERT_TRUE(received.from_kernel);
  EXPECT_EQ(received.time, Mono(112));
  EXPECT_EQ(received.time - sent.time, absl::Milliseconds(12));  // was -8 ms
}

TEST(KernelTimestampTest, SendPrefersAKernelStampInsideTheSyscallWindow) {
  const ClockOffset offset = OffsetAt(120, kWallAtMono5000 - 4880);
  const MappedTime sent =
      MapSendTimestamp(Wall(kWallAtMono5000 - 4899), offset, Mono(100), Mono(121));
  EXPECT_TRUE(sent.from_kernel);
  EXPECT_EQ(sent.time, Mono(101));
  // A stamp before sendmsg began is bogus (or the wall clock stepped): the lower bound wins.
  const MappedTime bogus =
      MapSendTimestamp(Wall(kWallAtMono5000 - 4950), offset, Mono(100), Mono(121));
  EXPECT_FALSE(bogus.from_kernel);
  EXPECT_EQ(bogus.time, Mono(100));
}

TEST(KernelTimestampTest, SwappedWindowIsTolerated) {
  const ClockOffset offset = OffsetAt(5000, kWallAtMono5000);
  const MappedTime t =
      MapKernelTimestamp(Wall(kWallAtMono5000 - 3), offset, Mono(5000), Mono(4990), Mono(5000));
  EXPECT_TRUE(t.from_kernel);
  EXPECT_EQ(t.time, Mono(4997));
}

TEST(KernelTimestampTest, ZeroTimespecMeansNoStamp) {
  EXPECT_FALSE(KernelStampFromTimespec(timespec{0, 0}).has_value());
  EXPECT_EQ(KernelStampFromTimespec(timespec{12, 5}), absl::FromUnixNanos(12'000'000'005));
}

TEST(KernelTimestampTest, SampledOffsetMatchesTheSystemClocks) {
  const ClockOffset offset = SampleClockOffset();
  EXPECT_LE(offset.mono_before, offset.mono_after);
  timespec mono;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  const absl::Time wall_now = absl::Now();
  const absl::Time predicted =
      absl::UnixEpoch() + MonoTime::FromTimespec(mono).SinceEpoch() + offset.wall_minus_mono;
  EXPECT_LT(absl::AbsDuration(predicted - wall_now), absl::Milliseconds(50));
}

}  // namespace
}  // namespace pathpair::net
