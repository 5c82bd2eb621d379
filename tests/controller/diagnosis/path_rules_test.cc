// Trace-shape rules: routing loops, interruptions, blocked destinations, Destination
// Unreachable and load balancing.
#include "controller/diagnosis/path_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/asn/as_lookup.h"
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

TEST(RoutingLoopTest, TwoRoutersBouncing) {
  // The netsim model: router 5 sends packets back to router 4 and so on until the TTL expires.
  TraceBuilder b("203.0.113.10");
  for (int ttl = 1; ttl <= 5; ++ttl) b.Hop("198.51.100." + std::to_string(ttl), 10, 10, ttl);
  for (int ttl = 6; ttl <= 12; ++ttl)
    b.Hop(ttl % 2 == 0 ? "198.51.100.4" : "198.51.100.5", 10, 10, ttl);
  const v1::Diagnosis d = DiagnoseTrace(b.Build());
  // "packets enter a loop after the fifth hop"
  EXPECT_THAT(TtlsOf(d, v1::ROUTING_LOOP), ElementsAre(5));
  const v1::Finding f = WithCode(d, v1::ROUTING_LOOP)[0];
  EXPECT_EQ(f.address(), "198.51.100.5");
  EXPECT_EQ(f.severity(), v1::SEVERITY_PROBLEM);
  EXPECT_THAT(f.action(), HasSubstr("ISP that owns"));
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
  EXPECT_DOUBLE_EQ(d.effective_loss_pct(), 100);
  EXPECT_FALSE(Has(d, v1::LINK_INTERRUPTION));
}

TEST(RoutingLoopTest, NeedsTwoRepeatedTtls) {
  // A B A C: one repetition only, not a loop (and the trace just stops: no finding at all).
  const v1::Diagnosis once = DiagnoseTrace(TraceBuilder()
                                               .Hop("198.51.100.1", 10, 10, 1)
                                               .Hop("198.51.100.2", 10, 10, 2)
                                               .Hop("198.51.100.1", 10, 10, 3)
                                               .Hop("198.51.100.3", 10, 10, 4)
                                               .Build());
  EXPECT_FALSE(Has(once, v1::ROUTING_LOOP));
  // A A A: period 1 repeated twice is a loop; A A is not.
  const v1::Diagnosis triple = DiagnoseTrace(TraceBuilder()
                                                 .Hop("198.51.100.1", 10, 10, 1)
                                                 .Hop("198.51.100.2", 10, 10, 2)
                                                 .Hop("198.51.100.2", 10, 10, 3)
                                                 .Hop("198.51.100.2", 10, 10, 4)
                                                 .Build());
  EXPECT_THAT(TtlsOf(triple, v1::ROUTING_LOOP), ElementsAre(2));
  const v1::Diagnosis twice = DiagnoseTrace(TraceBuilder()
                                                .Hop("198.51.100.1", 10, 10, 1)
                                                .Hop("198.51.100.2", 10, 10, 2)
                                                .Hop("198.51.100.2", 10, 10, 3)
                                                .Build());
  EXPECT_FALSE(Has(twice, v1::ROUTING_LOOP));
}

TEST(RoutingLoopTest, ReachedDestinationIsNeverALoop) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 10, 10, 1)
                                            .Hop("198.51.100.2", 10, 10, 2)
                                            .Hop("198.51.100.1", 10, 10, 3)
                                            .Hop("198.51.100.2", 10, 10, 4)
                                            .Hop("203.0.113.10", 10, 10, 5)
                                            .Reached()
                                            .Build());
  EXPECT_FALSE(Has(d, v1::ROUTING_LOOP));
}

TraceBuilder FourAnsweringHops(const std::string& last) {
  return TraceBuilder("203.0.113.10")
      .Hop("192.168.1.1", 10, 10, 1)
      .Hop("198.51.100.1", 10, 10, 2)
      .Hop("198.51.100.2", 10, 10, 3)
      .Hop(last, 10, 10, 4);
}

TEST(LinkInterruptionTest, SilenceAfterAHopOutsideTheDestinationNetwork) {
  const v1::Diagnosis d =
      DiagnoseTrace(FourAnsweringHops("198.51.100.3").Silent(10).Silent(10).Silent(10).Build());
  // "no feedback is received after the fourth hop": reported at the fourth (last answering).
  EXPECT_THAT(TtlsOf(d, v1::LINK_INTERRUPTION), ElementsAre(4));
  const v1::Finding f = WithCode(d, v1::LINK_INTERRUPTION)[0];
  EXPECT_EQ(f.address(), "198.51.100.3");
  EXPECT_EQ(testing::TtlsOf(d, v1::UNRESPONSIVE_HOP).size(), 0u);
  EXPECT_NE(FindEvidence(f, "first_silent_ttl"), nullptr);
  EXPECT_EQ(FindEvidence(f, "first_silent_ttl")->number(), 5);
  EXPECT_EQ(f.area(), v1::NETWORK_AREA_CARRIER);
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
  EXPECT_DOUBLE_EQ(d.effective_loss_pct(), 100);
  EXPECT_FALSE(d.has_effective_loss_ttl());
}

