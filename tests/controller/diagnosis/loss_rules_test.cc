// Loss rules at their boundaries: significance (Wilson), rate limiting vs persistent loss,
// unresponsive hops, destination-only loss and the effective loss.
#include "controller/diagnosis/loss_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/paired_rules.h"
#include "tests/controller/diagnosis/finding_matchers.h"
#include "tests/controller/diagnosis/trace_builder.h"

namespace pathpair::diagnosis {
namespace {

using ::testing::ElementsAre;
using testing::Has;
using ::testing::IsEmpty;
using testing::TraceBuilder;
using testing::TtlsOf;
using testing::WithCode;

HopView Hop(int sent, int received) {
  HopView hop;
  hop.sent = sent;
  hop.received = received;
  return hop;
}

TEST(SignificantLossTest, Boundaries) {
  EXPECT_FALSE(HasSignificantLoss(Hop(10, 10)));
  EXPECT_FALSE(HasSignificantLoss(Hop(10, 9)));    // 1 in 10: lower bound 1.8%
  EXPECT_TRUE(HasSignificantLoss(Hop(10, 8)));     // 2 in 10: lower bound 5.7%
  EXPECT_FALSE(HasSignificantLoss(Hop(100, 96)));  // 4 in 100: lower bound 1.6%
  EXPECT_TRUE(HasSignificantLoss(Hop(100, 95)));   // 5 in 100: lower bound 2.2%
  EXPECT_TRUE(HasSignificantLoss(Hop(100, 70)));   // 30 in 100
  EXPECT_FALSE(HasSignificantLoss(Hop(0, 0)));
}

// Clean hops 1..n-1 then the destination, with loss at chosen hops.
TraceBuilder Path(std::initializer_list<std::pair<int, int>> sent_received) {
  TraceBuilder b("203.0.113.10");
  int ttl = 0;
  for (const auto& [sent, received] : sent_received) {
    ++ttl;
    b.Hop("198.51.100." + std::to_string(ttl), sent, received, 5.0 + ttl);
  }
  return b;
}

v1::Diagnosis DiagnoseReached(TraceBuilder b, int dest_sent, int dest_received) {
  return DiagnoseTrace(b.Hop("203.0.113.10", dest_sent, dest_received, 20).Reached().Build());
}

TEST(LossRulesTest, LossWithCleanLaterHopsIsRateLimiting) {
  const v1::Diagnosis d = DiagnoseReached(Path({{10, 10}, {10, 5}, {10, 10}}), 10, 10);
  EXPECT_THAT(TtlsOf(d, v1::ICMP_RATE_LIMITED_HOP), ElementsAre(2));
  EXPECT_FALSE(Has(d, v1::PACKET_LOSS));
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
  EXPECT_DOUBLE_EQ(d.effective_loss_pct(), 0);
}

TEST(LossRulesTest, EvenOneLostProbeBeforeCleanHopsIsExplained) {
  const v1::Diagnosis d = DiagnoseReached(Path({{10, 9}, {10, 10}}), 10, 10);
  const auto found = WithCode(d, v1::ICMP_RATE_LIMITED_HOP);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_LT(found[0].confidence(), 0.9);  // 1 lost in 10 vs 0 in 10: not sure of much
}

TEST(LossRulesTest, LossThatContinuesIsPacketLossAtTheFirstHop) {
  const v1::Diagnosis d = DiagnoseReached(Path({{20, 20}, {20, 20}, {20, 14}, {20, 13}}), 20, 14);
  EXPECT_THAT(TtlsOf(d, v1::PACKET_LOSS), ElementsAre(3));
  EXPECT_FALSE(Has(d, v1::ICMP_RATE_LIMITED_HOP));
  const v1::Finding f = WithCode(d, v1::PACKET_LOSS)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_PROBLEM);
  EXPECT_GT(f.confidence(), 0.975);
  EXPECT_EQ(f.probes(), 40);  // hop 3 and the destination the effective loss is read from
  // Effective: the smaller of the last two answering hops (hop 4: 35%, destination: 30%).
  EXPECT_DOUBLE_EQ(d.effective_loss_pct(), 30);
  EXPECT_EQ(d.effective_loss_ttl(), 5);
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(LossRulesTest, AHopThatLostLessByChanceDoesNotMoveTheStart) {
  // A 20% loss from hop 2 on, where hop 3 happened to lose 1 in 20: loss still starts at hop 2.
  const v1::Diagnosis d = DiagnoseReached(Path({{20, 20}, {20, 16}, {20, 19}, {20, 16}}), 20, 16);
  EXPECT_THAT(TtlsOf(d, v1::PACKET_LOSS), ElementsAre(2));
  // 1 in 20 is well below a 40% loss: there the run starts after it.
  const v1::Diagnosis heavy =
      DiagnoseReached(Path({{20, 20}, {20, 12}, {20, 19}, {20, 12}}), 20, 12);
  EXPECT_THAT(TtlsOf(heavy, v1::PACKET_LOSS), ElementsAre(4));
  // A clean hop ends the run as before.
  const v1::Diagnosis clean =
      DiagnoseReached(Path({{20, 20}, {20, 16}, {20, 20}, {20, 16}}), 20, 16);
  EXPECT_THAT(TtlsOf(clean, v1::PACKET_LOSS), ElementsAre(4));
}

TEST(LossRulesTest, BothRateLimitingAndRealLoss) {
  // Hop 2 limits ICMP; loss from hop 4 on is real. A clean hop 3 splits them.
  const v1::Diagnosis d =
      DiagnoseReached(Path({{30, 30}, {30, 15}, {30, 30}, {30, 22}, {30, 21}}), 30, 22);
  EXPECT_THAT(TtlsOf(d, v1::ICMP_RATE_LIMITED_HOP), ElementsAre(2));
  EXPECT_THAT(TtlsOf(d, v1::PACKET_LOSS), ElementsAre(4));
  EXPECT_NEAR(d.effective_loss_pct(), 26.667, 1e-3);  // destination 8/30, not hop 2's 50%
}

TEST(LossRulesTest, NoiseLevelLossEverywhereIsNotPacketLoss) {
  // 1 lost in 10 at every later hop: within sampling noise.
  const v1::Diagnosis d = DiagnoseReached(Path({{10, 10}, {10, 9}, {10, 9}}), 10, 9);
  EXPECT_FALSE(Has(d, v1::PACKET_LOSS));
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
  // Same rate with ten times the probes is real.
  const v1::Diagnosis more = DiagnoseReached(Path({{100, 100}, {100, 90}, {100, 90}}), 100, 90);
  EXPECT_THAT(TtlsOf(more, v1::PACKET_LOSS), ElementsAre(2));
}

TEST(LossRulesTest, SilentMiddleHopIsUnresponsiveNotLoss) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 10, 10, 2)
                                            .Silent(10)
                                            .Hop("198.51.100.3", 10, 10, 4)
                                            .Hop("203.0.113.10", 10, 10, 6)
                                            .Reached()
                                            .Build());
  EXPECT_THAT(TtlsOf(d, v1::UNRESPONSIVE_HOP), ElementsAre(2));
  EXPECT_FALSE(Has(d, v1::PACKET_LOSS));
  EXPECT_FALSE(Has(d, v1::LINK_INTERRUPTION));
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
}

