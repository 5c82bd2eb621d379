#include "agent/engine/rtt_stats.h"

#include <cmath>

#include "gtest/gtest.h"

namespace pathpair::engine {
namespace {

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

TEST(RttAccumulatorTest, EmptyIsAllZero) {
  RttAccumulator acc;
  EXPECT_EQ(acc.count(), 0);
  EXPECT_EQ(acc.Summary(), RttSummary{});
}

TEST(RttAccumulatorTest, OneReply) {
  RttAccumulator acc;
  acc.Add(absl::Milliseconds(7));
  const RttSummary s = acc.Summary();
  EXPECT_EQ(s.count, 1);
  EXPECT_EQ(s.last, absl::Milliseconds(7));
  EXPECT_EQ(s.best, absl::Milliseconds(7));
  EXPECT_EQ(s.avg, absl::Milliseconds(7));
  EXPECT_EQ(s.worst, absl::Milliseconds(7));
  EXPECT_EQ(s.stdev, absl::ZeroDuration());  // n-1 = 0: undefined, shown as 0 like mtr
  EXPECT_EQ(s.gmean, absl::Milliseconds(7));
  EXPECT_EQ(s.jitter, absl::ZeroDuration());
  EXPECT_EQ(s.jitter_avg, absl::ZeroDuration());
  EXPECT_EQ(s.jitter_max, absl::ZeroDuration());
  EXPECT_EQ(s.jitter_interarrival, absl::ZeroDuration());
  // One sample: percentiles are clamped to [best, worst], hence exact.
  EXPECT_EQ(s.p50, absl::Milliseconds(7));
  EXPECT_EQ(s.p95, absl::Milliseconds(7));
  EXPECT_EQ(s.p99, absl::Milliseconds(7));
}

// 10, 14, 12, 20 ms, computed by hand:
//   avg 14; squared deviations 16 + 0 + 4 + 36 = 56, stdev = sqrt(56 / 3) = 4.32049
//   gmean = (10 * 14 * 12 * 20)^(1/4) = 33600^(1/4) = 13.53899
//   jitter: |14-10| = 4, |12-14| = 2, |20-12| = 8 -> Jttr 8, Jmax 8,
//   Javg = (0 + 4 + 2 + 8) / 4 = 3.5 (mtr counts the first reply's 0)
//   Jint: 0 -> 4/16 = 0.25 -> 0.25 + (2 - 0.25)/16 = 0.359375 -> + (8 - 0.359375)/16 = 0.8369141
//   nearest rank over sorted 10 12 14 20: p50 = 2nd = 12, p95 = p99 = 4th = 20
TEST(RttAccumulatorTest, HandComputedFourReplies) {
  RttAccumulator acc;
  for (int ms : {10, 14, 12, 20}) acc.Add(absl::Milliseconds(ms));
  const RttSummary s = acc.Summary();
  EXPECT_EQ(s.count, 4);
  EXPECT_DOUBLE_EQ(Ms(s.last), 20);
  EXPECT_DOUBLE_EQ(Ms(s.best), 10);
  EXPECT_DOUBLE_EQ(Ms(s.worst), 20);
  EXPECT_DOUBLE_EQ(Ms(s.avg), 14);
  EXPECT_NEAR(Ms(s.stdev), std::sqrt(56.0 / 3.0), 1e-6);
  EXPECT_NEAR(Ms(s.gmean), std::pow(33600.0, 0.25), 1e-6);
  EXPECT_DOUBLE_EQ(Ms(s.jitter), 8);
  EXPECT_DOUBLE_EQ(Ms(s.jitter_max), 8);
  EXPECT_DOUBLE_EQ(Ms(s.jitter_avg), 3.5);
  EXPECT_NEAR(Ms(s.jitter_interarrival), 0.8369140625, 1e-6);
  EXPECT_NEAR(Ms(s.p50), 12, 12 * LatencyHistogram::kMaxRelativeError);
  EXPECT_DOUBLE_EQ(Ms(s.p95), 20);
  EXPECT_DOUBLE_EQ(Ms(s.p99), 20);
}

TEST(RttAccumulatorTest, JitterUsesPreviousReplyEvenWhenItDrops) {
  RttAccumulator acc;
  acc.Add(absl::Milliseconds(30));
  acc.Add(absl::Milliseconds(10));
  EXPECT_EQ(acc.Summary().jitter, absl::Milliseconds(20));
  acc.Add(absl::Milliseconds(11));
  EXPECT_EQ(acc.Summary().jitter, absl::Milliseconds(1));
  EXPECT_EQ(acc.Summary().jitter_max, absl::Milliseconds(20));
}

TEST(RttAccumulatorTest, StdevIsSampleStdevOnConstantInput) {
  RttAccumulator acc;
  for (int i = 0; i < 100; ++i) acc.Add(absl::Microseconds(1500));
  const RttSummary s = acc.Summary();
  EXPECT_EQ(s.stdev, absl::ZeroDuration());
  EXPECT_EQ(s.avg, absl::Microseconds(1500));
  EXPECT_EQ(s.gmean, absl::Microseconds(1500));
  EXPECT_EQ(s.p99, absl::Microseconds(1500));
}

TEST(RttAccumulatorTest, NegativeAndZeroRttsAreSafe) {
  RttAccumulator acc;
  acc.Add(absl::Milliseconds(-5));
  acc.Add(absl::ZeroDuration());
  const RttSummary s = acc.Summary();
  EXPECT_EQ(s.count, 2);
  EXPECT_EQ(s.best, absl::ZeroDuration());
  EXPECT_EQ(s.worst, absl::ZeroDuration());
  EXPECT_EQ(s.gmean, absl::ZeroDuration());  // clamped to [best, worst]
  EXPECT_EQ(s.avg, absl::ZeroDuration());
}

TEST(RttAccumulatorTest, PercentilesOnManySamplesWithinDocumentedError) {
  RttAccumulator acc;
  // 1..1000 ms in a scrambled order: nearest rank p50 = 500, p95 = 950, p99 = 990.
  for (int i = 0; i < 1000; ++i) acc.Add(absl::Milliseconds((i * 379) % 1000 + 1));
  const RttSummary s = acc.Summary();
  const double e = LatencyHistogram::kMaxRelativeError;
  EXPECT_NEAR(Ms(s.p50), 500, 500 * e);
  EXPECT_NEAR(Ms(s.p95), 950, 950 * e);
  EXPECT_NEAR(Ms(s.p99), 990, 990 * e);
  EXPECT_DOUBLE_EQ(Ms(s.avg), 500.5);
  EXPECT_DOUBLE_EQ(Ms(s.best), 1);
  EXPECT_DOUBLE_EQ(Ms(s.worst), 1000);
}

}  // namespace
}  // namespace pathpair::engine
