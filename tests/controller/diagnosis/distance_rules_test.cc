// The long-link rule (distance_rules.h): a steady latency step is a long-distance link, not a
// fault; checked against the distance when a location database is given.
#include "controller/diagnosis/distance_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/diagnosis/diagnose.h"
#include "controller/geo/mmdb_geo_lookup.h"
#include "tests/controller/asn/fixture.h"
#include "tests/controller/diagnosis/finding_matchers.h"
#include "tests/controller/diagnosis/trace_builder.h"

namespace pathpair::diagnosis {
namespace {

using testing::Has;
using ::testing::HasSubstr;
using testing::TraceBuilder;
using testing::TtlsOf;
using testing::WithCode;

// The hops after the step (hop 3 on): their Best, StDev and answers out of 20.
struct After {
  double best_below_avg = 0.7;  // Avg - Best
  double stdev = 0.5;
  int received = 20;
};

// client LAN, a Frankfurt router (10 ms), then from hop 3 a steady 76 ms step to New York:
// 192.168.1.1, 198.51.100.1, 203.0.113.5, 203.0.113.6, the server 203.0.113.10.
v1::TraceResult LongHaul(After after = {}, const char* step_hop = "203.0.113.5") {
  TraceBuilder b("203.0.113.10");
  b.Hop("192.168.1.1", 20, 20, 1, 0.9, 1.3, 0.1);
  b.Hop("198.51.100.1", 20, 20, 10, 9.5, 11, 0.4);
  int ttl = 3;
  for (const char* address : {step_hop, "203.0.113.6", "203.0.113.10"}) {
    const double avg = 83 + ttl++;
    b.Hop(address, 20, after.received, avg, avg - after.best_below_avg, avg + 2, after.stdev);
  }
  return b.Reached().Build();
}

// Every one of 100 packets arrives, min_ms to avg_ms.
v1::OneWayResult OneWay(double min_ms, double avg_ms) {
  return testing::OneWay(100, 100, min_ms, avg_ms);
}

geo::GeoLocation City(const asn::testing::FixtureCity& city) {
  geo::GeoLocation where;
  where.latitude = city.latitude;
  where.longitude = city.longitude;
  where.city = city.city;
  where.country = city.country;
  return where;
}

const v1::Evidence& Evidence(const v1::Finding& finding, const char* name) {
  static const v1::Evidence kNone;
  const v1::Evidence* e = FindEvidence(finding, name);
  return e != nullptr ? *e : kNone;
}

TEST(LongLinkTest, SteadyStepIsALongLinkNotAFault) {
  const v1::Diagnosis d = DiagnoseTrace(LongHaul());
  EXPECT_FALSE(Has(d, v1::LATENCY_INCREASE));
  ASSERT_THAT(TtlsOf(d, v1::LONG_DISTANCE_LINK), ::testing::ElementsAre(3));
  const v1::Finding f = WithCode(d, v1::LONG_DISTANCE_LINK)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(f.address(), "203.0.113.5");
  EXPECT_THAT(f.summary(), HasSubstr("long-distance link"));
  EXPECT_THAT(f.summary(), HasSubstr("distance was not checked"));
  EXPECT_THAT(f.action(), HasSubstr("None"));
  EXPECT_NEAR(Evidence(f, "step_ms").number(), 76, 1e-9);
  EXPECT_NEAR(Evidence(f, "best_rise_ms").number(), 75.8, 1e-9);
  EXPECT_EQ(Evidence(f, "distance_checked").text(), "no");
  EXPECT_THAT(Evidence(f, "distance_not_checked_because").text(), HasSubstr("--geo-db"));
  EXPECT_EQ(f.confidence(), kLongLinkUncheckedConfidence);
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
  EXPECT_TRUE(Has(d, v1::HEALTHY));
}

TEST(LongLinkTest, TheMinimumMustRiseWithTheAverage) {
  // Best before the step: 9.5; the step: 76 ms; Best must rise by 0.8 of it (60.8 ms).
  // Hop 3 (Avg 86) has the lowest Best after the step: at least 70.3 ms.
  EXPECT_TRUE(Has(DiagnoseTrace(LongHaul({.best_below_avg = 86 - 70.31})), v1::LONG_DISTANCE_LINK));
  const v1::Diagnosis queueing = DiagnoseTrace(LongHaul({.best_below_avg = 86 - 70.29}));
  EXPECT_FALSE(Has(queueing, v1::LONG_DISTANCE_LINK));
  EXPECT_THAT(TtlsOf(queueing, v1::LATENCY_INCREASE), ::testing::ElementsAre(3));
  EXPECT_EQ(queueing.verdict(), v1::VERDICT_DEGRADED);
}

TEST(LongLinkTest, JitterMustStayLow) {
  // The lowest StDev after the step may be at most 0.2 of it (15.2 ms).
  EXPECT_TRUE(Has(DiagnoseTrace(LongHaul({.stdev = 15.2})), v1::LONG_DISTANCE_LINK));
  const v1::Diagnosis jittery = DiagnoseTrace(LongHaul({.stdev = 15.3}));
  EXPECT_FALSE(Has(jittery, v1::LONG_DISTANCE_LINK));
  EXPECT_TRUE(Has(jittery, v1::LATENCY_INCREASE));
}

TEST(LongLinkTest, LossKeepsItAWarning) {
  const v1::Diagnosis d = DiagnoseTrace(LongHaul({.received = 14}));
  EXPECT_TRUE(Has(d, v1::PACKET_LOSS));
  EXPECT_TRUE(Has(d, v1::LATENCY_INCREASE));
  EXPECT_FALSE(Has(d, v1::LONG_DISTANCE_LINK));
}

TEST(LongLinkTest, OneWayDelaysMustBeAlikeBothWays) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = LongHaul();
  *input.mutable_forward_oneway() = OneWay(38, 38.5);
  *input.mutable_reverse_oneway() = OneWay(38, 38.6);
  v1::Diagnosis d = Diagnose(input);
  ASSERT_TRUE(Has(d, v1::LONG_DISTANCE_LINK));
  EXPECT_THAT(WithCode(d, v1::LONG_DISTANCE_LINK)[0].summary(), HasSubstr("alike both ways"));
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
  // The same step carried by the way back: a detour or a queue there, not distance.
  *input.mutable_forward_oneway() = OneWay(2, 2.5);
  *input.mutable_reverse_oneway() = OneWay(76, 76.5);
  d = Diagnose(input);
  EXPECT_FALSE(Has(d, v1::LONG_DISTANCE_LINK));
  EXPECT_TRUE(Has(d, v1::LATENCY_ON_RETURN_PATH));
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(LongLinkTest, ReverseTraceStepOnOneDirectionIsNoLongLink) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = LongHaul();
  *input.mutable_reverse() = LongHaul();
  *input.mutable_forward_oneway() = OneWay(2, 2.5);
  *input.mutable_reverse_oneway() = OneWay(76, 76.5);
  const v1::Diagnosis d = Diagnose(input);
  EXPECT_FALSE(Has(d, v1::LONG_DISTANCE_LINK));
  for (const v1::Finding& f : WithCode(d, v1::LATENCY_INCREASE)) {
    EXPECT_EQ(Evidence(f, "direction").text(), "return") << f.ShortDebugString();
  }
  // Alike both ways: both traces' steps are long links.
  *input.mutable_forward_oneway() = OneWay(38, 38.5);
  *input.mutable_reverse_oneway() = OneWay(38, 38.6);
  const v1::Diagnosis alike = Diagnose(input);
  EXPECT_EQ(WithCode(alike, v1::LONG_DISTANCE_LINK).size(), 2u);
  EXPECT_EQ(alike.verdict(), v1::VERDICT_HEALTHY);
}

TEST(LongLinkTest, DistanceThatExplainsTheStepIsChecked) {
  geo::StaticGeoLookup cities;
  cities.Add(*IpAddress::Parse("198.51.100.1"), City(asn::testing::kFrankfurt));
  cities.Add(*IpAddress::Parse("203.0.113.5"), City(asn::testing::kNewYork));
  const v1::Diagnosis d = DiagnoseTrace(LongHaul(), {.geo_lookup = &cities});
  ASSERT_TRUE(Has(d, v1::LONG_DISTANCE_LINK));
  const v1::Finding f = WithCode(d, v1::LONG_DISTANCE_LINK)[0];
  EXPECT_EQ(Evidence(f, "distance_checked").text(), "yes");
  EXPECT_NEAR(Evidence(f, "distance_km").number(), 6200, 25);
  EXPECT_EQ(Evidence(f, "from_location").text(), "Frankfurt am Main, DE");
  EXPECT_EQ(Evidence(f, "to_location").text(), "New York, US");
  EXPECT_THAT(f.summary(), HasSubstr("km apart"));
  EXPECT_EQ(f.confidence(), kLongLinkCheckedConfidence);
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
}

TEST(LongLinkTest, StepFarAboveTheDistanceStaysAWarning) {
  geo::StaticGeoLookup cities;
  cities.Add(*IpAddress::Parse("198.51.100.1"), City(asn::testing::kFrankfurt));
  cities.Add(*IpAddress::Parse("203.0.113.5"), City(asn::testing::kAmsterdam));  // ~364 km
  const v1::Diagnosis d = DiagnoseTrace(LongHaul(), {.geo_lookup = &cities});
  EXPECT_FALSE(Has(d, v1::LONG_DISTANCE_LINK));
  ASSERT_TRUE(Has(d, v1::LATENCY_INCREASE));
  const v1::Finding f = WithCode(d, v1::LATENCY_INCREASE)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_WARNING);
  EXPECT_NEAR(Evidence(f, "distance_km").number(), 364, 5);
  EXPECT_NEAR(Evidence(f, "distance_explains_max_ms").number(),
              MaxExplainedRoundTripMs(Evidence(f, "distance_km").number()), 1e-3);
  EXPECT_THAT(f.summary(), HasSubstr("far above"));
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(LongLinkTest, HopWithoutLocationLeavesTheDistanceUnchecked) {
  geo::StaticGeoLookup cities;
  cities.Add(*IpAddress::Parse("198.51.100.1"), City(asn::testing::kFrankfurt));
  const v1::Diagnosis d = DiagnoseTrace(LongHaul(), {.geo_lookup = &cities});
  ASSERT_TRUE(Has(d, v1::LONG_DISTANCE_LINK));
  const v1::Finding f = WithCode(d, v1::LONG_DISTANCE_LINK)[0];
  EXPECT_EQ(Evidence(f, "distance_checked").text(), "no");
  EXPECT_THAT(Evidence(f, "distance_not_checked_because").text(),
              HasSubstr("no location for hop 3 (203.0.113.5)"));
  EXPECT_THAT(f.summary(), HasSubstr("distance was not checked"));
}

TEST(LongLinkTest, CityDatabaseFile) {
  absl::StatusOr<std::string> path = asn::testing::WriteCityFixture("diagnosis-city.mmdb");
  ASSERT_TRUE(path.ok()) << path.status();
  absl::StatusOr<std::unique_ptr<geo::MmdbGeoLookup>> db = geo::MmdbGeoLookup::Open(*path);
  ASSERT_TRUE(db.ok()) << db.status();
  const DiagnoseOptions options{.geo_lookup = db->get()};
  // 198.51.100.1 is in Frankfurt, 203.0.113.5 in New York: 76 ms is the ocean.
  const v1::Diagnosis ocean = DiagnoseTrace(LongHaul(), options);
  ASSERT_TRUE(Has(ocean, v1::LONG_DISTANCE_LINK));
  EXPECT_EQ(Evidence(WithCode(ocean, v1::LONG_DISTANCE_LINK)[0], "distance_checked").text(), "yes");
  // 203.0.113.130 is in Frankfurt as well: 76 ms within one city is no distance.
  const v1::Diagnosis city = DiagnoseTrace(LongHaul({}, "203.0.113.130"), options);
  EXPECT_FALSE(Has(city, v1::LONG_DISTANCE_LINK));
  EXPECT_TRUE(Has(city, v1::LATENCY_INCREASE));
  EXPECT_EQ(city.verdict(), v1::VERDICT_DEGRADED);
}

TEST(LongLinkTest, FibreArithmetic) {
  // 1 ms of round trip per 100 km, routes up to twice the great circle, plus the slack.
  EXPECT_DOUBLE_EQ(MaxExplainedRoundTripMs(0), kDistanceSlackMs);
  EXPECT_DOUBLE_EQ(MaxExplainedRoundTripMs(6200), 62 * kMaxRouteFactor + kDistanceSlackMs);
}

TEST(VerdictTest, OneWayLossAsHighAsBrokenBreaksThePath) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = LongHaul();
  v1::OneWayResult lossy = OneWay(38, 38.5);
  lossy.set_received(50);  // 50% of 100
  *input.mutable_forward_oneway() = lossy;
  *input.mutable_reverse_oneway() = OneWay(38, 38.5);
  EXPECT_EQ(Diagnose(input).verdict(), v1::VERDICT_BROKEN);
  lossy.set_received(51);
  *input.mutable_forward_oneway() = lossy;
  EXPECT_EQ(Diagnose(input).verdict(), v1::VERDICT_DEGRADED);  // LOSS_FORWARD_DIRECTION
}

}  // namespace
}  // namespace pathpair::diagnosis