TEST(LinkInterruptionTest, NothingAnswersAtAll) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder().Silent(5).Silent(5).Build());
  EXPECT_THAT(TtlsOf(d, v1::LINK_INTERRUPTION), ElementsAre(0));
  const v1::Finding f = WithCode(d, v1::LINK_INTERRUPTION)[0];
  EXPECT_EQ(f.area(), v1::NETWORK_AREA_CLIENT_LAN);
  EXPECT_THAT(f.action(), HasSubstr("local network"));
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
}

TEST(LinkInterruptionTest, TraceStoppedAtMaxTtlWithHopsAnswering) {
  const v1::Diagnosis d = DiagnoseTrace(FourAnsweringHops("198.51.100.3").Build());
  EXPECT_FALSE(Has(d, v1::LINK_INTERRUPTION));
  EXPECT_FALSE(Has(d, v1::DEST_ICMP_BLOCKED));
}

TEST(DestIcmpBlockedTest, SilenceRightAfterTheDestinationNetwork) {
  const v1::Diagnosis d = DiagnoseTrace(FourAnsweringHops("203.0.113.1").Silent(10).Build());
  EXPECT_THAT(TtlsOf(d, v1::DEST_ICMP_BLOCKED), ElementsAre(5));
  const v1::Finding f = WithCode(d, v1::DEST_ICMP_BLOCKED)[0];
  EXPECT_EQ(f.address(), "203.0.113.10");
  EXPECT_EQ(f.area(), v1::NETWORK_AREA_DESTINATION);
  EXPECT_THAT(f.action(), HasSubstr("security policy"));
  EXPECT_THAT(f.action(), HasSubstr("TCP (-T) or UDP (-u)"));
  EXPECT_FALSE(Has(d, v1::LINK_INTERRUPTION));
  EXPECT_EQ(f.severity(), v1::SEVERITY_PROBLEM);
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);   // an ICMP trace cannot measure it
  EXPECT_DOUBLE_EQ(d.effective_loss_pct(), 0);  // the path up to it is fine
}

TEST(DestIcmpBlockedTest, PrefixBoundary) {
  // 203.0.112.255 is outside 203.0.113.0/24.
  const v1::Diagnosis d = DiagnoseTrace(FourAnsweringHops("203.0.112.255").Silent(10).Build());
  EXPECT_TRUE(Has(d, v1::LINK_INTERRUPTION));
  EXPECT_TRUE(SharesDestinationPrefix("203.0.113.255", "203.0.113.10"));
  EXPECT_FALSE(SharesDestinationPrefix("203.0.112.255", "203.0.113.10"));
  EXPECT_TRUE(SharesDestinationPrefix("2001:db8:5:ffff::1", "2001:db8:5::10"));
  EXPECT_FALSE(SharesDestinationPrefix("2001:db8:6::1", "2001:db8:5::10"));
  EXPECT_FALSE(SharesDestinationPrefix("garbage", "2001:db8:5::10"));
}

TEST(DestIcmpBlockedTest, OnlyForIcmpProbes) {
  const v1::Diagnosis d =
      DiagnoseTrace(FourAnsweringHops("203.0.113.1").Silent(10).Protocol(v1::PROTOCOL_TCP).Build());
  EXPECT_FALSE(Has(d, v1::DEST_ICMP_BLOCKED));
  EXPECT_TRUE(Has(d, v1::LINK_INTERRUPTION));
}

TEST(DestIcmpBlockedTest, SameAsTheTargetByAsDatabase) {
  asn::StaticAsLookup lookup;
  lookup.Add(*IpAddress::Parse("198.51.100.1"), {64500, "Client ISP"});
  lookup.Add(*IpAddress::Parse("198.51.100.2"), {64501, "Transit"});
  lookup.Add(*IpAddress::Parse("198.51.100.200"), {64502, "Hosting"});
  lookup.Add(*IpAddress::Parse("203.0.113.10"), {64502, "Hosting"});
  DiagnoseOptions options;
  options.as_lookup = &lookup;
  const v1::Diagnosis d =
      DiagnoseTrace(FourAnsweringHops("198.51.100.200").Silent(10).Build(), options);
  EXPECT_THAT(TtlsOf(d, v1::DEST_ICMP_BLOCKED), ElementsAre(5));
  EXPECT_EQ(WithCode(d, v1::DEST_ICMP_BLOCKED)[0].asn(), 64502u);
  EXPECT_EQ(d.area_source(), v1::AREA_SOURCE_MMDB);
}

