#include "controller/merge/path_merge.h"

#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
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
// Each router answers from its interface toward the prober (Linux's egress toward it, the same
// as the ingress of the probe on a symmetric path), so the forward trace sees R1 10.0.1.1, R2
// .1, R3 .6, S .10 and the reverse trace (from S) sees R3 .9, R2 .5, R1 .0, C .2.
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
  // ::1 and ::2 of a /126, the convention of point-to-point links numbered in a /64.
  EXPECT_TRUE(AreLinkPartners(ip("2001:db8:1::1"), ip("2001:db8:1::2")));
  EXPECT_FALSE(AreLinkPartners(ip("2001:db8:1::3"), ip("2001:db8:1::4")));
  EXPECT_FALSE(AreLinkPartners(ip("2001:db8:1::1"), ip("198.51.100.1")));
  EXPECT_TRUE(AreLinkPartners(ip("198.51.100.1"), ip("198.51.100.2")));
  EXPECT_FALSE(AreLinkPartners(ip("198.51.100.3"), ip("198.51.100.4")));
}

TEST(MergePathsTest, SymmetricPathWithLinkPartnerAddressesIsAlignedByOneHop) {
  MergedPaths merged = MergePaths(SymmetricForward(), SymmetricReverse(), nullptr);
  // R1's forward address is on the client's link, its reverse address on the link to R2.
  EXPECT_THAT(
      Describe(merged),
      ElementsAre("-|10.0.1.2|none", "10.0.1.1|198.51.100.0|link", "198.51.100.1|198.51.100.5|link",
                  "198.51.100.6|203.0.113.9|link", "203.0.113.10|-|none"));
  EXPECT_TRUE(merged.symmetric);
  EXPECT_EQ(merged.common_hops.size(), 3u);
  EXPECT_TRUE(merged.only_forward.empty());
  EXPECT_TRUE(merged.only_reverse.empty());
  // The reverse side keeps its own TTLs: the row next to the client holds reverse hop 4.
  EXPECT_EQ(merged.rows.front().reverse->ttl, 4);
  EXPECT_EQ(merged.rows.front().reverse->index, 3);
  EXPECT_TRUE(merged.rows.front().reverse->is_destination);
  EXPECT_EQ(merged.rows.front().place, RowPlace::kClient);
  EXPECT_TRUE(merged.rows.back().forward->is_destination);
  EXPECT_EQ(merged.rows.back().place, RowPlace::kServer);
  EXPECT_EQ(merged.rows[1].reverse->ttl, 3);  // R1 is the reverse trace's third hop
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
  // The return path crosses R4 (198.51.100.64/30 to R3, .68/30 to R1) instead of R2.
  v1::TraceResult reverse =
      Trace(kClient, {"203.0.113.9", "198.51.100.66", "198.51.100.70", kClient});
  MergedPaths merged = MergePaths(SymmetricForward(), reverse, nullptr);
  EXPECT_THAT(
      Describe(merged),
      ElementsAre("-|10.0.1.2|none", "10.0.1.1|198.51.100.70|link", "-|198.51.100.66|none",
                  "198.51.100.1|-|none", "198.51.100.6|203.0.113.9|link", "203.0.113.10|-|none"));
  EXPECT_FALSE(merged.symmetric);
  EXPECT_EQ(merged.common_hops.size(), 2u);
  EXPECT_THAT(merged.only_forward, ElementsAre("198.51.100.1"));
  EXPECT_THAT(merged.only_reverse, ElementsAre("198.51.100.66"));
}

TEST(MergePathsTest, SameAsIsNoRouterMatch) {
  asn::StaticAsLookup as_db;
  for (const char* address :
       {"198.51.100.1", "198.51.100.6", "198.51.100.66", "198.51.100.70", "203.0.113.9"}) {
    as_db.Add(*IpAddress::Parse(address), {64500, "Example Transit"});
  }
  v1::TraceResult reverse =
      Trace(kClient, {"203.0.113.9", "198.51.100.66", "198.51.100.70", kClient});
  MergedPaths merged = MergePaths(SymmetricForward(), reverse, &as_db);
  // One AS holds many routers: the AS data changes no row.
  EXPECT_EQ(Describe(merged), Describe(MergePaths(SymmetricForward(), reverse, nullptr)));
  EXPECT_THAT(merged.only_forward, ElementsAre("198.51.100.1"));
  EXPECT_FALSE(merged.symmetric);
}