TEST(LossRulesTest, SilentHopInsideALossyRunDoesNotBreakIt) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 20, 20, 2)
                                            .Hop("198.51.100.2", 20, 14, 3)
                                            .Silent(20)
                                            .Hop("203.0.113.10", 20, 14, 6)
                                            .Reached()
                                            .Build());
  EXPECT_THAT(TtlsOf(d, v1::PACKET_LOSS), ElementsAre(2));
  EXPECT_FALSE(Has(d, v1::DEST_ICMP_RATE_LIMITED));
}

TEST(LossRulesTest, LossOnlyAtTheDestinationIsDestinationRateLimiting) {
  const v1::Diagnosis d = DiagnoseReached(Path({{20, 20}, {20, 20}}), 20, 12);
  EXPECT_THAT(TtlsOf(d, v1::DEST_ICMP_RATE_LIMITED), ElementsAre(3));
  EXPECT_FALSE(Has(d, v1::PACKET_LOSS));
  const v1::Finding f = WithCode(d, v1::DEST_ICMP_RATE_LIMITED)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_WARNING);
  EXPECT_EQ(f.area(), v1::NETWORK_AREA_DESTINATION);
  EXPECT_THAT(f.action(), ::testing::HasSubstr("security policy"));
  EXPECT_DOUBLE_EQ(d.effective_loss_pct(), 0);  // read from hop 2 too: the path is clean
  // Below significance at the destination: nothing.
  const v1::Diagnosis noise = DiagnoseReached(Path({{10, 10}, {10, 10}}), 10, 9);
  EXPECT_FALSE(Has(noise, v1::DEST_ICMP_RATE_LIMITED));
  EXPECT_EQ(noise.verdict(), v1::VERDICT_HEALTHY);
}