TEST(DestinationCheckTest, AnotherProtocolDecides) {
  // netsim's link_interruption and dest_icmp_blocked look alike in ICMP: hops answer, then
  // nothing, and the last answering router shares the server's /24. A direct TCP/UDP check of
  // the target tells them apart.
  v1::DiagnosisInput input;
  *input.mutable_forward() = FourAnsweringHops("203.0.113.4").Silent(10).Silent(10).Build();
  EXPECT_TRUE(Has(Diagnose(input), v1::DEST_ICMP_BLOCKED));  // heuristic: same /24
  input.set_forward_destination_check(v1::DESTINATION_CHECK_SILENT);
  v1::Diagnosis d = Diagnose(input);
  EXPECT_THAT(TtlsOf(d, v1::LINK_INTERRUPTION), ElementsAre(4));
  EXPECT_FALSE(Has(d, v1::DEST_ICMP_BLOCKED));
  EXPECT_EQ(WithCode(d, v1::LINK_INTERRUPTION)[0].confidence(), kCheckedConfidence);

  *input.mutable_forward() = FourAnsweringHops("198.51.100.3").Silent(10).Build();
  input.set_forward_destination_check(v1::DESTINATION_CHECK_ANSWERED);
  d = Diagnose(input);
  EXPECT_THAT(TtlsOf(d, v1::DEST_ICMP_BLOCKED), ElementsAre(5));
  EXPECT_THAT(WithCode(d, v1::DEST_ICMP_BLOCKED)[0].summary(), HasSubstr("answers TCP/UDP"));
  // The host is up and only drops ICMP (issue 15): info, and nothing else is wrong.
  EXPECT_EQ(WithCode(d, v1::DEST_ICMP_BLOCKED)[0].severity(), v1::SEVERITY_INFO);
  EXPECT_THAT(WithCode(d, v1::DEST_ICMP_BLOCKED)[0].action(), HasSubstr("None for the path"));
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
  EXPECT_TRUE(Has(d, v1::HEALTHY));
  input.set_forward_destination_check(v1::DESTINATION_CHECK_NOT_RUN);
  d = Diagnose(input);
  EXPECT_TRUE(Has(d, v1::LINK_INTERRUPTION));
  EXPECT_THAT(WithCode(d, v1::LINK_INTERRUPTION)[0].summary(), HasSubstr("TCP (-T) or UDP"));
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
}

TEST(DestUnreachableTest, UnreachableEndsThePath) {
  const v1::Diagnosis d =
      DiagnoseTrace(FourAnsweringHops("198.51.100.3").Unreachable(13).Silent(10).Build());
  EXPECT_THAT(TtlsOf(d, v1::DEST_UNREACHABLE), ElementsAre(4));
  const v1::Finding f = WithCode(d, v1::DEST_UNREACHABLE)[0];
  EXPECT_EQ(FindEvidence(f, "meaning")->text(), "administratively prohibited");
  EXPECT_FALSE(Has(d, v1::LINK_INTERRUPTION));
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
}

TEST(LoadBalancedHopTest, SeveralRespondersAtOneTtl) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 10, 10, 1)
                                            .Hop("198.51.100.2", 10, 10, 2)
                                            .AlsoAnswered("198.51.100.3")
                                            .Hop("203.0.113.10", 10, 10, 3)
                                            .Reached()
                                            .Build());
  EXPECT_THAT(TtlsOf(d, v1::LOAD_BALANCED_HOP), ElementsAre(2));
  const v1::Finding f = WithCode(d, v1::LOAD_BALANCED_HOP)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(FindEvidence(f, "responders")->list().values_size(), 2);
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
}

TEST(PathViewTest, MalformedInputIsCleanedUp) {
  v1::TraceResult t = TraceBuilder()
                          .Hop("198.51.100.1", 10, 10, 1)
                          .Hop("203.0.113.10", 10, 10, 3)
                          .Reached()
                          .Build();
  t.mutable_hops(0)->set_received(50);  // more replies than probes
  t.mutable_hops(0)->set_sent(-3);
  t.mutable_hops(1)->mutable_rtt()->set_avg_ms(std::numeric_limits<double>::quiet_NaN());
  v1::HopResult* dup = t.add_hops();  // duplicate TTL, then an absurd one
  dup->set_ttl(1);
  t.add_hops()->set_ttl(-4);
  const v1::Diagnosis d = DiagnoseTrace(t);
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
  EXPECT_DOUBLE_EQ(d.effective_latency_ms(), 0);
}

}  // namespace
}  // namespace pathpair::diagnosis
