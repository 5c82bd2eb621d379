// The topology builder's pure part: parsing, chain expansion (addresses, routes, detours, twins,
// wires, losses), validation and the hops a tracer must see.
#include "tests/topo/spec.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/topo/describe.h"

namespace pathpair::topo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Expanded ExpandText(const std::string& text) {
  absl::StatusOr<v1::Topology> spec = ParseSpec(text, "<test>");
  EXPECT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<Expanded> expanded = Expand(spec.value_or(v1::Topology()));
  EXPECT_TRUE(expanded.ok()) << expanded.status();
  return expanded.ok() ? *expanded : Expanded();
}

absl::Status ExpandError(const std::string& text) {
  absl::StatusOr<v1::Topology> spec = ParseSpec(text, "<test>");
  if (!spec.ok()) return spec.status();
  return Expand(*spec).status();
}

const v1::Node& NodeNamed(const v1::Topology& t, const std::string& name) {
  for (const v1::Node& n : t.nodes()) {
    if (n.name() == name) return n;
  }
  ADD_FAILURE() << "no node " << name;
  return t.nodes(0);
}

std::vector<std::string> Routes(const v1::Topology& t, const std::string& node) {
  std::vector<std::string> out;
  for (const v1::Route& r : NodeNamed(t, node).routes()) {
    out.push_back(absl::StrCat(r.to(), " via ", r.via(), r.table() ? " table " : "",
                               r.table() ? absl::StrCat(r.table()) : ""));
  }
  return out;
}

std::vector<std::string> Hops(const v1::Topology& t, const std::string& from,
                              const std::string& to) {
  absl::StatusOr<std::vector<IpAddress>> hops = ExpectedHops(t, from, *IpAddress::Parse(to));
  EXPECT_TRUE(hops.ok()) << hops.status();
  std::vector<std::string> out;
  for (const IpAddress& a : hops.value_or(std::vector<IpAddress>{})) out.push_back(a.ToString());
  return out;
}

TEST(TopoSpecTest, ParsesTextAndJsonAndNamesTheErrorsPlace) {
  absl::StatusOr<v1::Topology> text = ParseSpec("name: \"x1\" chain { routers: 2 }", "a.textproto");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->chain().routers(), 2u);
  absl::StatusOr<v1::Topology> json = ParseSpec(
      R"({"name": "x1", "chain": {"routers": 2, "detours": [{"from_router": 2}]}})", "a.json");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->chain().detours(0).from_router(), 2u);
  absl::StatusOr<v1::Topology> bad = ParseSpec("chain {\n  rooters: 2 }", "bad.textproto");
  EXPECT_THAT(bad.status().message(), HasSubstr("bad.textproto:2:"));
  EXPECT_FALSE(ParseSpec("{\"chain\": 3}", "bad.json").ok());
}

TEST(TopoSpecTest, ChainHasOneAddressPerInterfaceAndRoutesAlongTheLine) {
  const Expanded e = ExpandText("chain { routers: 3 }");
  EXPECT_EQ(e.spec.name().substr(0, 2), "pp");
  ASSERT_TRUE(e.chain.has_value());
  EXPECT_THAT(e.chain->nodes, ElementsAre("client", "r1", "r2", "r3", "server"));
  ASSERT_EQ(e.spec.links_size(), 4);
  const v1::VethLink& link2 = e.spec.links(2);
  EXPECT_EQ(link2.a().node(), "r2");
  EXPECT_EQ(link2.a().name(), "r");
  EXPECT_THAT(link2.a().addresses(), ElementsAre("198.51.100.9/30", "2001:db8:0:2::1/64"));
  EXPECT_EQ(link2.b().node(), "r3");
  EXPECT_EQ(link2.b().name(), "l");
  EXPECT_THAT(link2.b().addresses(), ElementsAre("198.51.100.10/30", "2001:db8:0:2::2/64"));
  EXPECT_FALSE(NodeNamed(e.spec, "client").forwarding());
  EXPECT_TRUE(NodeNamed(e.spec, "r2").forwarding());
  EXPECT_FALSE(NodeNamed(e.spec, "server").forwarding());
  EXPECT_THAT(Routes(e.spec, "client"),
              ElementsAre("default via 198.51.100.2", "default via 2001:db8::2"));
  EXPECT_THAT(
      Routes(e.spec, "r3"),
      ElementsAre("default via 198.51.100.14", "default via 2001:db8:0:3::2",
                  "198.51.100.0/30 via 198.51.100.9", "2001:db8::/64 via 2001:db8:0:2::1",
                  "198.51.100.4/30 via 198.51.100.9", "2001:db8:0:1::/64 via 2001:db8:0:2::1"));
  EXPECT_THAT(Routes(e.spec, "server"),
              ElementsAre("default via 198.51.100.13", "default via 2001:db8:0:3::1"));
  EXPECT_EQ(e.chain->links[3].right.ipv4, "198.51.100.14");
  EXPECT_EQ(e.chain->links[0].left.ipv6, "2001:db8::1");
}

