#include "agent/engine/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace pathpair::engine {
namespace {

TEST(LatencyHistogramTest, EmptyGivesZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.Percentile(50), absl::ZeroDuration());
}

TEST(LatencyHistogramTest, FixedMemory) {
  // The documented bound: one 32-bit counter per bucket plus the count.
  EXPECT_LE(sizeof(LatencyHistogram), LatencyHistogram::kBucketCount * 4 + 16);
  EXPECT_LT(sizeof(LatencyHistogram), 4096u);
}

// Nearest-rank percentile of the exact samples, the reference the histogram approximates.
double ExactPercentile(std::vector<double> sorted, double percent) {
  std::sort(sorted.begin(), sorted.end());
  const auto rank = static_cast<size_t>(
      std::max(1.0, std::ceil(percent / 100.0 * static_cast<double>(sorted.size()))));
  return sorted[std::min(rank, sorted.size()) - 1];
}

TEST(LatencyHistogramTest, RelativeErrorBoundHoldsAcrossDecades) {
  std::mt19937 rng(42);
  // Log-uniform from 1 us to 100 s.
  std::uniform_real_distribution<double> exponent(0.0, 8.0);
  std::vector<double> micros;
  LatencyHistogram h;
  for (int i = 0; i < 20000; ++i) {
    const double us = std::pow(10.0, exponent(rng));
    micros.push_back(us);
    h.Add(absl::Nanoseconds(std::llround(us * 1000)));
  }
  for (double p : {1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0}) {
    const double exact = ExactPercentile(micros, p);
    const double got = absl::ToDoubleMicroseconds(h.Percentile(p));
    // Nanosecond rounding of inputs adds at most 1 ns.
    EXPECT_NEAR(got, exact, exact * LatencyHistogram::kMaxRelativeError + 0.002) << "p" << p;
  }
}

TEST(LatencyHistogramTest, TinyAndHugeValues) {
  LatencyHistogram h;
  h.Add(absl::Nanoseconds(300));
  h.Add(absl::Seconds(-1));
  EXPECT_LE(absl::ToDoubleMicroseconds(h.Percentile(100)), 1.0);
  h.Add(absl::Hours(10));  // beyond the top octave: last bucket, no overflow
  EXPECT_GT(h.Percentile(100), absl::Seconds(60));
  EXPECT_EQ(h.count(), 3);
}

TEST(LatencyHistogramTest, PercentileArgumentIsClamped) {
  LatencyHistogram h;
  h.Add(absl::Milliseconds(5));
  EXPECT_NEAR(absl::ToDoubleMilliseconds(h.Percentile(-10)), 5,
              5 * LatencyHistogram::kMaxRelativeError);
  EXPECT_NEAR(absl::ToDoubleMilliseconds(h.Percentile(1000)), 5,
              5 * LatencyHistogram::kMaxRelativeError);
}

}  // namespace
}  // namespace pathpair::engine
