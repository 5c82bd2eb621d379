// Network areas and actions: heuristics without AS data, and the MaxMind fixture end to end.
#include "controller/diagnosis/areas.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/asn/mmdb_as_lookup.h"
#include "controller/diagnosis/diagnose.h"
#include "tests/controller/asn/fixture.h"
#include "tests/controller/diagnosis/finding_matchers.h"
#include "tests/controller/diagnosis/trace_builder.h"

namespace pathpair::diagnosis {
namespace {

using ::testing::HasSubstr;
using testing::TraceBuilder;
using testing::WithCode;

// LAN, CGNAT, client ISP (AS64500), transit (AS64501), backbone (AS64502), destination
// network (AS64510).
PathView TypicalPath() {
  return MakePathView(TraceBuilder("203.0.113.10")
                          .Hop("192.168.1.1", 10, 10, 1)     // 1 LAN
                          .Hop("100.64.0.1", 10, 10, 2)      // 2 CGNAT, before any public hop
                          .Hop("198.51.100.1", 10, 10, 3)    // 3 first public: client ISP
                          .Hop("198.51.100.2", 10, 10, 4)    // 4 same AS
                          .Hop("198.51.100.65", 10, 10, 5)   // 5 transit
                          .Hop("10.9.9.9", 10, 10, 6)        // 6 private inside a provider
                          .Hop("198.51.100.130", 10, 10, 7)  // 7 backbone
                          .Hop("203.0.113.1", 10, 10, 8)     // 8 destination's network
                          .Silent(10)                        // 9
                          .Hop("203.0.113.10", 10, 10, 9)    // 10 destination
                          .Reached()
                          .Build());
}

TEST(AreasTest, HeuristicsWithoutAsData) {
  const AreaMap areas = AssignAreas(TypicalPath(), nullptr);
  EXPECT_EQ(areas.source, v1::AREA_SOURCE_HEURISTIC);
  EXPECT_EQ(areas.ForTtl(1).area, v1::NETWORK_AREA_CLIENT_LAN);
  EXPECT_EQ(areas.ForTtl(2).area, v1::NETWORK_AREA_CLIENT_LAN);
  EXPECT_EQ(areas.ForTtl(3).area, v1::NETWORK_AREA_CLIENT_ISP);
  EXPECT_EQ(areas.ForTtl(4).area, v1::NETWORK_AREA_CARRIER);  // no AS data: can't tell
  EXPECT_EQ(areas.ForTtl(6).area, v1::NETWORK_AREA_UNKNOWN);
  EXPECT_EQ(areas.ForTtl(8).area, v1::NETWORK_AREA_CARRIER);
  EXPECT_EQ(areas.ForTtl(9).area, v1::NETWORK_AREA_UNKNOWN);  // silent
  EXPECT_EQ(areas.ForTtl(10).area, v1::NETWORK_AREA_DESTINATION);
  EXPECT_EQ(areas.ForTtl(10).asn, 0u);
}

TEST(AreasTest, FromTheMmdbFixture) {
  absl::StatusOr<std::string> path = asn::testing::WriteAsFixture("areas_test.mmdb");
  ASSERT_TRUE(path.ok()) << path.status();
  auto db = asn::MmdbAsLookup::Open(*path);
  ASSERT_TRUE(db.ok()) << db.status();
  const AreaMap areas = AssignAreas(TypicalPath(), db->get());
  EXPECT_EQ(areas.source, v1::AREA_SOURCE_MMDB);
  EXPECT_EQ(areas.ForTtl(1).area, v1::NETWORK_AREA_CLIENT_LAN);
  EXPECT_EQ(areas.ForTtl(2).area, v1::NETWORK_AREA_CLIENT_LAN);
  EXPECT_EQ(areas.ForTtl(3).area, v1::NETWORK_AREA_CLIENT_ISP);
  EXPECT_EQ(areas.ForTtl(3).asn, 64500u);
  EXPECT_EQ(areas.ForTtl(4).area, v1::NETWORK_AREA_CLIENT_ISP);
  EXPECT_EQ(areas.ForTtl(5).area, v1::NETWORK_AREA_CARRIER);
  EXPECT_EQ(areas.ForTtl(5).as_name, "Example Transit");
  EXPECT_EQ(areas.ForTtl(7).asn, 64502u);
  EXPECT_EQ(areas.ForTtl(8).area, v1::NETWORK_AREA_DESTINATION);
  EXPECT_EQ(areas.ForTtl(10).area, v1::NETWORK_AREA_DESTINATION);
  EXPECT_EQ(areas.ForTtl(10).asn, 64510u);
}

TEST(AreasTest, DatabaseThatKnowsNothingFallsBackToHeuristics) {
  asn::StaticAsLookup empty;
  EXPECT_EQ(AssignAreas(TypicalPath(), &empty).source, v1::AREA_SOURCE_HEURISTIC);
}

TEST(AreasTest, LanAddresses) {
  for (const char* lan : {"10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.1.1", "100.64.0.1",
                          "100.127.255.255", "fd00::1", "fe80::1", "127.0.0.1"}) {
    EXPECT_TRUE(IsLanAddress(*IpAddress::Parse(lan))) << lan;
  }
  for (const char* wan : {"100.128.0.1", "198.51.100.1", "2001:db8::1", "172.32.0.1"}) {
    EXPECT_FALSE(IsLanAddress(*IpAddress::Parse(wan))) << wan;
  }
}

// Loss starting at a given hop of TypicalPath's shape, with actions per area.
v1::Diagnosis LossFrom(int start_ttl, asn::AsLookup* lookup) {
  const char* addresses[] = {"192.168.1.1", "198.51.100.1", "198.51.100.65", "203.0.113.1"};
  TraceBuilder b("203.0.113.10");
  for (int ttl = 1; ttl <= 4; ++ttl) {
    b.Hop(addresses[ttl - 1], 20, ttl >= start_ttl ? 14 : 20, ttl);
  }
  DiagnoseOptions options;
  options.as_lookup = lookup;
  return DiagnoseTrace(b.Hop("203.0.113.10", 20, 14, 6).Reached().Build(), options);
}

TEST(ActionsTest, FollowTheGuidesAreas) {
  absl::StatusOr<std::string> path = asn::testing::WriteAsFixture("actions_test.mmdb");
  ASSERT_TRUE(path.ok());
  auto db = asn::MmdbAsLookup::Open(*path);
  ASSERT_TRUE(db.ok());
  auto action = [&](int ttl) {
    const v1::Diagnosis d = LossFrom(ttl, db->get());
    const auto found = WithCode(d, v1::PACKET_LOSS);
    EXPECT_EQ(found.size(), 1u) << ttl;
    EXPECT_EQ(found.empty() ? 0 : found[0].ttl(), ttl);
    return found.empty() ? std::string() : found[0].action();
  };
  EXPECT_THAT(action(1), HasSubstr("local network"));
  EXPECT_THAT(action(2), HasSubstr("local ISP (AS64500 Example Client ISP)"));
  EXPECT_THAT(action(3), HasSubstr("ISP that owns hop 3 (198.51.100.65): AS64501 Example Transit"));
  EXPECT_THAT(action(4),
              HasSubstr("destination host's network provider (AS64510 Example Hosting)"));
  // Without a database, the carrier action says how to find the owner.
  const v1::Diagnosis plain = LossFrom(3, nullptr);
  ASSERT_EQ(WithCode(plain, v1::PACKET_LOSS).size(), 1u);
  EXPECT_THAT(WithCode(plain, v1::PACKET_LOSS)[0].action(), HasSubstr("whois"));
  EXPECT_EQ(plain.area_source(), v1::AREA_SOURCE_HEURISTIC);
}

}  // namespace
}  // namespace pathpair::diagnosis
