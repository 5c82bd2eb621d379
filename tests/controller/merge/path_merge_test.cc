#include "controller/merge/path_merge.h"

#include <string>
#include <vector>

#include "controller/merge/paths_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::merge {
namespace {

using ::testing::ElementsAre;

// The test topology (documentation and private ranges only):
//
//   client C --10.0.1.0/30-- R1 --198.51.100.0/31-- R2 --198.51.100.4/30-- R3 --203.0.113.8/30-- S
//            C .2  R1 .1        R1 .0   R2 .1          R2 .5   R3 .6          R3 .9   S .10
//
// Routers answer from the interface the probe arrived on, so the forward trace sees
// R1 .1, R2 .1, R3 .6, S .10 and the reverse trace (from S) sees R3 .9, R2 .5, R1 .0, C .2.
constexpr char kClient[] = "10.0.1.2";
constexpr char kServer[] = "203.0.113.10";

// "" = a hop that never answered.
v1::TraceResult Trace(const std::string& target, const std::vector<std::string>& hops,
                      bool reached = true) {
  v1::TraceResult trace;
  trace.set_target_address(target);
  trace.set_reached(reached);
  int ttl = 1;
  for (const std::string& address : hops) {
    v1::HopResult* hop = trace.add_hops();
    hop->set_ttl(ttl++);
    hop->set_sent(10);
    if (!address.empty()) {
      hop->set_received(10);
      hop->add_responders()->set_address(address);
    }
  }
  if (reached && !hops.empty()) {
    trace.mutable_hops(trace.hops_size() - 1)->set_termination(v1::HOP_TERMINATION_DESTINATION);
  }
  return trace;
}

v1::TraceResult SymmetricForward() {
  return Trace(kServer, {"10.0.1.1", "198.51.100.1", "198.51.100.6", kServer});
}
v1::TraceResult SymmetricReverse() {
  return Trace(kClient, {"203.0.113.9", "198.51.100.5", "198.51.100.0", kClient});
}

std::string Side(const std::optional<HopRef>& hop) { return hop ? hop->address : "-"; }

// Rows as "forward|reverse|match" strings, for readable expectations.
std::vector<std::string> Describe(const MergedPaths& merged) {
  std::vector<std::string> rows;
  for (const AlignedRow& row : merged.rows) {
    rows.push_back(Side(row.forward) + "|" + Side(row.reverse) + "|" + MatchKindName(row.match));
  }
  return rows;
}

TEST(AreLinkPartnersTest, PointToPointPrefixes) {
  auto ip = [](const char* text) { return *IpAddress::Parse(text); };
  EXPECT_TRUE(AreLinkPartners(ip("198.51.100.0"), ip("198.51.100.1")));   // /31
  EXPECT_TRUE(AreLinkPartners(ip("198.51.100.5"), ip("198.51.100.6")));   // /30 hosts
  EXPECT_FALSE(AreLinkPartners(ip("198.51.100.4"), ip("198.51.100.6")));  // network address
  EXPECT_FALSE(AreLinkPartners(ip("198.51.100.5"), ip("198.51.100.7")));  // broadcast address
  // Any two addresses of one /31 qualify, even .6 and .7 (a /30's host and broadcast): the
  // prefix length is not visible in a trace, and /31 links are common.
  EXPECT_TRUE(AreLinkPartners(ip("198.51.100.6"), ip("198.51.100.7")));
  EXPECT_FALSE(AreLinkPartners(ip("198.51.100.2"), ip("198.51.100.5")));  // next block
  EXPECT_FALSE(AreLinkPartners(ip("198.51.100.1"), ip("198.51.100.1")));  // same address
  EXPECT_TRUE(AreLinkPartners(ip("2001:db8::a"), ip("2001:db8::b")));     // /127
  EXPECT_FALSE(AreLinkPartners(ip("2001:db8::b"), ip("2001:db8::c")));
  EXPECT_FALSE(AreLinkPartners(ip("198.51.100.1"), ip("::ffff:198.51.100.0")));
}

TEST(MergePathsTest, SymmetricPathWithLinkPartnerAddresses) {
  MergedPaths merged = MergePaths(SymmetricForward(), SymmetricReverse(), nullptr);
  EXPECT_THAT(Describe(merged), ElementsAre("10.0.1.1|10.0.1.2|link_partner",
                                            "198.51.100.1|198.51.100.0|link_partner",
                                            "198.51.100.6|198.51.100.5|link_partner",
                                            "203.0.113.10|203.0.113.9|link_partner"));
  EXPECT_TRUE(merged.symmetric);
  EXPECT_EQ(merged.common_hops.size(), 4u);
  // The reverse side keeps its own TTLs: the row next to the client holds reverse hop 4.
  EXPECT_EQ(merged.rows.front().reverse->ttl, 4);
  EXPECT_EQ(merged.rows.front().reverse->index, 3);
  EXPECT_TRUE(merged.rows.front().reverse->is_destination);
  EXPECT_TRUE(merged.rows.back().forward->is_destination);
}

TEST(MergePathsTest, SymmetricPathWithSameAddressesBothWays) {
  // Routers that answer from one loopback address whichever way the probe came.
  v1::TraceResult forward = Trace(kServer, {"10.255.0.1", "10.255.0.2", "10.255.0.3", kServer});
  v1::TraceResult reverse = Trace(kClient, {"10.255.0.3", "10.255.0.2", "10.255.0.1", kClient});
  MergedPaths merged = MergePaths(forward, reverse, nullptr);
  EXPECT_THAT(Describe(merged),
              ElementsAre("-|10.0.1.2|none", "10.255.0.1|10.255.0.1|same_address",
                          "10.255.0.2|10.255.0.2|same_address",
                          "10.255.0.3|10.255.0.3|same_address", "203.0.113.10|-|none"));
  EXPECT_TRUE(merged.symmetric);  // the unpaired rows are the two destinations
  EXPECT_EQ(merged.common_hops.size(), 3u);
}

TEST(MergePathsTest, AsymmetricMiddleRouters) {
  // The return path crosses R4 (198.51.100.64/30, .68/30) instead of R2.
  v1::TraceResult reverse =
      Trace(kClient, {"203.0.113.9", "198.51.100.66", "198.51.100.70", kClient});
  MergedPaths merged = MergePaths(SymmetricForward(), reverse, nullptr);
  EXPECT_FALSE(merged.symmetric);
  EXPECT_EQ(merged.common_hops.size(), 2u);
  EXPECT_EQ(merged.rows.front().match, MatchKind::kLinkPartner);
  EXPECT_EQ(merged.rows.back().match, MatchKind::kLinkPartner);
  for (size_t i = 1; i + 1 < merged.rows.size(); ++i) {
    EXPECT_EQ(merged.rows[i].match, MatchKind::kNone) << i;
  }
}

TEST(MergePathsTest, SameAsIsAMatchButNotSymmetry) {
  asn::StaticAsLookup as_db;
  for (const char* address :
       {"198.51.100.1", "198.51.100.6", "198.51.100.66", "198.51.100.70", "203.0.113.9"}) {
    as_db.Add(*IpAddress::Parse(address), {64500, "Example Transit"});
  }
  v1::TraceResult reverse =
      Trace(kClient, {"203.0.113.9", "198.51.100.66", "198.51.100.70", kClient});
  MergedPaths merged = MergePaths(SymmetricForward(), reverse, &as_db);
  EXPECT_THAT(
      Describe(merged),
      ElementsAre("10.0.1.1|10.0.1.2|link_partner", "198.51.100.1|198.51.100.70|same_as",
                  "198.51.100.6|198.51.100.66|same_as", "203.0.113.10|203.0.113.9|link_partner"));
  EXPECT_FALSE(merged.symmetric);
}

TEST(MergePathsTest, UnknownHopsDoNotBreakSymmetry) {
  v1::TraceResult forward = Trace(kServer, {"10.0.1.1", "", "198.51.100.6", kServer});
  v1::TraceResult reverse = Trace(kClient, {"203.0.113.9", "198.51.100.5", "", kClient});
  MergedPaths merged = MergePaths(forward, reverse, nullptr);
  EXPECT_THAT(Describe(merged), ElementsAre("10.0.1.1|10.0.1.2|link_partner", "???|???|unknown",
                                            "198.51.100.6|198.51.100.5|link_partner",
                                            "203.0.113.10|203.0.113.9|link_partner"));
  EXPECT_TRUE(merged.symmetric);
  EXPECT_EQ(merged.common_hops.size(), 3u);
}

TEST(MergePathsTest, AllUnknownIsNotSymmetric) {
  MergedPaths merged =
      MergePaths(Trace(kServer, {"", ""}, false), Trace(kClient, {"", ""}, false), nullptr);
  EXPECT_FALSE(merged.symmetric);
  EXPECT_TRUE(merged.common_hops.empty());
}

TEST(MergePathsTest, DifferentLengths) {
  // The forward path has an extra router (198.51.100.10/31 between R2 and R3) the reverse lacks.
  v1::TraceResult forward =
      Trace(kServer, {"10.0.1.1", "198.51.100.1", "198.51.100.11", "198.51.100.6", kServer});
  MergedPaths merged = MergePaths(forward, SymmetricReverse(), nullptr);
  EXPECT_THAT(
      Describe(merged),
      ElementsAre("10.0.1.1|10.0.1.2|link_partner", "198.51.100.1|198.51.100.0|link_partner",
                  "198.51.100.11|-|none", "198.51.100.6|198.51.100.5|link_partner",
                  "203.0.113.10|203.0.113.9|link_partner"));
  EXPECT_FALSE(merged.symmetric);
}

TEST(MergePathsTest, UnreachedReverseWithUnansweredTail) {
  // The reverse trace stops answering after R2: its ??? tail is ignored; what was seen matches.
  v1::TraceResult reverse =
      Trace(kClient, {"203.0.113.9", "198.51.100.5", "", "", "", ""}, /*reached=*/false);
  MergedPaths merged = MergePaths(SymmetricForward(), reverse, nullptr);
  EXPECT_EQ(merged.common_hops.size(), 2u);
  EXPECT_TRUE(merged.symmetric);
  EXPECT_FALSE(merged.rows.front().forward.has_value() && merged.rows.front().reverse.has_value() &&
               merged.rows.front().match == MatchKind::kLinkPartner);
}

TEST(MergePathsTest, EmptyTraces) {
  MergedPaths merged = MergePaths(v1::TraceResult(), SymmetricReverse(), nullptr);
  EXPECT_FALSE(merged.symmetric);
  EXPECT_EQ(merged.rows.size(), 4u);
  merged = MergePaths(v1::TraceResult(), v1::TraceResult(), nullptr);
  EXPECT_TRUE(merged.rows.empty());
  EXPECT_FALSE(merged.symmetric);
}

TEST(MergePathsTest, AsPathsCollapseRepeatsAndSkipUnknown) {
  asn::StaticAsLookup as_db;
  auto add = [&](const char* address, uint32_t asn, const char* name) {
    as_db.Add(*IpAddress::Parse(address), {asn, name});
  };
  add("198.51.100.1", 64501, "Access");
  add("198.51.100.6", 64501, "Access");
  add("198.51.100.20", 64501, "Access");
  add("203.0.113.1", 64502, "Transit");
  add(kServer, 64502, "Transit");
  add("203.0.113.9", 64502, "Transit");
  add("198.51.100.5", 64501, "Access");
  add("198.51.100.0", 64501, "Access");
  // 10.0.1.1 is private and unannounced; the fourth hop never answers.
  v1::TraceResult forward = Trace(kServer, {"10.0.1.1", "198.51.100.1", "198.51.100.6", "",
                                            "198.51.100.20", "203.0.113.1", kServer});
  MergedPaths merged = MergePaths(forward, SymmetricReverse(), &as_db);
  EXPECT_THAT(merged.forward_as_path,
              ElementsAre(AsPathEntry{64501, "Access"}, AsPathEntry{64502, "Transit"}));
  EXPECT_EQ(merged.forward_unknown_as_hops, 2);
  // The reverse AS path runs in its own direction: server first.
  EXPECT_THAT(merged.reverse_as_path,
              ElementsAre(AsPathEntry{64502, "Transit"}, AsPathEntry{64501, "Access"}));
  EXPECT_EQ(merged.reverse_unknown_as_hops, 1);  // the client's private address
}

TEST(MergePathsTest, EcmpResponderMatchesAnyAddress) {
  v1::TraceResult forward = SymmetricForward();
  // Hop 2 saw two routers; the second is the one the reverse path used.
  v1::HopResult* hop = forward.mutable_hops(1);
  hop->mutable_responders(0)->set_address("198.51.100.41");
  hop->add_responders()->set_address("198.51.100.1");
  MergedPaths merged = MergePaths(forward, SymmetricReverse(), nullptr);
  EXPECT_EQ(merged.rows[1].match, MatchKind::kLinkPartner);
  EXPECT_EQ(merged.rows[1].forward->address, "198.51.100.41");  // the main responder is shown
  EXPECT_TRUE(merged.symmetric);
}

TEST(PathsToJsonTest, MirrorsTheMerge) {
  asn::StaticAsLookup as_db;
  as_db.Add(*IpAddress::Parse("198.51.100.1"), {64501, "Access"});
  MergedPaths merged = MergePaths(Trace(kServer, {"", "198.51.100.1", kServer}),
                                  Trace(kClient, {"203.0.113.9", "198.51.100.0", kClient}), &as_db);
  nlohmann::json json = PathsToJson(merged);
  EXPECT_EQ(json["symmetric"], merged.symmetric);
  EXPECT_EQ(json["forward_as_path"], nlohmann::json::parse(R"([{"asn":64501,"name":"Access"}])"));
  EXPECT_EQ(json["reverse_as_path"], nlohmann::json::array());
  EXPECT_EQ(json["forward_unknown_as_hops"], 2);
  ASSERT_EQ(json["rows"].size(), merged.rows.size());
  EXPECT_EQ(json["common_hops"].size(), merged.common_hops.size());
  const nlohmann::json& second = json["rows"][1];
  EXPECT_EQ(second["forward"]["address"], "198.51.100.1");
  EXPECT_EQ(second["forward"]["ttl"], 2);
  EXPECT_EQ(second["forward"]["asn"], 64501);
  EXPECT_EQ(second["reverse"]["ttl"], 2);
  EXPECT_EQ(second["match"], "link_partner");
  EXPECT_TRUE(json["rows"].back()["forward"]["destination"].get<bool>());
}

}  // namespace
}  // namespace pathpair::merge