TEST(TopoSpecTest, ChainPoolsAndSlash31Links) {
  const Expanded e = ExpandText(
      "chain { routers: 1 ipv4_pool: \"10.9.8.0/24\" ipv4_link_prefix: 31 "
      "ipv6_pool: \"2001:db8:77::/48\" }");
  EXPECT_THAT(e.spec.links(1).a().addresses(), ElementsAre("10.9.8.2/31", "2001:db8:77:1::1/64"));
  EXPECT_THAT(e.spec.links(1).b().addresses(), ElementsAre("10.9.8.3/31", "2001:db8:77:1::2/64"));
  EXPECT_THAT(Hops(e.spec, "client", "10.9.8.3"), ElementsAre("10.9.8.1", "10.9.8.3"));
}

TEST(TopoSpecTest, PlainChainHopsAreEachRoutersAddressTowardTheProber) {
  const Expanded e = ExpandText("chain { routers: 3 }");
  EXPECT_THAT(Hops(e.spec, "client", "198.51.100.14"),
              ElementsAre("198.51.100.2", "198.51.100.6", "198.51.100.10", "198.51.100.14"));
  EXPECT_THAT(Hops(e.spec, "server", "198.51.100.1"),
              ElementsAre("198.51.100.13", "198.51.100.9", "198.51.100.5", "198.51.100.1"));
  EXPECT_THAT(Hops(e.spec, "client", "2001:db8:0:3::2"),
              ElementsAre("2001:db8::2", "2001:db8:0:1::2", "2001:db8:0:2::2", "2001:db8:0:3::2"));
}

TEST(TopoSpecTest, DetourTakesTheWayBackOnly) {
  // r3 sends what goes to the client through d1 to r1: r2 is on the way out only, d1 on the way
  // back only, and r3 answers the client from its address toward d1.
  const Expanded e = ExpandText("chain { routers: 3 detours { from_router: 3 to_router: 1 } }");
  EXPECT_THAT(e.chain->detour_routers, ElementsAre("d1"));
  EXPECT_TRUE(NodeNamed(e.spec, "d1").forwarding());
  // Links 4 (r1 "d1" .17 -- d1 "l" .18) and 5 (d1 "r" .21 -- r3 "d1" .22).
  EXPECT_EQ(e.spec.links(4).a().node(), "r1");
  EXPECT_EQ(e.spec.links(4).a().name(), "d1");
  EXPECT_EQ(e.spec.links(5).b().node(), "r3");
  EXPECT_THAT(Hops(e.spec, "client", "198.51.100.14"),
              ElementsAre("198.51.100.2", "198.51.100.6", "198.51.100.22", "198.51.100.14"));
  EXPECT_THAT(Hops(e.spec, "server", "198.51.100.1"),
              ElementsAre("198.51.100.13", "198.51.100.21", "198.51.100.5", "198.51.100.1"));
  // Over IPv6 a router answers from the interface the probe came in on (as mtr shows on such a
  // chain): r3 from its side toward r2, r1 from its side toward d1.
  EXPECT_THAT(Hops(e.spec, "client", "2001:db8:0:3::2"),
              ElementsAre("2001:db8::2", "2001:db8:0:1::2", "2001:db8:0:2::2", "2001:db8:0:3::2"));
  EXPECT_THAT(Hops(e.spec, "server", "2001:db8::1"),
              ElementsAre("2001:db8:0:3::1", "2001:db8:0:5::1", "2001:db8:0:4::1", "2001:db8::1"));
  // Everything stays reachable both ways: the detour's own links too.
  EXPECT_THAT(Hops(e.spec, "client", "198.51.100.18"),
              ElementsAre("198.51.100.2", "198.51.100.18"));
  EXPECT_THAT(Hops(e.spec, "server", "198.51.100.18"),
              ElementsAre("198.51.100.13", "198.51.100.18"));
  EXPECT_THAT(Hops(e.spec, "r2", "198.51.100.21"), ElementsAre("198.51.100.10", "198.51.100.21"));
}

