#include "agent/engine/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace pathpair::engine {
namespace {

// Nearest-rank percentile of the exact samples, the reference the histogram approximates.
double ExactPercentile(std::vector<double> sorted, double percent) {
  std::sort(sorted.begin(), sorted.end());
  const auto rank = static_cast<size_t>(
      std::max(1.0, std::ceil(percent / 100.0 * static_cast<double>(sorted.size()))));
  return sorted[std::min(rank, sorted.size()) - 1];
}

TEST(LatencyHistogramTest, EmptyGivesZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.Percentile(50), absl::ZeroDuration());
}

TEST(LatencyHistogramTest, BoundedMemory) {
  // The documented bound: at most one 32-bit counter per bucket plus the object itself, however
  // many samples and distinct buckets.
  LatencyHistogram h;
  const size_t bound = LatencyHistogram::kBucketCount * 4 + sizeof(LatencyHistogram);
  EXPECT_LT(bound, 4096u);
  for (int bucket = 0; bucket < LatencyHistogram::kBucketCount; ++bucket) {
    // From 1 us to about 134 s, every bucket's width apart, then past the top octave.
    h.Add(absl::Nanoseconds(std::llround(1000 * std::pow(2.0, bucket / 32.0))));
    ASSERT_LE(h.MemoryBytes(), bound) << "after " << bucket + 1 << " samples";
  }
  for (int i = 0; i < 100000; ++i) h.Add(absl::Microseconds(i));
  EXPECT_LE(h.MemoryBytes(), bound);
  for (uint32_t i = 0; i <= LatencyHistogram::kMaxSparseCount; ++i) h.Add(absl::Milliseconds(5));
  EXPECT_TRUE(h.dense());
  EXPECT_LE(h.MemoryBytes(), bound);
}

// What an agent keeps per hop for every trace it serves (issue 13: 1,000 traces in 64 MB):
// RTTs that vary by some microseconds around a typical value fill a few dozen buckets, and take
// a small fraction of one counter per bucket.
TEST(LatencyHistogramTest, FewBucketsTakeLittleMemory) {
  std::mt19937 rng(7);
  std::normal_distribution<double> rtt_us(80.0, 8.0);
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) h.Add(absl::Nanoseconds(std::llround(1000 * rtt_us(rng))));
  EXPECT_FALSE(h.dense());
  EXPECT_LE(h.MemoryBytes(), 512u);
  EXPECT_LT(h.MemoryBytes() * 6, LatencyHistogram::kBucketCount * sizeof(uint32_t));
}

// Percentiles do not depend on how the counts are kept: the same samples give the same answers
// before and after a bucket's count outgrows its sparse word and the histogram turns dense.
TEST(LatencyHistogramTest, SparseAndDenseAgree) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> exponent(0.0, 8.0);
  LatencyHistogram h;
  std::vector<double> micros;
  for (int i = 0; i < 2000; ++i) {
    const double us = std::pow(10.0, exponent(rng));
    micros.push_back(us);
    h.Add(absl::Nanoseconds(std::llround(us * 1000)));
  }
  std::sort(micros.begin(), micros.end());
  // The rank-th smallest sample, asked for as a percentile of all `total` samples.
  auto check_rank = [&](size_t rank, int64_t total) {
    const double percent = 100.0 * (static_cast<double>(rank) - 0.5) / static_cast<double>(total);
    const double exact = micros[rank - 1];
    EXPECT_NEAR(absl::ToDoubleMicroseconds(h.Percentile(percent)), exact,
                exact * LatencyHistogram::kMaxRelativeError + 0.002)
        << "rank " << rank << " of " << total << ", dense " << h.dense();
  };
  EXPECT_FALSE(h.dense());
  for (size_t rank : {1, 10, 500, 1000, 1999, 2000}) check_rank(rank, h.count());
  // Samples far above all of them (past the top octave), until the last bucket's count no
  // longer fits a sparse word: the ranks of the first 2000 stay where they were.
  for (uint32_t i = 0; i <= LatencyHistogram::kMaxSparseCount; ++i) h.Add(absl::Hours(1));
  EXPECT_TRUE(h.dense());
  EXPECT_EQ(h.count(), 2000 + int64_t{LatencyHistogram::kMaxSparseCount} + 1);
  for (size_t rank : {1, 10, 500, 1000, 1999, 2000}) check_rank(rank, h.count());
  EXPECT_GT(h.Percentile(50), absl::Seconds(60));
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