TEST(MergePathsTest, UnknownHopsDoNotBreakSymmetry) {
  v1::TraceResult forward = Trace(kServer, {"10.0.1.1", "", "198.51.100.6", kServer});
  v1::TraceResult reverse = Trace(kClient, {"203.0.113.9", "198.51.100.5", "", kClient});
  MergedPaths merged = MergePaths(forward, reverse, nullptr);
  // A silent hop hides the link partner the one-hop alignment needs: kept in step, unmatched.
  EXPECT_THAT(Describe(merged),
              ElementsAre("-|10.0.1.2|none", "10.0.1.1|???|unknown", "???|198.51.100.5|unknown",
                          "198.51.100.6|203.0.113.9|link", "203.0.113.10|-|none"));
  EXPECT_TRUE(merged.symmetric);
  EXPECT_EQ(merged.common_hops.size(), 1u);
}

TEST(MergePathsTest, AllUnknownIsNotSymmetric) {
  MergedPaths merged =
      MergePaths(Trace(kServer, {"", ""}, false), Trace(kClient, {"", ""}, false), nullptr);
  EXPECT_FALSE(merged.symmetric);
  EXPECT_TRUE(merged.common_hops.empty());
  EXPECT_TRUE(merged.only_forward.empty());
}

TEST(MergePathsTest, DifferentLengths) {
  // The forward path has an extra router (198.51.100.10/31 between R2 and R3) the reverse lacks.
  v1::TraceResult forward =
      Trace(kServer, {"10.0.1.1", "198.51.100.1", "198.51.100.11", "198.51.100.6", kServer});
  MergedPaths merged = MergePaths(forward, SymmetricReverse(), nullptr);
  EXPECT_THAT(
      Describe(merged),
      ElementsAre("-|10.0.1.2|none", "10.0.1.1|198.51.100.0|link", "198.51.100.1|198.51.100.5|link",
                  "198.51.100.11|-|none", "198.51.100.6|203.0.113.9|link", "203.0.113.10|-|none"));
  EXPECT_FALSE(merged.symmetric);
  EXPECT_THAT(merged.only_forward, ElementsAre("198.51.100.11"));
}

TEST(MergePathsTest, UnreachedReverseWithUnansweredTail) {
  // The reverse trace stops answering after R2: its ??? tail is ignored; what was seen matches.
  v1::TraceResult reverse =
      Trace(kClient, {"203.0.113.9", "198.51.100.5", "", "", "", ""}, /*reached=*/false);
  MergedPaths merged = MergePaths(SymmetricForward(), reverse, nullptr);
  EXPECT_EQ(merged.common_hops.size(), 2u);
  EXPECT_TRUE(merged.symmetric);
  EXPECT_FALSE(merged.rows.front().forward.has_value() && merged.rows.front().reverse.has_value() &&
               merged.rows.front().match == MatchKind::kLink);
}

TEST(MergePathsTest, UnreachedForwardSaysNothingAboutTheRoutersPastItsEnd) {
  // The forward trace dies after R1; the reverse routers beyond are not "reverse only".
  v1::TraceResult forward = Trace(kServer, {"10.0.1.1", "", "", ""}, /*reached=*/false);
  MergedPaths merged = MergePaths(forward, SymmetricReverse(), nullptr);
  EXPECT_TRUE(merged.only_reverse.empty());
  EXPECT_TRUE(merged.symmetric);
}