TEST(TopoSpecTest, DetourToTheClientAndFromTheServer) {
  const Expanded to_client =
      ExpandText("chain { routers: 2 detours { from_router: 2 to_router: 0 } }");
  // Links 3 (client "d1" .13 -- d1 .14) and 4 (d1 .17 -- r2 "d1" .18).
  EXPECT_THAT(Hops(to_client.spec, "client", "198.51.100.10"),
              ElementsAre("198.51.100.2", "198.51.100.18", "198.51.100.10"));
  EXPECT_THAT(Hops(to_client.spec, "server", "198.51.100.1"),
              ElementsAre("198.51.100.9", "198.51.100.17", "198.51.100.1"));
  const Expanded from_server =
      ExpandText("chain { routers: 2 detours { from_router: 3 to_router: 1 } }");
  // Links 3 (r1 "d1" .13 -- d1 .14) and 4 (d1 .17 -- server "d1" .18).
  EXPECT_THAT(Hops(from_server.spec, "server", "198.51.100.1"),
              ElementsAre("198.51.100.17", "198.51.100.5", "198.51.100.1"));
  EXPECT_THAT(Hops(from_server.spec, "client", "198.51.100.10"),
              ElementsAre("198.51.100.2", "198.51.100.6", "198.51.100.10"));
}

TEST(TopoSpecTest, WireLossAndTwin) {
  const Expanded e = ExpandText(R"pb(
    chain {
      routers: 3
      wires {
        link: 2
        forward { delay_ms: 25 }
        seed: 9
      }
      losses { router: 2 direction: DIRECTION_REVERSE percent: 20 }
      losses { router: 1 percent: 5 }
      twin { router: 2 }
      management: true
    }
  )pb");
  ASSERT_EQ(e.spec.wires_size(), 1);
  const v1::Wire& wire = e.spec.wires(0);
  EXPECT_EQ(wire.a().node(), "r2");
  EXPECT_EQ(wire.a().name(), "r");
  EXPECT_EQ(wire.b().node(), "r3");
  EXPECT_EQ(wire.a_to_b().delay_ms(), 25);
  EXPECT_EQ(wire.b_to_a().delay_ms(), 0);
  EXPECT_EQ(wire.seed(), 9u);
  EXPECT_EQ(e.spec.links_size(), 3 + 2);  // four chain links, one a wire, and the twin's two
  EXPECT_THAT(NodeNamed(e.spec, "r2").nftables(),
              HasSubstr("oifname != \"r\" numgen random mod 100 < 20 drop"));
  EXPECT_THAT(NodeNamed(e.spec, "r2").nftables(), ::testing::Not(HasSubstr("oifname \"r\"")));
  // r1 feeds the twin t2 too: both ways toward the server lose.
  EXPECT_THAT(NodeNamed(e.spec, "r1").nftables(),
              HasSubstr("oifname { \"r\", \"tw\" } numgen random mod 100 < 5 drop"));
  EXPECT_THAT(NodeNamed(e.spec, "r1").nftables(),
              HasSubstr("oifname != { \"r\", \"tw\" } numgen random mod 100 < 5 drop"));
  EXPECT_THAT(NodeNamed(e.spec, "r1").nftables(), HasSubstr("meta mark set numgen random mod 2"));
  ASSERT_EQ(NodeNamed(e.spec, "r1").rules_size(), 1);
  EXPECT_EQ(NodeNamed(e.spec, "r1").rules(0).table(), 100u);
  EXPECT_THAT(Routes(e.spec, "r1"), ::testing::Contains("default via 198.51.100.18 table 100"));
  EXPECT_EQ(e.chain->twin, "t2");
  EXPECT_EQ(e.chain->twin_end.ipv4, "198.51.100.18");
  EXPECT_TRUE(NodeNamed(e.spec, "client").management());
  EXPECT_TRUE(NodeNamed(e.spec, "server").management());
  EXPECT_FALSE(NodeNamed(e.spec, "r1").management());
}

