// The analysis guide's own sample analysis as a test: a table of its figures goes in, its
// conclusions come out.
//
// What the guide states about its sample (seed/000_6656faa3f6685aa3.txt, "Sample analysis" and
// the "Loss%" / "Latency" sections):
//   - packet loss at hops 2, 6, 7, 8 and 9; none at hops 3, 4, 5, 10, 11 and 15;
//   - hops 6-9 show loss "with varying rates"; the loss at hop 9 is 30.3% (and "30% packet
//     loss and high latency" at the ninth hop, while "the next hops return to normal");
//   - the Wrst at hop 4 is high but its Avg is not;
//   - averages across all nodes range from 1.8 ms to 17.6 ms;
//   - conclusions: the loss is ICMP rate limiting (later hops are clean), hop 4 is a transient
//     fluctuation during one probe, overall latency is low, "the network link in this example
//     is normal".
//
// Assumptions made to turn the text into a table (the figure itself is not in the guide's
// text):
//   A1. Snt = 33 at every hop: 30.3% is exactly 10 lost of 33 (no smaller count gives 30.3%).
//   A2. Loss rates: hop 2 3/33 (9.1%); hops 6-9 rise 4, 6, 8, 10 of 33 (12.1%, 18.2%, 24.2%,
//       30.3%): "varying rates" ending at 30.3% at hop 9.
//   A3. Hops 12-14 are not mentioned; they are modelled as hops that never answer (mtr's
//       "???"), which the guide does not count as loss. Hop 1 (not mentioned) is a clean LAN
//       gateway.
//   A4. Averages: 1.8 ms at hop 1 (the minimum) and 17.6 ms at hop 9 (the maximum, its "high
//       latency"); the others between, rising gently (the "sharp" rise after hop 6 is ~4 -> ~8
//       ms: within the 1.8-17.6 range the guide calls low).
//   A5. Hop 4: one slow probe (Wrst 31.6 ms) among 33, others ~2.4 ms: Avg 3.3, StDev 5.1.
//   A6. Addresses: 192.168.1.1 (LAN), 198.51.100.x (ISP, carrier), 203.0.113.x (destination
//       network), destination 203.0.113.10 answering at hop 15.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>

#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/render.h"
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

constexpr int kSnt = 33;  // A1

v1::TraceResult GuideSample() {
  return TraceBuilder("203.0.113.10")
      //   address          Snt   Rcv   Avg   Best  Wrst  StDev
      .Hop("192.168.1.1", kSnt, 33, 1.8, 1.2, 3.1, 0.4)      // 1  (A3)
      .Hop("198.51.100.1", kSnt, 30, 3.5, 2.6, 5.2, 0.6)     // 2  3/33 lost: 9.1%
      .Hop("198.51.100.2", kSnt, 33, 3.2, 2.5, 4.4, 0.5)     // 3
      .Hop("198.51.100.3", kSnt, 33, 3.3, 2.1, 31.6, 5.1)    // 4  high Wrst, normal Avg (A5)
      .Hop("198.51.100.4", kSnt, 33, 4.0, 3.1, 5.6, 0.6)     // 5
      .Hop("198.51.100.65", kSnt, 29, 8.2, 7.1, 10.3, 0.8)   // 6  4/33: 12.1%
      .Hop("198.51.100.66", kSnt, 27, 8.6, 7.4, 11.0, 0.9)   // 7  6/33: 18.2%
      .Hop("198.51.100.67", kSnt, 25, 9.1, 7.9, 11.8, 1.0)   // 8  8/33: 24.2%
      .Hop("198.51.100.68", kSnt, 23, 17.6, 8.9, 40.2, 6.8)  // 9  10/33: 30.3%, high latency
      .Hop("203.0.113.1", kSnt, 33, 9.6, 8.8, 11.2, 0.6)     // 10
      .Hop("203.0.113.2", kSnt, 33, 10.1, 9.2, 11.9, 0.7)    // 11
      .Silent(kSnt)                                          // 12 (A3)
      .Silent(kSnt)                                          // 13
      .Silent(kSnt)                                          // 14
      .Hop("203.0.113.10", kSnt, 33, 10.4, 9.5, 12.3, 0.9)   // 15 destination
      .Reached()
      .Build();
}