TEST(MergePathsTest, EmptyTraces) {
  MergedPaths merged = MergePaths(v1::TraceResult(), SymmetricReverse(), nullptr);
  EXPECT_FALSE(merged.symmetric);
  EXPECT_EQ(merged.rows.size(), 4u);
  EXPECT_TRUE(merged.only_reverse.empty());  // nothing to compare with
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
  EXPECT_EQ(merged.rows[2].match, MatchKind::kLink);
  EXPECT_EQ(merged.rows[2].forward->address, "198.51.100.41");  // the main responder is shown
  EXPECT_THAT(merged.rows[2].forward->addresses, ElementsAre("198.51.100.41", "198.51.100.1"));
  EXPECT_TRUE(merged.symmetric);
}

// A chain of stock Linux routers with one /30 per link, as tests/integration/nspath.py and
// tests/topo build it: link i is 198.51.100.4i/30, its client-side end .4i+1 and its server-side
// end .4i+2. A Linux router answers from the interface its route back to the prober leaves by,
// so the forward trace sees router k at its address on link k-1 and the reverse trace at its
// address on link k.
std::string LinkEnd(int link, bool server_side) {
  return absl::StrCat("198.51.100.", 4 * link + (server_side ? 2 : 1));
}

struct Chain {
  v1::TraceResult forward;
  v1::TraceResult reverse;
};

Chain LinuxChain(int routers) {
  std::vector<std::string> forward;
  std::vector<std::string> reverse;
  for (int k = 1; k <= routers; ++k) forward.push_back(LinkEnd(k - 1, true));
  forward.push_back(LinkEnd(routers, true));  // the server
  for (int k = routers; k >= 1; --k) reverse.push_back(LinkEnd(k, false));
  reverse.push_back(LinkEnd(0, false));  // the client
  return {Trace(LinkEnd(routers, true), forward), Trace(LinkEnd(0, false), reverse)};
}

// (address asked, reply source, distance) triples; "" as the source: no answer.
v1::AliasResults Aliases(const std::vector<std::tuple<std::string, std::string, int>>& answers) {
  v1::AliasResults results;
  for (const auto& [address, source, distance] : answers) {
    v1::AliasResolution* r = results.add_resolutions();
    r->set_address(address);
    if (source.empty()) continue;
    r->set_reply_source(source);
    r->set_distance(distance);
    r->set_method(v1::ALIAS_METHOD_UDP_PORT_UNREACHABLE);
  }
  return results;
}

// How each end sees the other direction's routers on a symmetric chain. `mercator`: routers
// answer a UDP probe from their interface toward the prober (an alias); otherwise from the
// probed address itself, as Linux does, which gives only the distance.
std::pair<v1::AliasResults, v1::AliasResults> ChainAliases(int routers, bool mercator) {
  std::vector<std::tuple<std::string, std::string, int>> client;
  std::vector<std::tuple<std::string, std::string, int>> server;
  for (int k = 1; k <= routers; ++k) {
    const std::string forward_address = LinkEnd(k - 1, true);
    const std::string reverse_address = LinkEnd(k, false);
    client.emplace_back(reverse_address, mercator ? forward_address : reverse_address, k);
    server.emplace_back(forward_address, mercator ? reverse_address : forward_address,
                        routers + 1 - k);
  }
  return {Aliases(client), Aliases(server)};
}

TEST(RouterMatchTest, SymmetricChainWithAliasAnswersMatchesEveryRouterByAlias) {
  const Chain chain = LinuxChain(4);
  const auto [client, server] = ChainAliases(4, /*mercator=*/true);
  MergedPaths merged = MergePaths(chain.forward, chain.reverse, nullptr, {&client, &server});
  EXPECT_THAT(Describe(merged),
              ElementsAre("-|198.51.100.1|none", "198.51.100.2|198.51.100.5|alias",
                          "198.51.100.6|198.51.100.9|alias", "198.51.100.10|198.51.100.13|alias",
                          "198.51.100.14|198.51.100.17|alias", "198.51.100.18|-|none"));
  EXPECT_TRUE(merged.symmetric);
  EXPECT_TRUE(merged.only_forward.empty());
  EXPECT_TRUE(merged.only_reverse.empty());
  // Each router carries both directions' figures.
  const AlignedRow& r2 = merged.rows[2];
  EXPECT_EQ(r2.forward->ttl, 2);
  EXPECT_EQ(r2.reverse->ttl, 3);
  EXPECT_EQ(r2.forward->sent, 10);
  EXPECT_EQ(r2.reverse->received, 10);
  EXPECT_EQ(r2.place, RowPlace::kPath);
  EXPECT_STREQ(MatchKindText(r2.match), "by alias");
}