TEST(TopoSpecTest, IcmpRateLimitsDefaultToTheKernelsAndAreChosenPerTopologyOrNode) {
  Expanded e = ExpandText("chain { routers: 1 }");
  for (const v1::Node& n : e.spec.nodes()) {
    EXPECT_EQ(n.icmp_rate_limits(), v1::ICMP_RATE_LIMITS_KERNEL_DEFAULT) << n.name();
  }
  e = ExpandText("icmp_rate_limits: ICMP_RATE_LIMITS_OFF chain { routers: 1 }");
  for (const v1::Node& n : e.spec.nodes()) {
    EXPECT_EQ(n.icmp_rate_limits(), v1::ICMP_RATE_LIMITS_OFF) << n.name();
  }
  e = ExpandText(
      "icmp_rate_limits: ICMP_RATE_LIMITS_OFF nodes { name: \"a\" icmp_rate_limits: "
      "ICMP_RATE_LIMITS_KERNEL_DEFAULT } nodes { name: \"b\" }");
  EXPECT_EQ(NodeNamed(e.spec, "a").icmp_rate_limits(), v1::ICMP_RATE_LIMITS_KERNEL_DEFAULT);
  EXPECT_EQ(NodeNamed(e.spec, "b").icmp_rate_limits(), v1::ICMP_RATE_LIMITS_OFF);
}

