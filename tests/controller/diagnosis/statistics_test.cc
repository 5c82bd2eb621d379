#include "controller/diagnosis/statistics.h"

#include <gtest/gtest.h>

namespace pathpair::diagnosis {
namespace {

TEST(WilsonIntervalTest, OneInTenIsCompatibleWithAlmostNoLoss) {
  const Interval ci = WilsonInterval(1, 10);
  EXPECT_NEAR(ci.low, 0.0179, 1e-3);
  EXPECT_NEAR(ci.high, 0.4042, 1e-3);
}

TEST(WilsonIntervalTest, ThirtyInHundredIsClearlyLoss) {
  const Interval ci = WilsonInterval(30, 100);
  EXPECT_NEAR(ci.low, 0.2189, 1e-3);
  EXPECT_NEAR(ci.high, 0.3958, 1e-3);
}

TEST(WilsonIntervalTest, EdgesAndBadInput) {
  EXPECT_EQ(WilsonInterval(0, 0).low, 0);
  EXPECT_EQ(WilsonInterval(0, 0).high, 1);
  EXPECT_EQ(WilsonInterval(0, 50).low, 0);
  EXPECT_EQ(WilsonInterval(50, 50).high, 1);
  EXPECT_EQ(WilsonInterval(-3, 10).low, 0);   // clamped to 0/10
  EXPECT_EQ(WilsonInterval(99, 10).high, 1);  // clamped to 10/10
  EXPECT_EQ(WilsonInterval(5, -1).high, 1);
}

TEST(ConfidenceTest, ScoreTestMatchesTheInterval) {
  // The lower Wilson bound is where the one-sided confidence crosses 97.5%.
  const Interval ci = WilsonInterval(30, 100);
  EXPECT_NEAR(ConfidenceRateAbove(30, 100, ci.low), 0.975, 1e-3);
  EXPECT_NEAR(ConfidenceRateBelow(30, 100, ci.high), 0.975, 1e-3);
  EXPECT_EQ(ConfidenceRateAbove(0, 0, 0.5), 0.5);
  EXPECT_GT(ConfidenceRateAbove(30, 100, 0.02), 0.999);
  EXPECT_LT(ConfidenceRateAbove(1, 10, 0.02), 0.975);
}

TEST(ConfidenceTest, Differences) {
  EXPECT_EQ(ConfidenceDifferencePositive(5, 0, 0), 1);
  EXPECT_EQ(ConfidenceDifferencePositive(-5, 0, 0), 0);
  EXPECT_NEAR(ConfidenceDifferencePositive(0, 1, 1), 0.5, 1e-9);
  EXPECT_NEAR(RoundConfidence(0.97512), 0.975, 1e-12);
  EXPECT_EQ(RoundConfidence(1.5), 1);
  EXPECT_EQ(RoundConfidence(-1), 0);
}

}  // namespace
}  // namespace pathpair::diagnosis
