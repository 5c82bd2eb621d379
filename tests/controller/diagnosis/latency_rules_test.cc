// Latency and jitter rules at their boundaries.
#include "controller/diagnosis/latency_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/diagnosis/diagnose.h"
#include "tests/controller/diagnosis/finding_matchers.h"
#include "tests/controller/diagnosis/trace_builder.h"

namespace pathpair::diagnosis {
namespace {

using ::testing::ElementsAre;
using testing::Has;
using ::testing::HasSubstr;
using testing::TraceBuilder;
using testing::TtlsOf;
using testing::WithCode;

// Hops with the given averages, the last one the destination. A rise in Avg is queueing, as
// behind congestion: Best stays at the lowest level so far (90% of it), so no step is steady
// enough to be a long-distance link (distance_rules.h; see LongLinkTest for steady steps).
v1::Diagnosis Averages(std::initializer_list<double> avgs) {
  TraceBuilder b("203.0.113.10");
  int ttl = 0;
  const int count = static_cast<int>(avgs.size());
  double lowest = *avgs.begin();
  for (double avg : avgs) {
    ++ttl;
    lowest = std::min(lowest, avg);
    b.Hop(ttl == count ? "203.0.113.10" : "198.51.100." + std::to_string(ttl), 20, 20, avg,
          0.9 * lowest);
  }
  return DiagnoseTrace(b.Reached().Build());
}

TEST(LatencyStepTest, PersistentStepIsLatencyIncrease) {
  const v1::Diagnosis d = Averages({2, 3, 4, 45, 46, 47});
  EXPECT_THAT(TtlsOf(d, v1::LATENCY_INCREASE), ElementsAre(4));
  const v1::Finding f = WithCode(d, v1::LATENCY_INCREASE)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_WARNING);
  EXPECT_THAT(f.summary(), HasSubstr("return path"));
  EXPECT_NEAR(FindEvidence(f, "step_ms")->number(), 41, 1e-9);
  EXPECT_GT(f.confidence(), 0.9);
  EXPECT_FALSE(Has(d, v1::ICMP_SLOW_PATH_LATENCY));
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(LatencyStepTest, AbsoluteBoundary) {
  EXPECT_FALSE(Has(Averages({10, 10, 39.9, 40, 40}), v1::LATENCY_INCREASE));  // 29.9 ms
  EXPECT_TRUE(Has(Averages({10, 10, 40, 40, 41}), v1::LATENCY_INCREASE));     // 30 ms
}

TEST(LatencyStepTest, RelativeBoundary) {
  // On a long path a 30 ms step is only an exception if it is half the level before it.
  EXPECT_FALSE(Has(Averages({100, 100, 149, 149}), v1::LATENCY_INCREASE));
  EXPECT_TRUE(Has(Averages({100, 100, 150, 150}), v1::LATENCY_INCREASE));
}

TEST(LatencyStepTest, StepThatReturnsToNormalIsSlowPath) {
  const v1::Diagnosis d = Averages({2, 3, 60, 4, 5});
  EXPECT_THAT(TtlsOf(d, v1::ICMP_SLOW_PATH_LATENCY), ElementsAre(3));
  EXPECT_FALSE(Has(d, v1::LATENCY_INCREASE));
  EXPECT_EQ(WithCode(d, v1::ICMP_SLOW_PATH_LATENCY)[0].severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
}

TEST(LatencyStepTest, SlowPathBoundary) {
  // 4.9 ms above the neighbours is noise; 5 ms is a slow path.
  EXPECT_FALSE(Has(Averages({2, 2, 6.9, 2, 2}), v1::ICMP_SLOW_PATH_LATENCY));
  EXPECT_TRUE(Has(Averages({2, 2, 7, 2, 2}), v1::ICMP_SLOW_PATH_LATENCY));
  // At a higher level the excess must also be half the level after it.
  EXPECT_FALSE(Has(Averages({40, 40, 59, 40, 40}), v1::ICMP_SLOW_PATH_LATENCY));
  EXPECT_TRUE(Has(Averages({40, 40, 60, 40, 40}), v1::ICMP_SLOW_PATH_LATENCY));
}

TEST(LatencyStepTest, SpikeBeforeAPersistentStepCountsFromTheLowerLevel) {
  // Hop 3 is a slow-path bump on top of a step that lasts from hop 4.
  const v1::Diagnosis d = Averages({5, 5, 90, 50, 51, 52});
  EXPECT_THAT(TtlsOf(d, v1::LATENCY_INCREASE), ElementsAre(3));
}

TEST(LatencyStepTest, HopsWithOneReplyAreIgnored) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 20, 20, 2)
                                            .Hop("198.51.100.2", 20, 1, 90)
                                            .Hop("203.0.113.10", 20, 20, 3)
                                            .Reached()
                                            .Build());
  EXPECT_FALSE(Has(d, v1::ICMP_SLOW_PATH_LATENCY));
}