TEST(TopoSpecTest, ValidationNamesTheField) {
  EXPECT_THAT(ExpandError("name: \"Bad-Name\"").message(), HasSubstr("name:"));
  EXPECT_THAT(ExpandError("nodes { name: \"a\" } nodes { name: \"a\" }").message(),
              HasSubstr("nodes[1].name"));
  const std::string two = "nodes { name: \"a\" } nodes { name: \"b\" } ";
  EXPECT_THAT(ExpandError(two + "links { a { node: \"a\" name: \"x\" addresses: \"192.0.2.1/24\" } "
                                "b { node: \"b\" name: \"y\" } }")
                  .message(),
              HasSubstr("links[0].a.addresses[0]"));
  EXPECT_THAT(ExpandError(two + "links { a { node: \"a\" name: \"x\" addresses: \"10.0.0.1/30\" } "
                                "b { node: \"b\" name: \"y\" addresses: \"10.0.0.1/30\" } }")
                  .message(),
              HasSubstr("used twice"));
  EXPECT_THAT(ExpandError(two + "links { a { node: \"a\" name: \"x\" addresses: \"10.0.0.1\" } "
                                "b { node: \"b\" name: \"y\" } }")
                  .message(),
              HasSubstr("needs a /PREFIX"));
  EXPECT_THAT(ExpandError(two + "links { a { node: \"a\" name: \"x\" } b { node: \"c\" name: "
                                "\"y\" } }")
                  .message(),
              HasSubstr("links[0].b.node"));
  EXPECT_THAT(ExpandError(two + "links { a { node: \"a\" name: \"lo\" } b { node: \"b\" name: "
                                "\"y\" } }")
                  .message(),
              HasSubstr("reserved"));
  EXPECT_THAT(ExpandError("nodes { name: \"a\" routes { to: \"default\" dev: \"eth9\" "
                          "src: \"10.0.0.1\" } }")
                  .message(),
              HasSubstr("nodes[0].routes[0].dev"));
  EXPECT_THAT(ExpandError("nodes { name: \"a\" routes { to: \"default\" dev: \"lo\" } }").message(),
              HasSubstr("family"));
  EXPECT_THAT(
      ExpandError("nodes { name: \"a\" routes { to: \"10.0.0.0/8\" via: \"2001:db8::1\" } }")
          .message(),
      HasSubstr("another family"));
  EXPECT_THAT(ExpandError("chain { routers: 0 }").message(), HasSubstr("chain.routers"));
  EXPECT_THAT(ExpandError("chain { routers: 4 detours { from_router: 3 to_router: 1 } "
                          "detours { from_router: 4 to_router: 2 } }")
                  .message(),
              HasSubstr("overlaps"));
  EXPECT_THAT(ExpandError("chain { routers: 2 detours { from_router: 1 to_router: 1 } }").message(),
              HasSubstr("chain.detours[0]"));
  EXPECT_THAT(ExpandError("chain { routers: 2 losses { router: 3 percent: 5 } }").message(),
              HasSubstr("chain.losses[0].router"));
  EXPECT_THAT(ExpandError("chain { routers: 2 twin { router: 1 } }").message(),
              HasSubstr("chain.twin.router"));
  EXPECT_THAT(ExpandError("chain { routers: 2 wires { link: 3 } }").message(),
              HasSubstr("chain.wires[0].link"));
  EXPECT_THAT(ExpandError("chain { routers: 1 ipv4_pool: \"192.0.2.0/24\" }").message(),
              HasSubstr("may not be used"));
}

TEST(TopoSpecTest, DescribeGivesNamespacesAddressesAndHops) {
  const Expanded e = ExpandText(
      "name: \"pq1\" icmp_rate_limits: ICMP_RATE_LIMITS_OFF "
      "chain { routers: 2 detours { from_router: 2 to_router: 1 } }");
  const nlohmann::ordered_json j = Describe(e, nullptr);
  EXPECT_EQ(j["name"], "pq1");
  EXPECT_EQ(j["nodes"]["r1"]["namespace"], "pq1-r1");
  EXPECT_EQ(j["nodes"]["client"]["interfaces"]["r"][0], "198.51.100.1/30");
  EXPECT_EQ(j["chain"]["server"]["ipv4"], "198.51.100.10");
  EXPECT_EQ(j["chain"]["links"][1]["left"]["node"], "r1");
  EXPECT_EQ(j["chain"]["detour_routers"][0], "d1");
  EXPECT_EQ(
      j["chain"]["hops"]["ipv4"]["reverse"],
      nlohmann::ordered_json({"198.51.100.9", "198.51.100.17", "198.51.100.5", "198.51.100.1"}));
  EXPECT_EQ(j["chain"]["hops"]["ipv6"]["forward"].size(), 3u);
}

TEST(TopoSpecTest, EveryShippedSpecExpands) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(PATHPAIR_TOPO_SPECS)) {
    SCOPED_TRACE(entry.path().string());
    absl::StatusOr<v1::Topology> spec = LoadSpecFile(entry.path().string());
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_TRUE(Expand(*spec).ok()) << Expand(*spec).status();
    ++count;
  }
  EXPECT_GE(count, 2);
}

}  // namespace
}  // namespace pathpair::topo