TEST(GuideSampleTest, LossIsRateLimitingNotPacketLoss) {
  const v1::Diagnosis d = DiagnoseTrace(GuideSample());
  // "Packet loss occurs at hops 2, 6, 7, 8, and 9 ... likely caused by ICMP rate limiting."
  EXPECT_THAT(TtlsOf(d, v1::ICMP_RATE_LIMITED_HOP), ElementsAre(2, 6, 7, 8, 9));
  EXPECT_FALSE(Has(d, v1::PACKET_LOSS));
  for (const v1::Finding& f : WithCode(d, v1::ICMP_RATE_LIMITED_HOP)) {
    EXPECT_EQ(f.severity(), v1::SEVERITY_INFO);
    EXPECT_THAT(f.summary(), ::testing::HasSubstr("ignore"));
    EXPECT_GT(f.confidence(), 0.9) << f.ShortDebugString();
    EXPECT_EQ(f.probes(), 2 * kSnt);  // the hop's probes and the clean reference hop's
  }
  // The 30.3% at hop 9 is the figure the guide quotes; it is evidence, not the path's loss.
  const v1::Finding hop9 = WithCode(d, v1::ICMP_RATE_LIMITED_HOP).back();
  EXPECT_EQ(hop9.ttl(), 9);
  EXPECT_EQ(hop9.evidence(0).name(), "loss_pct");
  EXPECT_NEAR(hop9.evidence(0).number(), 30.303, 1e-3);
}

TEST(GuideSampleTest, EffectiveLossComesFromTheLastHops) {
  const v1::Diagnosis d = DiagnoseTrace(GuideSample());
  EXPECT_DOUBLE_EQ(d.effective_loss_pct(), 0);
  EXPECT_EQ(d.effective_loss_ttl(), 15);
}

TEST(GuideSampleTest, HopFourIsATransientSpike) {
  const v1::Diagnosis d = DiagnoseTrace(GuideSample());
  EXPECT_THAT(TtlsOf(d, v1::TRANSIENT_SPIKE), ElementsAre(4));
  EXPECT_FALSE(Has(d, v1::HIGH_JITTER));
}

TEST(GuideSampleTest, LatencyIsLowAndHopNineIsTheSlowPath) {
  const v1::Diagnosis d = DiagnoseTrace(GuideSample());
  EXPECT_FALSE(Has(d, v1::LATENCY_INCREASE));
  // "the ninth hop shows 30% packet loss and high latency, but the next hops return to normal".
  EXPECT_THAT(TtlsOf(d, v1::ICMP_SLOW_PATH_LATENCY), ElementsAre(9));
  EXPECT_GE(d.effective_latency_ms(), 1.8);
  EXPECT_LE(d.effective_latency_ms(), 17.6);
}

TEST(GuideSampleTest, TheLinkIsNormal) {
  const v1::Diagnosis d = DiagnoseTrace(GuideSample());
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
  EXPECT_THAT(TtlsOf(d, v1::HEALTHY), ElementsAre(0));
  for (const v1::Finding& f : d.findings()) {
    EXPECT_EQ(f.severity(), v1::SEVERITY_INFO) << f.ShortDebugString();
  }
  // Unmentioned hops 12-14 (A3) are explained, not counted as loss.
  EXPECT_THAT(TtlsOf(d, v1::UNRESPONSIVE_HOP), ElementsAre(12, 13, 14));
  EXPECT_EQ(d.area_source(), v1::AREA_SOURCE_HEURISTIC);
}

// The guide's other reading of the same figures: "If subsequent nodes also show packet loss,
// the node has a network exception" and, with both kinds present, "use the rate at the last few
// hops as the reference". Same table, but the loss from hop 6 carries on to the destination.
TEST(GuideSampleTest, WhenLaterHopsAlsoLoseItIsPacketLossFromHopSix) {
  v1::TraceResult trace = GuideSample();
  for (int ttl : {10, 11, 15}) {
    trace.mutable_hops(ttl - 1)->set_received(23);  // 30.3% like hop 9
  }
  const v1::Diagnosis d = DiagnoseTrace(trace);
  EXPECT_THAT(TtlsOf(d, v1::PACKET_LOSS), ElementsAre(6));
  EXPECT_THAT(TtlsOf(d, v1::ICMP_RATE_LIMITED_HOP), ElementsAre(2));  // both, together
  EXPECT_NEAR(d.effective_loss_pct(), 30.303, 1e-3);
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
  EXPECT_FALSE(Has(d, v1::HEALTHY));
  const v1::Finding loss = WithCode(d, v1::PACKET_LOSS).front();
  EXPECT_EQ(loss.severity(), v1::SEVERITY_PROBLEM);
  EXPECT_EQ(loss.area(), v1::NETWORK_AREA_CARRIER);
  EXPECT_THAT(loss.action(), ::testing::HasSubstr("reverse trace"));
}

TEST(GuideSampleTest, TextReportListsEveryConclusion) {
  const std::string text = RenderDiagnosisText(DiagnoseTrace(GuideSample()));
  std::cout << text;  // for people reading the test log
  EXPECT_THAT(text, ::testing::StartsWith("Diagnosis: HEALTHY (effective loss 0% from hop 15"));
  EXPECT_THAT(text, ::testing::HasSubstr("[info] TRANSIENT_SPIKE at hop 4 198.51.100.3"));
  EXPECT_THAT(text, ::testing::HasSubstr("[info] HEALTHY"));
}

}  // namespace
}  // namespace pathpair::diagnosis