TEST(LossRulesTest, MostPacketsLostIsBroken) {
  const v1::Diagnosis d = DiagnoseReached(Path({{20, 20}, {20, 10}}), 20, 10);
  EXPECT_DOUBLE_EQ(d.effective_loss_pct(), 50);
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
  const v1::Diagnosis below = DiagnoseReached(Path({{20, 20}, {20, 13}}), 20, 13);
  EXPECT_EQ(below.verdict(), v1::VERDICT_DEGRADED);
}

TEST(LossRulesTest, HeavyLossFromAHopOnIsAnInterruption) {
  // netsim's link_interruption_midway: hops 5 on answered for the first half of the trace,
  // then never again (>= 45% everywhere): LINK_INTERRUPTION at hop 4, the last clean hop.
  const v1::Diagnosis d = DiagnoseReached(
      Path({{40, 40}, {40, 40}, {40, 40}, {40, 40}, {40, 21}, {40, 20}, {40, 22}}), 40, 20);
  EXPECT_THAT(TtlsOf(d, v1::LINK_INTERRUPTION), ElementsAre(4));
  EXPECT_FALSE(Has(d, v1::PACKET_LOSS));
  EXPECT_EQ(WithCode(d, v1::LINK_INTERRUPTION)[0].address(), "198.51.100.4");
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
  // Just below the threshold at one hop: ordinary (heavy) packet loss from hop 5.
  const v1::Diagnosis lossy = DiagnoseReached(
      Path({{40, 40}, {40, 40}, {40, 40}, {40, 40}, {40, 21}, {40, 25}, {40, 22}}), 40, 22);
  EXPECT_THAT(TtlsOf(lossy, v1::PACKET_LOSS), ElementsAre(5));
  EXPECT_FALSE(Has(lossy, v1::LINK_INTERRUPTION));
}

TEST(LossRulesTest, RateLimitingOnTopOfRealLoss) {
  // netsim's loss_and_rate_limit: ~30% from hop 3 on, and hop 4 limits its ICMP on top.
  const v1::Diagnosis d =
      DiagnoseReached(Path({{40, 40}, {40, 40}, {40, 28}, {40, 10}, {40, 28}}), 40, 28);
  EXPECT_THAT(TtlsOf(d, v1::PACKET_LOSS), ElementsAre(3));
  EXPECT_THAT(TtlsOf(d, v1::ICMP_RATE_LIMITED_HOP), ElementsAre(4));
  EXPECT_NEAR(d.effective_loss_pct(), 30, 1e-9);
}

// A path of stock Linux routers and a stock Linux target at mtr's pace in UDP mode: every
// router's Time Exceeded and the target's Port Unreachable come from per-prober token buckets
// (about 1/s after a burst of 6), so each hop, the destination included, answers 11 of 30.
v1::TraceResult RationedUdpTrace() {
  TraceBuilder b("203.0.113.10");
  b.Protocol(v1::PROTOCOL_UDP);
  for (int ttl = 1; ttl <= 4; ++ttl) b.Hop("198.51.100." + std::to_string(ttl), 30, 11, 1.0 + ttl);
  return b.Hop("203.0.113.10", 30, 11, 6).Reached().Build();
}

v1::Diagnosis WithEcho(const v1::TraceResult& trace, int sent, int received) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = trace;
  input.mutable_forward_destination_cross_check()->set_protocol(v1::PROTOCOL_ICMP);
  input.mutable_forward_destination_cross_check()->set_sent(sent);
  input.mutable_forward_destination_cross_check()->set_received(received);
  return Diagnose(input);
}

double Evidence(const v1::Finding& finding, const std::string& name) {
  for (const v1::Evidence& e : finding.evidence()) {
    if (e.name() == name) return e.number();
  }
  ADD_FAILURE() << "no evidence " << name;
  return -1;
}

TEST(DestinationCrossCheckTest, WithoutCrossCheckRationingLooksLikeAnInterruption) {
  // What the guide's reading alone makes of it (and why the cross-check exists).
  const v1::Diagnosis d = DiagnoseTrace(RationedUdpTrace());
  EXPECT_TRUE(Has(d, v1::LINK_INTERRUPTION));
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
}