TEST(RouterMatchTest, SymmetricChainWithoutAliasAnswersMatchesByLinkAlignedByOneHop) {
  const Chain chain = LinuxChain(4);
  const std::vector<std::string> expected = {"-|198.51.100.1|none",
                                             "198.51.100.2|198.51.100.5|link",
                                             "198.51.100.6|198.51.100.9|link",
                                             "198.51.100.10|198.51.100.13|link",
                                             "198.51.100.14|198.51.100.17|link",
                                             "198.51.100.18|-|none"};
  // No alias data at all, probes that got no answer, and Linux's answers from the probed
  // address (distances only, which agree): all by link, router k with router k.
  const v1::AliasResults silent = Aliases({{"198.51.100.5", "", 0}, {"198.51.100.9", "", 0}});
  const auto [client, server] = ChainAliases(4, /*mercator=*/false);
  for (const RouterAliases& aliases :
       {RouterAliases{}, RouterAliases{&silent, &silent}, RouterAliases{&client, &server}}) {
    MergedPaths merged = MergePaths(chain.forward, chain.reverse, nullptr, aliases);
    EXPECT_THAT(Describe(merged), ::testing::ElementsAreArray(expected));
    EXPECT_TRUE(merged.symmetric);
    EXPECT_TRUE(merged.only_forward.empty());
    EXPECT_TRUE(merged.only_reverse.empty());
    EXPECT_STREQ(MatchKindText(merged.rows[1].match), "by link");
  }
}

// tests/topo's `chain { routers: 3 detours { from_router: 3 to_router: 1 } }`: the way back
// goes r3 -> d1 -> r1, skipping r2. d1 joins r1 over 198.51.100.16/30 (r1 .17, d1 .18) and r3
// over 198.51.100.20/30 (d1 .21, r3 .22). r3's route back to the client now leaves toward d1, so
// the forward trace sees r3 at .22: every address sits on a link both directions use, and the
// link heuristic alone takes d1 for r2.
Chain DetourChain() {
  return {
      Trace("198.51.100.14", {"198.51.100.2", "198.51.100.6", "198.51.100.22", "198.51.100.14"}),
      Trace("198.51.100.1", {"198.51.100.13", "198.51.100.21", "198.51.100.5", "198.51.100.1"})};
}

TEST(RouterMatchTest, DetourRouterOnTheWayBackIsNamedWithAliasAnswers) {
  const Chain chain = DetourChain();
  // Mercator-style answers: each router's address toward the prober.
  const v1::AliasResults client = Aliases({{"198.51.100.13", "198.51.100.22", 3},
                                           {"198.51.100.21", "198.51.100.18", 4},
                                           {"198.51.100.5", "198.51.100.2", 1}});
  const v1::AliasResults server = Aliases({{"198.51.100.2", "198.51.100.5", 3},
                                           {"198.51.100.6", "198.51.100.9", 2},
                                           {"198.51.100.22", "198.51.100.13", 1}});
  MergedPaths merged = MergePaths(chain.forward, chain.reverse, nullptr, {&client, &server});
  EXPECT_FALSE(merged.symmetric);
  EXPECT_THAT(merged.only_reverse, ElementsAre("198.51.100.21"));
  EXPECT_THAT(merged.only_forward, ElementsAre("198.51.100.6"));
  EXPECT_EQ(merged.common_hops.size(), 2u);
  for (const AlignedRow& row : merged.common_hops) EXPECT_EQ(row.match, MatchKind::kAlias);
}