HopView Rtt(double avg, double best, double worst, double stdev, int received = 20) {
  HopView hop;
  hop.sent = received;
  hop.received = received;
  hop.avg_ms = avg;
  hop.best_ms = best;
  hop.worst_ms = worst;
  hop.stdev_ms = stdev;
  return hop;
}

TEST(JitterTest, StdevIsJudgedRelativeToAvg) {
  // The guide's example: 25 ms is large at Avg 30 ms, small at Avg 325 ms.
  EXPECT_TRUE(HasHighJitter(Rtt(30, 5, 90, 25)));
  EXPECT_FALSE(HasHighJitter(Rtt(325, 290, 390, 25)));
  // Boundaries: StDev/Avg 0.25 and StDev 5 ms.
  EXPECT_TRUE(HasHighJitter(Rtt(40, 20, 70, 10)));
  EXPECT_FALSE(HasHighJitter(Rtt(40.1, 20, 70, 10)));
  EXPECT_FALSE(HasHighJitter(Rtt(4, 1, 9, 4.9)));
  EXPECT_FALSE(HasHighJitter(Rtt(30, 5, 90, 25, /*received=*/3)));
}

TEST(JitterTest, HighWrstWithNormalAvgIsATransientSpike) {
  EXPECT_TRUE(IsTransientSpike(Rtt(3.3, 2.1, 31.6, 5.1)));
  EXPECT_FALSE(HasHighJitter(Rtt(3.3, 2.1, 31.6, 5.1)));
  // Avg pulled well above Best: steady jitter, not one probe.
  EXPECT_FALSE(IsTransientSpike(Rtt(30, 5, 90, 25)));
  // Wrst below 3x Avg: not a spike.
  EXPECT_FALSE(IsTransientSpike(Rtt(10, 9, 29, 4)));
  EXPECT_TRUE(IsTransientSpike(Rtt(10, 9, 30, 4)));
}

TEST(JitterTest, JitterThatReachesTheEndIsReportedWhereItStarts) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 20, 20, 2, 1.8, 2.3, 0.1)
                                            .Hop("198.51.100.2", 20, 20, 30, 5, 90, 25)
                                            .Hop("198.51.100.3", 20, 20, 32, 6, 95, 26)
                                            .Hop("203.0.113.10", 20, 20, 33, 7, 99, 24)
                                            .Reached()
                                            .Build());
  EXPECT_THAT(TtlsOf(d, v1::HIGH_JITTER), ElementsAre(2));
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(JitterTest, OneCalmHopDoesNotSplitTheRun) {
  // netsim's high_jitter: heavy-tailed jitter from hop 4; one later hop's sample happens to be
  // calm, and one looks like a single spike. Still one HIGH_JITTER, at hop 4, and no spikes.
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 40, 40, 1, 0.9, 1.2, 0.1)
                                            .Hop("198.51.100.2", 40, 40, 3, 2.8, 3.3, 0.1)
                                            .Hop("198.51.100.3", 40, 40, 7, 6.8, 7.4, 0.2)
                                            .Hop("203.0.113.4", 40, 40, 35, 12, 140, 25)
                                            .Hop("203.0.113.5", 40, 40, 30, 14, 60, 7)
                                            .Hop("203.0.113.6", 40, 40, 33, 13, 160, 27)
                                            .Hop("203.0.113.200", 40, 40, 36, 14, 120, 22)
                                            .Reached()
                                            .Build());
  EXPECT_THAT(TtlsOf(d, v1::HIGH_JITTER), ElementsAre(4));
  EXPECT_FALSE(Has(d, v1::TRANSIENT_SPIKE));
}