TEST(DestinationCrossCheckTest, EchoAnsweredMakesItRateLimitingAndHealthy) {
  const v1::Diagnosis d = WithEcho(RationedUdpTrace(), 20, 20);
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY) << d.DebugString();
  EXPECT_THAT(TtlsOf(d, v1::ICMP_RATE_LIMITED_HOP), ElementsAre(1, 2, 3, 4));
  EXPECT_FALSE(Has(d, v1::LINK_INTERRUPTION));
  EXPECT_FALSE(Has(d, v1::PACKET_LOSS));
  ASSERT_THAT(TtlsOf(d, v1::DEST_ICMP_RATE_LIMITED), ElementsAre(5));
  const v1::Finding f = WithCode(d, v1::DEST_ICMP_RATE_LIMITED)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_INFO);
  EXPECT_NEAR(Evidence(f, "loss_pct"), 100.0 * 19 / 30, 0.01);  // the trace's figure, kept
  EXPECT_EQ(Evidence(f, "cross_check_sent"), 20);
  EXPECT_EQ(Evidence(f, "cross_check_loss_pct"), 0);
  EXPECT_THAT(f.summary(), ::testing::HasSubstr("ICMP echo"));
  EXPECT_THAT(f.action(), ::testing::StartsWith("None"));
  EXPECT_DOUBLE_EQ(d.effective_loss_pct(), 0);
}

// A UDP trace whose hop 1 answers every probe and hops 2-4 and the destination `received` of
// `sent`.
v1::TraceResult UdpTraceLosingFromHopTwo(int sent, int received) {
  TraceBuilder b("203.0.113.10");
  b.Protocol(v1::PROTOCOL_UDP).Hop("198.51.100.1", sent, sent, 1);
  for (int ttl = 2; ttl <= 4; ++ttl) {
    b.Hop("198.51.100." + std::to_string(ttl), sent, received, 1.0 + ttl);
  }
  return b.Hop("203.0.113.10", sent, received, 6).Reached().Build();
}