TEST(RouterMatchTest, DetourRouterOnTheWayBackIsNamedFromLinuxDistances) {
  const Chain chain = DetourChain();
  // Linux answers from the probed address; the distances tell: the client finds d1's .21 four
  // hops away, but the link heuristic would put it at r2's TTL 2.
  const v1::AliasResults client = Aliases({{"198.51.100.13", "198.51.100.13", 3},
                                           {"198.51.100.21", "198.51.100.21", 4},
                                           {"198.51.100.5", "198.51.100.5", 1}});
  const v1::AliasResults server = Aliases({{"198.51.100.2", "198.51.100.2", 3},
                                           {"198.51.100.6", "198.51.100.6", 2},
                                           {"198.51.100.22", "198.51.100.22", 1}});
  MergedPaths merged = MergePaths(chain.forward, chain.reverse, nullptr, {&client, &server});
  EXPECT_FALSE(merged.symmetric);
  EXPECT_THAT(merged.only_reverse, ElementsAre("198.51.100.21"));
  EXPECT_THAT(merged.only_forward, ElementsAre("198.51.100.6"));
  for (const AlignedRow& row : merged.common_hops) EXPECT_EQ(row.match, MatchKind::kLink);

  // Without any alias data the addresses fit one router per TTL: the limit of the heuristic.
  EXPECT_TRUE(MergePaths(chain.forward, chain.reverse, nullptr).symmetric);
}

TEST(RouterMatchTest, LanEndsNeverCountAsAsymmetry) {
  // The client sits behind a home router (192.168.1.1, seen only on the way out), the server
  // behind its own gateway (10.20.0.1, seen only on the way back); the public routers are a
  // symmetric Linux chain.
  v1::TraceResult forward =
      Trace("203.0.113.10", {"192.168.1.1", "198.51.100.2", "198.51.100.6", "203.0.113.10"});
  v1::TraceResult reverse =
      Trace("198.51.100.1", {"10.20.0.1", "198.51.100.9", "198.51.100.5", "198.51.100.1"});
  MergedPaths merged = MergePaths(forward, reverse, nullptr);
  EXPECT_THAT(
      Describe(merged),
      ElementsAre("-|198.51.100.1|none", "192.168.1.1|-|none", "198.51.100.2|198.51.100.5|link",
                  "198.51.100.6|198.51.100.9|link", "-|10.20.0.1|none", "203.0.113.10|-|none"));
  EXPECT_EQ(merged.rows[1].place, RowPlace::kClientLan);
  EXPECT_EQ(merged.rows[4].place, RowPlace::kServerLan);
  EXPECT_TRUE(merged.only_forward.empty());
  EXPECT_TRUE(merged.only_reverse.empty());
  EXPECT_TRUE(merged.symmetric);

  // A private router in the middle of the path is no LAN end: it counts.
  forward = Trace("203.0.113.10", {"198.51.100.2", "10.9.9.9", "198.51.100.6", "203.0.113.10"});
  merged = MergePaths(forward, reverse, nullptr);
  EXPECT_THAT(merged.only_forward, ElementsAre("10.9.9.9"));
  EXPECT_FALSE(merged.symmetric);
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
  const nlohmann::json& router = json["rows"][2];
  EXPECT_EQ(router["forward"]["address"], "198.51.100.1");
  EXPECT_EQ(router["forward"]["ttl"], 2);
  EXPECT_EQ(router["forward"]["asn"], 64501);
  EXPECT_EQ(router["forward"]["loss_pct"], 0.0);
  EXPECT_EQ(router["forward"]["sent"], 10);
  EXPECT_EQ(router["reverse"]["ttl"], 1);
  EXPECT_EQ(router["match"], "link");
  EXPECT_EQ(router["place"], "path");
  EXPECT_FALSE(router["one_way_only"].get<bool>());
  EXPECT_EQ(json["rows"][0]["place"], "client");
  EXPECT_EQ(json["only_forward"], nlohmann::json::array());
  EXPECT_TRUE(json["rows"].back()["forward"]["destination"].get<bool>());
}

}  // namespace
}  // namespace pathpair::merge