TEST(JitterTest, IsolatedJitterBeforeTheRunIsNotItsStart) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 20, 20, 30, 5, 90, 25)
                                            .Hop("198.51.100.2", 20, 20, 10, 9, 11, 0.5)
                                            .Hop("198.51.100.3", 20, 20, 11, 10, 12, 0.5)
                                            .Hop("203.0.113.4", 20, 20, 40, 12, 120, 25)
                                            .Hop("203.0.113.200", 20, 20, 42, 13, 130, 26)
                                            .Reached()
                                            .Build());
  EXPECT_THAT(TtlsOf(d, v1::HIGH_JITTER), ElementsAre(4));
}

TEST(JitterTest, SpikeIsNotAlsoASlowPath) {
  // netsim's transient_spike: two of 30 probes to hop 4 came back 250 ms late.
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 30, 30, 1, 0.9, 1.2, 0.1)
                                            .Hop("198.51.100.2", 30, 30, 3, 2.8, 3.3, 0.1)
                                            .Hop("198.51.100.3", 30, 30, 7, 6.8, 7.4, 0.2)
                                            .Hop("203.0.113.4", 30, 30, 27.7, 10.8, 261, 63.4)
                                            .Hop("203.0.113.5", 30, 30, 12, 11.8, 12.4, 0.2)
                                            .Hop("203.0.113.200", 30, 30, 14, 13.8, 14.4, 0.2)
                                            .Reached()
                                            .Build());
  EXPECT_THAT(TtlsOf(d, v1::TRANSIENT_SPIKE), ElementsAre(4));
  EXPECT_FALSE(Has(d, v1::ICMP_SLOW_PATH_LATENCY));
  EXPECT_FALSE(Has(d, v1::HIGH_JITTER));
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
}

TEST(JitterTest, ASpikeAtTheLastHopAloneIsASpike) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 30, 30, 2, 1.8, 2.3, 0.1)
                                            .Hop("203.0.113.200", 30, 30, 12, 4, 220, 40)
                                            .Reached()
                                            .Build());
  EXPECT_THAT(TtlsOf(d, v1::TRANSIENT_SPIKE), ElementsAre(2));
  EXPECT_FALSE(Has(d, v1::HIGH_JITTER));
}

TEST(JitterTest, JitterAtAMiddleHopOnlyIsNotReported) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 20, 20, 2)
                                            .Hop("198.51.100.2", 20, 20, 30, 5, 90, 25)
                                            .Hop("203.0.113.10", 20, 20, 33, 32, 34, 0.5)
                                            .Reached()
                                            .Build());
  EXPECT_FALSE(Has(d, v1::HIGH_JITTER));
}

TEST(JitterTest, TransientSpikeIsReportedAsInfo) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 33, 33, 3.3, 2.1, 31.6, 5.1)
                                            .Hop("203.0.113.10", 33, 33, 4)
                                            .Reached()
                                            .Build());
  EXPECT_THAT(TtlsOf(d, v1::TRANSIENT_SPIKE), ElementsAre(1));
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
}

}  // namespace
}  // namespace pathpair::diagnosis