TEST(DestinationCrossCheckTest, EchoLosingAsMuchLeavesRealLossAlone) {
  // 30% real loss from hop 2 on: echo loses as much, so nothing is explained away.
  const v1::Diagnosis d = WithEcho(UdpTraceLosingFromHopTwo(30, 21), 20, 14);
  EXPECT_THAT(TtlsOf(d, v1::PACKET_LOSS), ElementsAre(2));
  EXPECT_FALSE(Has(d, v1::DEST_ICMP_RATE_LIMITED));
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(DestinationCrossCheckTest, RationingOnTopOfRealLossKeepsTheRealLoss) {
  // Hops 2-5 lose 70% in UDP mode; echo gets 25% loss: the path loses 25%, the rest is rationing.
  const v1::Diagnosis d = WithEcho(UdpTraceLosingFromHopTwo(40, 12), 40, 30);
  EXPECT_THAT(TtlsOf(d, v1::PACKET_LOSS), ElementsAre(2));
  EXPECT_FALSE(Has(d, v1::LINK_INTERRUPTION));
  EXPECT_NEAR(d.effective_loss_pct(), 25, 1e-9);
  EXPECT_EQ(WithCode(d, v1::DEST_ICMP_RATE_LIMITED).size(), 1u);
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(DestinationCrossCheckTest, TooFewCrossCheckPacketsProveNothing) {
  const v1::Diagnosis d =
      WithEcho(RationedUdpTrace(), kMinCrossCheckPackets - 1, kMinCrossCheckPackets - 1);
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
  EXPECT_FALSE(Has(d, v1::DEST_ICMP_RATE_LIMITED));
}

TEST(DestinationCrossCheckTest, MalformedCrossCheckIsIgnored) {
  EXPECT_EQ(WithEcho(RationedUdpTrace(), 20, 25).verdict(), v1::VERDICT_BROKEN);
  EXPECT_EQ(WithEcho(RationedUdpTrace(), 20, -1).verdict(), v1::VERDICT_BROKEN);
  EXPECT_EQ(WithEcho(RationedUdpTrace(), -5, 0).verdict(), v1::VERDICT_BROKEN);
}

TEST(DestinationCrossCheckTest, ACleanDestinationNeedsNoCrossCheck) {
  const v1::Diagnosis d =
      WithEcho(Path({{10, 10}, {10, 5}}).Hop("203.0.113.10", 10, 10, 9).Reached().Build(), 20, 20);
  EXPECT_FALSE(Has(d, v1::DEST_ICMP_RATE_LIMITED));
  EXPECT_THAT(TtlsOf(d, v1::ICMP_RATE_LIMITED_HOP), ElementsAre(2));
}

TEST(DestinationCrossCheckTest, PairedRunsDecideByTheOneWayPackets) {
  // Both traces rationed at every hop; the agents' own packets all arrive both ways.
  v1::DiagnosisInput input;
  *input.mutable_forward() = RationedUdpTrace();
  TraceBuilder back("198.51.100.200");
  back.Protocol(v1::PROTOCOL_UDP);
  for (int ttl = 1; ttl <= 4; ++ttl)
    back.Hop("198.51.100." + std::to_string(20 + ttl), 30, 11, 1.0 + ttl);
  *input.mutable_reverse() = back.Hop("198.51.100.200", 30, 11, 6).Reached().Build();
  *input.mutable_forward_oneway() = testing::OneWay(300, 300);
  *input.mutable_reverse_oneway() = testing::OneWay(300, 300);
  const v1::Diagnosis d = Diagnose(input);
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY) << d.DebugString();
  const std::vector<v1::Finding> dest = WithCode(d, v1::DEST_ICMP_RATE_LIMITED);
  ASSERT_EQ(dest.size(), 2u);
  for (const v1::Finding& f : dest) {
    EXPECT_EQ(f.severity(), v1::SEVERITY_INFO);
    EXPECT_THAT(f.summary(), ::testing::HasSubstr("one-way"));
  }
  EXPECT_FALSE(Has(d, v1::LOSS_FORWARD_DIRECTION));
  EXPECT_FALSE(Has(d, v1::LOSS_REVERSE_DIRECTION));
}

TEST(DestinationCrossCheckTest, OneWayLossOnTheWayBackIsNotExplainedAway) {
  // ICMP limits off, 20% lost on the way back: the forward trace's destination loses its
  // replies, as the one-way packets do; LOSS_REVERSE_DIRECTION stays the answer.
  v1::DiagnosisInput input;
  *input.mutable_forward() =
      Path({{50, 50}, {50, 50}}).Hop("203.0.113.10", 50, 40, 9).Reached().Build();
  TraceBuilder back("198.51.100.200");
  back.Hop("198.51.100.21", 50, 50, 1)
      .Hop("198.51.100.22", 50, 41, 2)
      .Hop("198.51.100.200", 50, 40, 3);
  *input.mutable_reverse() = back.Reached().Build();
  *input.mutable_forward_oneway() = testing::OneWay(200, 200);
  *input.mutable_reverse_oneway() = testing::OneWay(200, 160);
  const v1::Diagnosis d = Diagnose(input);
  // The forward trace's destination loses its replies on the way back: explained by
  // LOSS_REVERSE_DIRECTION, not by the cross-check (the one-way packets lose as much).
  for (const v1::Finding& f : WithCode(d, v1::DEST_ICMP_RATE_LIMITED)) {
    EXPECT_EQ(f.severity(), v1::SEVERITY_INFO);
    EXPECT_THAT(f.action(), ::testing::HasSubstr("LOSS_REVERSE_DIRECTION"));
    for (const v1::Evidence& e : f.evidence()) EXPECT_NE(e.name(), "cross_check");
  }
  EXPECT_TRUE(Has(d, v1::LOSS_REVERSE_DIRECTION));
  EXPECT_FALSE(Has(d, v1::LOSS_FORWARD_DIRECTION));
}

TEST(DestinationCrossCheckTest, OneWayCrossCheckCombinesBothDirections) {
  const v1::OneWayResult out = testing::OneWay(100, 90);
  const v1::OneWayResult back = testing::OneWay(200, 100);
  const std::optional<DestinationCrossCheck> check = OneWayCrossCheck(&out, &back);
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->sent, 100);
  EXPECT_EQ(check->received, 45);  // 0.9 x 0.5
  EXPECT_FALSE(OneWayCrossCheck(&out, nullptr).has_value());
  const v1::OneWayResult none = testing::OneWay(0, 0);
  EXPECT_FALSE(OneWayCrossCheck(&out, &none).has_value());
}

}  // namespace
}  // namespace pathpair::diagnosis
