// Unit tests of pathpair-netsim's pure parts: randomness, link model statistics, token bucket,
// flow hash, scenario validation, and the path engine driven with made-up times.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "common/packet/packet.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/netsim/flow_hash.h"
#include "tests/netsim/link_model.h"
#include "tests/netsim/path_engine.h"
#include "tests/netsim/router_model.h"
#include "tests/netsim/scenario.h"
#include "tests/netsim/sim_random.h"
#include "tests/netsim/token_bucket.h"

namespace pathpair::netsim {
namespace {

using ::testing::HasSubstr;
using v1::Endpoint;
using v1::Link;
using v1::Scenario;

Link ParseLink(const std::string& text) {
  Link link;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &link)) << text;
  return link;
}

struct Sampled {
  double mean_ms = 0;
  double min_ms = 1e18;
  double max_ms = 0;
  double loss = 0;
};

Sampled Sample(const Link& link, int n, absl::Duration at = absl::ZeroDuration()) {
  LinkModel model(link, SimRandom(42, "test"));
  Sampled s;
  int lost = 0;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    LinkTransit t = model.Cross(at);
    const double ms = absl::ToDoubleMilliseconds(t.delay);
    sum += ms;
    s.min_ms = std::min(s.min_ms, ms);
    s.max_ms = std::max(s.max_ms, ms);
    lost += t.lost;
  }
  s.mean_ms = sum / n;
  s.loss = static_cast<double>(lost) / n;
  return s;
}

TEST(SimRandomTest, SameSeedAndStreamGiveTheSameSequence) {
  SimRandom a(7, "x"), b(7, "x"), c(7, "y"), d(8, "x");
  for (int i = 0; i < 100; ++i) {
    const uint64_t v = a.Next();
    EXPECT_EQ(v, b.Next());
    EXPECT_NE(v, c.Next());
    EXPECT_NE(v, d.Next());
  }
}

TEST(SimRandomTest, UniformIsInUnitInterval) {
  SimRandom r(1, "u");
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const double u = r.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.01);
}

TEST(LinkModelTest, BaseDelayWithoutJitterIsExact) {
  Sampled s = Sample(ParseLink("delay_ms: 12.5"), 1000);
  EXPECT_DOUBLE_EQ(s.min_ms, 12.5);
  EXPECT_DOUBLE_EQ(s.max_ms, 12.5);
  EXPECT_EQ(s.loss, 0);
}

TEST(LinkModelTest, JitterDistributionsHaveTheirMeanAndNeverGoBelowBase) {
  for (const char* dist : {"JITTER_UNIFORM", "JITTER_NORMAL", "JITTER_EXPONENTIAL"}) {
    Sampled s = Sample(
        ParseLink(absl::StrCat("delay_ms: 10 jitter { distribution: ", dist, " mean_ms: 4 }")),
        200000);
    EXPECT_NEAR(s.mean_ms, 14.0, 0.1) << dist;
    EXPECT_GE(s.min_ms, 10.0) << dist;
  }
  Sampled uniform =
      Sample(ParseLink("delay_ms: 10 jitter { distribution: JITTER_UNIFORM mean_ms: 4 }"), 10000);
  EXPECT_LE(uniform.max_ms, 18.0);
  // Pareto: heavy tail, mean right, rare big values; the cap holds.
  Sampled pareto = Sample(
      ParseLink("delay_ms: 0 jitter { distribution: JITTER_PARETO mean_ms: 5 pareto_shape: 3 }"),
      400000);
  EXPECT_NEAR(pareto.mean_ms, 5.0, 0.3);
  EXPECT_GT(pareto.max_ms, 50.0);
  Sampled capped = Sample(ParseLink("delay_ms: 0 jitter { distribution: JITTER_PARETO mean_ms: 5 "
                                    "pareto_shape: 3 max_ms: 20 }"),
                          100000);
  EXPECT_LE(capped.max_ms, 20.0);
}

TEST(LinkModelTest, IndependentLossMatchesProbability) {
  const int n = 100000;
  Sampled s = Sample(ParseLink("delay_ms: 1 loss: 0.2"), n);
  EXPECT_NEAR(s.loss, 0.2, 4 * std::sqrt(0.2 * 0.8 / n));
}

TEST(LinkModelTest, GilbertElliottLossIsBurstyWithTheStationaryMean) {
  Link link =
      ParseLink("burst_loss { p_good_to_bad: 0.02 p_bad_to_good: 0.25 loss_good: 0 loss_bad: 1 }");
  const double expected = GilbertElliottMeanLoss(link.burst_loss());
  EXPECT_NEAR(expected, 0.02 / 0.27, 1e-12);
  LinkModel model(link, SimRandom(3, "ge"));
  const int n = 200000;
  int lost = 0, bursts = 0;
  bool previous = false;
  for (int i = 0; i < n; ++i) {
    const bool l = model.Cross(absl::ZeroDuration()).lost;
    lost += l;
    if (l && !previous) ++bursts;
    previous = l;
  }
  EXPECT_NEAR(static_cast<double>(lost) / n, expected, 0.01);
  // Mean burst length is 1 / p_bad_to_good = 4 packets.
  EXPECT_NEAR(static_cast<double>(lost) / bursts, 4.0, 0.3);
}

TEST(LinkModelTest, TimedChangesApplyFromTheirTime) {
  Link link = ParseLink(
      "delay_ms: 1 changes { at_s: 2 set { delay_ms: 100 loss: 1 } } "
      "changes { at_s: 3 set { delay_ms: 5 } }");
  LinkModel model(link, SimRandom(1, "c"));
  EXPECT_EQ(model.Cross(absl::Seconds(1.999)).delay, absl::Milliseconds(1));
  LinkTransit during = model.Cross(absl::Seconds(2));
  EXPECT_EQ(during.delay, absl::Milliseconds(100));
  EXPECT_TRUE(during.lost);
  LinkTransit after = model.Cross(absl::Seconds(10));
  EXPECT_EQ(after.delay, absl::Milliseconds(5));
  EXPECT_FALSE(after.lost);
}

TEST(TokenBucketTest, StartsFullThenRefillsAtRate) {
  const MonoTime t0 = MonoTime::FromEpochDuration(absl::Seconds(100));
  TokenBucket bucket(/*rate_per_s=*/2, /*burst=*/3, t0);
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0 + absl::Milliseconds(499)));
  EXPECT_TRUE(bucket.TryTake(t0 + absl::Milliseconds(500)));
  EXPECT_FALSE(bucket.TryTake(t0 + absl::Milliseconds(500)));
  // Never more than the burst after a long pause.
  int taken = 0;
  while (bucket.TryTake(t0 + absl::Seconds(100))) ++taken;
  EXPECT_EQ(taken, 3);
}

TEST(TokenBucketTest, LongRunRateAndUnlimited) {
  const MonoTime t0;
  TokenBucket bucket(5, 1, t0);
  int taken = 0;
  for (int i = 0; i < 1000; ++i) taken += bucket.TryTake(t0 + absl::Milliseconds(10 * i));
  EXPECT_NEAR(taken, 50, 2);  // 10 s at 5/s
  TokenBucket unlimited(0, 0, t0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(unlimited.TryTake(t0));
}

TEST(FlowHashTest, StableAndSensitiveToTheFiveTupleOnly) {
  FlowKey key{.source = *IpAddress::Parse("198.51.100.10"),
              .destination = *IpAddress::Parse("203.0.113.10"),
              .protocol = 17,
              .source_port = 40000,
              .destination_port = 33434};
  const uint64_t h = FlowHash(key, 1);
  EXPECT_EQ(h, FlowHash(key, 1));
  FlowKey other_port = key;
  other_port.destination_port = 33435;
  EXPECT_NE(h, FlowHash(other_port, 1));
  EXPECT_NE(h, FlowHash(key, 2));
  // Spread: 3 ECMP addresses all get used over many ports.
  std::map<uint64_t, int> buckets;
  for (uint16_t port = 33434; port < 33534; ++port) {
    FlowKey k = key;
    k.destination_port = port;
    ++buckets[FlowHash(k, 1) % 3];
  }
  EXPECT_EQ(buckets.size(), 3u);
  for (const auto& [b, n] : buckets) EXPECT_GT(n, 15) << b;
}

TEST(FlowHashTest, GoldenValue) {
  FlowKey key{.source = *IpAddress::Parse("198.51.100.10"),
              .destination = *IpAddress::Parse("203.0.113.10"),
              .protocol = 1,
              .source_port = 4242,
              .destination_port = 0};
  // Fixed values: ECMP choices in scenarios must not change between builds or machines.
  EXPECT_EQ(FlowHash(key, 7), 7767598786587463007ULL);
  EXPECT_EQ(Mix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(HashText(""), Mix64(0xcbf29ce484222325ULL));
}

TEST(RouterModelTest, ChangesEcmpAndIcmpDecisions) {
  v1::Router router;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        name: "r"
        ipv4: "198.51.100.1"
        ipv4: "198.51.100.2"
        ipv4: "198.51.100.3"
        ipv6: "2001:db8::1"
        behavior {
          slow_path_delay_ms: 7
          icmp_rate_limit { rate_per_s: 1 burst: 1 }
        }
        changes {
          at_s: 2
          set { blackhole: true }
        }
        changes {
          at_s: 3
          set { no_time_exceeded: true }
        }
      )pb",
      &router));
  const MonoTime t0;
  RouterModel r(router, 1, t0);
  EXPECT_FALSE(r.Behavior(absl::Seconds(1.9)).blackhole());
  EXPECT_TRUE(r.Behavior(absl::Seconds(2)).blackhole());
  EXPECT_TRUE(r.Behavior(absl::Seconds(5)).no_time_exceeded());
  EXPECT_FALSE(r.Behavior(absl::Seconds(5)).blackhole());
  // ECMP: the same flow always gets the same address; all addresses get used.
  std::set<std::string> seen;
  for (uint64_t flow = 0; flow < 30; ++flow) {
    EXPECT_EQ(r.AddressFor(IpFamily::kV4, flow), r.AddressFor(IpFamily::kV4, flow));
    seen.insert(r.AddressFor(IpFamily::kV4, flow)->ToString());
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(r.AddressFor(IpFamily::kV6, 5)->ToString(), "2001:db8::1");
  // Slow path and rate limit.
  RouterModel::IcmpDecision first = r.DecideTimeExceeded(t0, absl::ZeroDuration());
  EXPECT_EQ(first.outcome, RouterModel::IcmpOutcome::kSend);
  EXPECT_EQ(first.slow_path_delay, absl::Milliseconds(7));
  EXPECT_EQ(r.DecideTimeExceeded(t0, absl::ZeroDuration()).outcome,
            RouterModel::IcmpOutcome::kRateLimited);
  EXPECT_EQ(r.DecideTimeExceeded(t0 + absl::Seconds(1), absl::Seconds(1)).outcome,
            RouterModel::IcmpOutcome::kSend);
  EXPECT_EQ(r.DecideTimeExceeded(t0 + absl::Seconds(4), absl::Seconds(4)).outcome,
            RouterModel::IcmpOutcome::kDisabled);
}

constexpr char kMinimal[] = R"pb(
  name: "t"
  seed: 5
  client { ipv4: "198.51.100.10" ipv6: "2001:db8:c::10" }
  server { ipv4: "203.0.113.10" ipv6: "2001:db8:5::10" }
  routers { name: "a" ipv4: "198.51.100.1" ipv6: "2001:db8:1::1" }
  routers { name: "b" ipv4: "198.51.100.2" ipv6: "2001:db8:1::2" }
  forward {
    hops {
      router: "a"
      link { delay_ms: 1 }
    }
    hops {
      router: "b"
      link { delay_ms: 2 }
    }
    last_link { delay_ms: 3 }
  }
)pb";

absl::Status ValidateText(const std::string& text) {
  absl::StatusOr<Scenario> s = ParseScenarioText(text, "x.textproto");
  if (!s.ok()) return s.status();
  return ValidateScenario(*s);
}

// `base` with `extra` merged in (repeated fields such as hops and routers are appended).
Scenario Merged(const char* base, const std::string& extra) {
  Scenario s, more;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(base, &s));
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(extra, &more)) << extra;
  s.MergeFrom(more);
  return s;
}

Scenario Minimal(const std::string& extra = "") { return Merged(kMinimal, extra); }

TEST(ScenarioTest, MinimalScenarioIsValid) { EXPECT_TRUE(ValidateText(kMinimal).ok()); }

TEST(ScenarioTest, ParseErrorsNameFileLineAndColumn) {
  absl::Status st = ValidateText("name: \"x\"\nseed: 1\nbogus_field: 3\n");
  EXPECT_THAT(std::string(st.message()), HasSubstr("x.textproto:3:"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("bogus_field"));
}

TEST(ScenarioTest, ValidationErrorsNameTheField) {
  struct Case {
    std::string edit;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"forward { hops { router: \"zz\" } }", "forward.hops[2].router: unknown router \"zz\""},
      {"forward { hops { router: \"b\" link { loss: 1.5 } } }", "forward.hops[2].link.loss"},
      {"routers { name: \"a\" }", "duplicate router name"},
      {"routers { name: \"c\" ipv4: \"192.0.2.7\" ipv6: \"2001:db8:9::1\" }", "192.0.2.0/24"},
      {"routers { name: \"c\" ipv4: \"2001:db8::7\" }", "is not an IPv4 address"},
      {"routers { name: \"c\" ipv4: \"198.51.100.1\" }", "used twice"},
      {"routers { name: \"c\" ipv4: \"198.51.100.50\" } forward { hops { router: \"c\" } }",
       "has no IPv6 address"},
      {"forward { last_link { burst_loss { p_good_to_bad: 0.1 } } }", "p_bad_to_good"},
      {"forward { last_link { changes { at_s: 2 } changes { at_s: 1 } } }", "sorted"},
      {"forward { last_link { jitter { distribution: JITTER_PARETO mean_ms: 1 pareto_shape: 0.5 "
       "} } }",
       "pareto_shape"},
      {"routers { name: \"c\" ipv4: \"198.51.100.60\" ipv6: \"2001:db8:9::1\" behavior { "
       "forwarding_loss: -0.1 } }",
       "forwarding_loss"},
      {"expect { code: \"X\" direction: \"up\" }", "direction"},
  };
  for (const Case& c : cases) {
    absl::Status st = ValidateScenario(Minimal(c.edit));
    EXPECT_FALSE(st.ok()) << c.edit;
    EXPECT_THAT(std::string(st.message()), HasSubstr(c.expected)) << c.edit;
  }
  Scenario v4_only_server = Minimal();
  v4_only_server.mutable_server()->clear_ipv6();
  EXPECT_THAT(std::string(ValidateScenario(v4_only_server).message()),
              HasSubstr("same address families"));
  // A loop needs a previous router to bounce to.
  Scenario loop_first = Minimal();
  loop_first.mutable_routers(0)->mutable_behavior()->set_loop(true);
  EXPECT_THAT(std::string(ValidateScenario(loop_first).message()),
              HasSubstr("loops but is the first"));
}

TEST(ScenarioTest, EveryShippedScenarioIsValid) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(PATHPAIR_SCENARIO_DIR)) {
    if (entry.path().extension() != ".textproto") continue;
    absl::StatusOr<Scenario> s = LoadScenarioFile(entry.path().string());
    EXPECT_TRUE(s.ok()) << s.status();
    ++count;
  }
  EXPECT_GE(count, 18);
}

// ---- The engine, with made-up times. ----

struct Delivery {
  Side to;
  std::vector<uint8_t> bytes;
  PacketRecord record;
};

class CollectingSink : public PacketSink {
 public:
  void Deliver(Side to, std::span<const uint8_t> packet, PacketRecord& record) override {
    deliveries.push_back({to, std::vector<uint8_t>(packet.begin(), packet.end()), record});
  }
  void Dropped(const PacketRecord& record) override { drops.push_back(record); }
  std::vector<Delivery> deliveries;
  std::vector<PacketRecord> drops;
};

std::vector<uint8_t> Echo(const std::string& src, const std::string& dst, uint8_t ttl, uint16_t seq,
                          uint16_t id = 777) {
  packet::ProbeSpec spec;
  spec.protocol = packet::ProbeProtocol::kIcmp;
  spec.source = *IpAddress::Parse(src);
  spec.destination = *IpAddress::Parse(dst);
  spec.ttl = ttl;
  spec.icmp_id = id;
  spec.sequence = seq;
  std::vector<uint8_t> buf(256);
  absl::StatusOr<size_t> n = packet::BuildProbePacket(spec, buf);
  EXPECT_TRUE(n.ok()) << n.status();
  buf.resize(n.ok() ? *n : 0);
  return buf;
}

std::vector<uint8_t> Probe(packet::ProbeProtocol protocol, const std::string& src,
                           const std::string& dst, uint8_t ttl, uint16_t seq = 1) {
  packet::ProbeSpec spec;
  spec.protocol = protocol;
  spec.source = *IpAddress::Parse(src);
  spec.destination = *IpAddress::Parse(dst);
  spec.ttl = ttl;
  spec.icmp_id = 777;
  spec.sequence = seq;
  spec.source_port = 40000;
  spec.destination_port = 33434;
  std::vector<uint8_t> buf(256);
  absl::StatusOr<size_t> n = packet::BuildProbePacket(spec, buf);
  EXPECT_TRUE(n.ok()) << n.status();
  buf.resize(n.ok() ? *n : 0);
  return buf;
}

absl::StatusOr<packet::ParsedReply> ParseReply(const std::vector<uint8_t>& bytes) {
  absl::StatusOr<packet::IpHeaderView> h = packet::ParseIpHeader(bytes);
  if (!h.ok()) return h.status();
  return h->family == IpFamily::kV4 ? packet::ParseIpv4Packet(bytes)
                                    : packet::ParseIpv6Packet(bytes);
}

Scenario MustParse(const std::string& extra) {
  Scenario s = Minimal(extra);
  EXPECT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s);
  return s;
}

class EngineTest : public ::testing::Test {
 protected:
  void Run(PathEngine& engine) { engine.RunUntil(t0 + absl::Seconds(100)); }
  const MonoTime t0 = MonoTime::FromEpochDuration(absl::Seconds(1000));
  CollectingSink sink;
};

TEST_F(EngineTest, EchoRequestCrossesThePathWithTheSumOfDelays) {
  PathEngine engine(MustParse(""), t0, &sink);
  engine.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 64, 1), t0);
  EXPECT_EQ(engine.NextEventTime(), t0);
  Run(engine);
  ASSERT_EQ(sink.deliveries.size(), 1u);
  const Delivery& d = sink.deliveries[0];
  EXPECT_EQ(d.to, Side::kServer);
  EXPECT_EQ(d.record.scheduled, t0 + absl::Milliseconds(6));
  absl::StatusOr<packet::IpHeaderView> h = packet::ParseIpHeader(d.bytes);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->ttl, 62);  // two routers
  EXPECT_EQ(engine.NextEventTime(), MonoTime::Infinite());
}

TEST_F(EngineTest, ReverseIsTheMirrorImage) {
  PathEngine engine(MustParse(""), t0, &sink);
  engine.Receive(Side::kServer, Echo("203.0.113.10", "198.51.100.10", 64, 1), t0);
  Run(engine);
  ASSERT_EQ(sink.deliveries.size(), 1u);
  EXPECT_EQ(sink.deliveries[0].to, Side::kClient);
  EXPECT_EQ(sink.deliveries[0].record.scheduled, t0 + absl::Milliseconds(6));
  // The server's TTL-1 probe expires at b (its first hop), 3 ms away: Time Exceeded from b.
  sink.deliveries.clear();
  engine.Receive(Side::kServer, Echo("203.0.113.10", "198.51.100.10", 1, 2), t0);
  Run(engine);
  ASSERT_EQ(sink.deliveries.size(), 1u);
  absl::StatusOr<packet::ParsedReply> reply = packet::ParseIpv4Packet(sink.deliveries[0].bytes);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->responder.ToString(), "198.51.100.2");
  EXPECT_EQ(sink.deliveries[0].record.scheduled, t0 + absl::Milliseconds(6));
}

TEST_F(EngineTest, IcmpReturnSymmetricOrOverTheOtherPath) {
  const std::string reverse = R"pb(
    routers { name: "c" ipv4: "203.0.113.3" ipv6: "2001:db8:1::3" }
    reverse {
      hops {
        router: "c"
        link { delay_ms: 10 }
      }
      last_link { delay_ms: 10 }
    }
  )pb";
  for (bool other : {false, true}) {
    Scenario s = MustParse(reverse);
    if (other) s.set_icmp_return(v1::ICMP_RETURN_OTHER_PATH);
    CollectingSink out;
    PathEngine engine(s, t0, &out);
    engine.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 2, 1), t0);
    // The server's echo-like packet takes the reverse path: 20 ms.
    engine.Receive(Side::kServer, Echo("203.0.113.10", "198.51.100.10", 64, 2), t0);
    engine.RunUntil(t0 + absl::Seconds(10));
    ASSERT_EQ(out.deliveries.size(), 2u);
    for (const Delivery& d : out.deliveries) {
      if (d.record.origin == "server") {
        EXPECT_EQ(d.record.scheduled, t0 + absl::Milliseconds(20));
      } else {
        // Out 1 + 2 ms; back over a and the first link mirrored (2 + 1) or over the last two
        // links of the reverse path (10 + 10).
        EXPECT_EQ(d.record.origin, "b");
        EXPECT_EQ(d.record.scheduled, t0 + absl::Milliseconds(other ? 23 : 6)) << other;
      }
    }
  }
}

TEST_F(EngineTest, ExpiredTtlGivesTimeExceededFromThatRouter) {
  PathEngine engine(MustParse(""), t0, &sink);
  engine.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 2, 9), t0);
  Run(engine);
  ASSERT_EQ(sink.deliveries.size(), 1u);
  const Delivery& d = sink.deliveries[0];
  EXPECT_EQ(d.to, Side::kClient);
  EXPECT_EQ(d.record.scheduled, t0 + absl::Milliseconds(6));  // 1 + 2 out, 2 + 1 back
  EXPECT_EQ(d.record.origin, "b");
  absl::StatusOr<packet::ParsedReply> reply = packet::ParseIpv4Packet(d.bytes);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, packet::ReplyKind::kTimeExceeded);
  EXPECT_EQ(reply->responder.ToString(), "198.51.100.2");
  ASSERT_TRUE(reply->quote.has_value());
  EXPECT_EQ(reply->quote->icmp_sequence, 9);
  EXPECT_EQ(reply->quote->ttl, 1);
  ASSERT_EQ(sink.drops.size(), 1u);
  EXPECT_EQ(sink.drops[0].fate, "ttl_expired");
}

TEST_F(EngineTest, Ipv6TimeExceeded) {
  PathEngine engine(MustParse(""), t0, &sink);
  engine.Receive(Side::kClient, Echo("2001:db8:c::10", "2001:db8:5::10", 1, 3), t0);
  Run(engine);
  ASSERT_EQ(sink.deliveries.size(), 1u);
  absl::StatusOr<packet::ParsedReply> reply = packet::ParseIpv6Packet(sink.deliveries[0].bytes);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->responder.ToString(), "2001:db8:1::1");
  EXPECT_EQ(sink.deliveries[0].record.scheduled, t0 + absl::Milliseconds(2));
}

TEST_F(EngineTest, SlowPathRateLimitAndMpls) {
  Scenario s = MustParse(R"pb(
    routers {
      name: "c"
      ipv4: "198.51.100.3"
      ipv6: "2001:db8:1::3"
      mpls { label: 1234 ttl: 1 }
      behavior {
        slow_path_delay_ms: 50
        icmp_rate_limit { rate_per_s: 1 burst: 1 }
      }
    }
    forward {
      hops {
        router: "c"
        link { delay_ms: 1 }
      }
    }
  )pb");
  PathEngine engine(s, t0, &sink);
  engine.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 3, 1), t0);
  engine.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 3, 2), t0);
  Run(engine);
  ASSERT_EQ(sink.deliveries.size(), 1u);  // the second is rate limited
  EXPECT_EQ(sink.deliveries[0].record.scheduled, t0 + absl::Milliseconds(4 + 50 + 4));
  absl::StatusOr<packet::ParsedReply> reply = packet::ParseIpv4Packet(sink.deliveries[0].bytes);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->mpls.size(), 1u);
  EXPECT_EQ(reply->mpls[0].label, 1234u);
  EXPECT_TRUE(reply->mpls[0].bottom_of_stack);
  bool rate_limited = false;
  for (const PacketRecord& r : sink.drops) {
    for (const HopEvent& e : r.hops) rate_limited |= e.what == "icmp_rate_limited";
  }
  EXPECT_TRUE(rate_limited);
}

TEST_F(EngineTest, BlackholeDropsEverythingAndLoopBounces) {
  Scenario s = MustParse(R"pb(
    routers {
      name: "c"
      ipv4: "198.51.100.3"
      ipv6: "2001:db8:1::3"
      behavior { loop: true }
    }
    forward {
      hops {
        router: "c"
        link { delay_ms: 1 }
      }
    }
  )pb");
  PathEngine engine(s, t0, &sink);
  // TTL 4: a(1) b(2) c(3, loops back) b(4): Time Exceeded from b.
  engine.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 4, 1), t0);
  // TTL 5: ... then c again.
  engine.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 5, 2), t0);
  // TTL 64 never arrives.
  engine.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 64, 3), t0);
  Run(engine);
  std::vector<std::string> responders;
  for (const Delivery& d : sink.deliveries) {
    EXPECT_EQ(d.to, Side::kClient);
    responders.push_back(d.record.origin);
  }
  EXPECT_THAT(responders, ::testing::UnorderedElementsAre("b", "c", "b"));

  CollectingSink sink2;
  Scenario hole = MustParse(R"pb(
    routers {
      name: "c"
      ipv4: "198.51.100.3"
      ipv6: "2001:db8:1::3"
      behavior { blackhole: true }
    }
    forward {
      hops {
        router: "c"
        link { delay_ms: 1 }
      }
    }
  )pb");
  PathEngine engine2(hole, t0, &sink2);
  engine2.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 3, 1), t0);
  engine2.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 64, 2), t0);
  engine2.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 2, 3), t0);
  engine2.RunUntil(t0 + absl::Seconds(10));
  ASSERT_EQ(sink2.deliveries.size(), 1u);  // only TTL 2 (router b) answers
  EXPECT_EQ(sink2.deliveries[0].record.origin, "b");
}

TEST_F(EngineTest, DestinationDropsEchoAndUnknownDestinationsGoNowhere) {
  Scenario s = MustParse("destination { drop_icmp_echo: true }");
  PathEngine engine(s, t0, &sink);
  engine.Receive(Side::kClient, Echo("198.51.100.10", "203.0.113.10", 64, 1), t0);
  engine.Receive(Side::kClient, Echo("198.51.100.10", "198.51.100.250", 64, 2), t0);
  Run(engine);
  EXPECT_TRUE(sink.deliveries.empty());
  ASSERT_EQ(sink.drops.size(), 2u);
  std::vector<std::string> fates = {sink.drops[0].fate, sink.drops[1].fate};
  EXPECT_THAT(fates, ::testing::UnorderedElementsAre("dest_icmp_dropped", "no_route"));
}

TEST_F(EngineTest, SameScenarioAndProbesGiveTheSameLosses) {
  const std::string lossy =
      "forward { hops { router: \"b\" link { delay_ms: 1 loss: 0.3 jitter "
      "{ distribution: JITTER_EXPONENTIAL mean_ms: 2 } } } }";
  auto fates = [&](uint64_t seed) {
    Scenario s = MustParse(lossy);
    s.set_seed(seed);
    CollectingSink out;
    PathEngine engine(s, t0, &out);
    for (int i = 0; i < 200; ++i) {
      engine.Receive(Side::kClient,
                     Echo("198.51.100.10", "203.0.113.10", static_cast<uint8_t>(1 + i % 4),
                          static_cast<uint16_t>(i)),
                     t0 + absl::Milliseconds(10 * i));
      engine.RunUntil(t0 + absl::Milliseconds(10 * i));
    }
    engine.RunUntil(t0 + absl::Seconds(100));
    std::vector<std::string> result;
    for (const Delivery& d : out.deliveries) {
      result.push_back(
          absl::StrCat(d.record.cause_id, "@", absl::ToInt64Nanoseconds(d.record.scheduled - t0)));
    }
    return result;
  };
  const auto a = fates(11);
  EXPECT_EQ(a, fates(11));
  EXPECT_NE(a, fates(12));
  EXPECT_GT(a.size(), 50u);
  EXPECT_LT(a.size(), 200u);
}

TEST_F(EngineTest, GarbageAndTruncatedPacketsAreDroppedWithoutHarm) {
  PathEngine engine(MustParse(""), t0, &sink);
  SimRandom rng(9, "garbage");
  std::vector<uint8_t> valid = Echo("198.51.100.10", "203.0.113.10", 2, 1);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> bytes;
    if (i % 2 == 0) {
      bytes.resize(rng.Next() % 80);
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng.Next());
      if (!bytes.empty()) bytes[0] = (i % 4 == 0) ? 0x45 : 0x60;  // look like IP
    } else {
      bytes.assign(valid.begin(), valid.begin() + rng.Next() % valid.size());
      if (!bytes.empty()) bytes[rng.Next() % bytes.size()] ^= static_cast<uint8_t>(rng.Next());
    }
    engine.Receive(i % 3 == 0 ? Side::kServer : Side::kClient, bytes, t0);
  }
  Run(engine);
  EXPECT_EQ(engine.pending_events(), 0u);
}

// pathpair-topo's wire: every packet, whatever its addresses, crosses with its direction's delay
// and loss, TTL untouched.
TEST_F(EngineTest, WireCarriesAnyPacketUnchangedWithEachDirectionsDelay) {
  Link out;
  out.set_delay_ms(25);
  Link back;
  back.set_loss(1.0);
  const Scenario wire = WireScenario(out, back, 3);
  ASSERT_TRUE(ValidateScenario(wire).ok()) << ValidateScenario(wire);
  PathEngine engine(wire, t0, &sink);
  const std::vector<uint8_t> probe = Echo("198.51.100.1", "203.0.113.99", 1, 5);
  engine.Receive(Side::kClient, probe, t0);
  Run(engine);
  ASSERT_EQ(sink.deliveries.size(), 1u);
  EXPECT_EQ(sink.deliveries[0].to, Side::kServer);
  EXPECT_EQ(sink.deliveries[0].bytes, probe);  // TTL 1 and all: a wire is no router
  EXPECT_EQ(sink.deliveries[0].record.scheduled, t0 + absl::Milliseconds(25));
  engine.Receive(Side::kServer, Echo("203.0.113.99", "198.51.100.1", 64, 6), t0);
  Run(engine);
  EXPECT_EQ(sink.deliveries.size(), 1u);
  ASSERT_EQ(sink.drops.size(), 1u);
  EXPECT_EQ(sink.drops[0].fate, "link_loss");
}

TEST(ScenarioTest, AWireHasOnlyItsTwoLinks) {
  Scenario wire = WireScenario(Link(), Link(), 1);
  EXPECT_TRUE(ValidateScenario(wire).ok());
  wire.mutable_client()->set_ipv4("198.51.100.1");
  EXPECT_THAT(ValidateScenario(wire).message(), HasSubstr("pass_through"));
  wire = WireScenario(Link(), Link(), 1);
  wire.mutable_reverse()->mutable_last_link()->set_loss(2);
  EXPECT_THAT(ValidateScenario(wire).message(), HasSubstr("reverse.last_link"));
}

TEST_F(EngineTest, GroundTruthForTheMinimalPath) {
  PathEngine engine(MustParse(""), t0, &sink);
  std::vector<PathEngine::HopTruth> truth = engine.GroundTruth(Side::kClient, IpFamily::kV4, 30);
  ASSERT_EQ(truth.size(), 3u);
  EXPECT_EQ(truth[0].router, "a");
  EXPECT_DOUBLE_EQ(truth[0].base_rtt_ms, 2);
  EXPECT_DOUBLE_EQ(truth[1].base_rtt_ms, 6);
  EXPECT_EQ(truth[2].responder, "destination");
  EXPECT_DOUBLE_EQ(truth[2].base_rtt_ms, 12);
  EXPECT_EQ(truth[2].addresses[0].ToString(), "203.0.113.10");
  EXPECT_DOUBLE_EQ(truth[2].loss, 0);
  // A destination that drops echo requests loses every ICMP probe but no UDP probe.
  PathEngine blocked(MustParse("destination { drop_icmp_echo: true }"), t0, &sink);
  truth = blocked.GroundTruth(Side::kClient, IpFamily::kV4, 30);
  ASSERT_EQ(truth.size(), 3u);
  EXPECT_TRUE(truth[2].icmp_echo_dropped);
  EXPECT_DOUBLE_EQ(truth[2].loss, 1);
  EXPECT_DOUBLE_EQ(truth[2].path_loss, 0);
}

// ---- Per-interface addresses, reply sources, packets to routers. ----

// tests/topo's `chain { routers: 3 detours { from_router: 3 to_router: 1 } }` with its addresses:
// out client - r1 - r2 - r3 - server, back server - r3 - d1 - r1 - client; /30 links.
constexpr char kDetour[] = R"pb(
  name: "detour"
  seed: 3
  client { ipv4: "198.51.100.1" ipv6: "2001:db8::1" }
  server { ipv4: "198.51.100.14" ipv6: "2001:db8:0:3::2" }
  routers {
    name: "r1"
    interfaces { peer: "client" ipv4: "198.51.100.2" ipv6: "2001:db8::2" }
    interfaces { peer: "r2" ipv4: "198.51.100.5" ipv6: "2001:db8:0:1::1" }
    interfaces { peer: "d1" ipv4: "198.51.100.17" ipv6: "2001:db8:0:4::1" }
  }
  routers {
    name: "r2"
    interfaces { peer: "r1" ipv4: "198.51.100.6" ipv6: "2001:db8:0:1::2" }
    interfaces { peer: "r3" ipv4: "198.51.100.9" ipv6: "2001:db8:0:2::1" }
  }
  routers {
    name: "r3"
    interfaces { peer: "r2" ipv4: "198.51.100.10" ipv6: "2001:db8:0:2::2" }
    interfaces { peer: "server" ipv4: "198.51.100.13" ipv6: "2001:db8:0:3::1" }
    interfaces { peer: "d1" ipv4: "198.51.100.22" ipv6: "2001:db8:0:5::2" }
  }
  routers {
    name: "d1"
    interfaces { peer: "r1" ipv4: "198.51.100.18" ipv6: "2001:db8:0:4::2" }
    interfaces { peer: "r3" ipv4: "198.51.100.21" ipv6: "2001:db8:0:5::1" }
  }
  forward {
    hops {
      router: "r1"
      link { delay_ms: 1 }
    }
    hops {
      router: "r2"
      link { delay_ms: 2 }
    }
    hops {
      router: "r3"
      link { delay_ms: 3 }
    }
    last_link { delay_ms: 4 }
  }
  reverse {
    hops {
      router: "r3"
      link { delay_ms: 10 }
    }
    hops {
      router: "d1"
      link { delay_ms: 20 }
    }
    hops {
      router: "r1"
      link { delay_ms: 30 }
    }
    last_link { delay_ms: 40 }
  }
  icmp_return: ICMP_RETURN_OTHER_PATH
)pb";

Scenario Detour() {
  Scenario s = Merged(kDetour, "");
  EXPECT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s);
  return s;
}

std::string Address(const Endpoint& e, IpFamily family) {
  return family == IpFamily::kV4 ? e.ipv4() : e.ipv6();
}

// What a tracer at `from` sees: the source of the answer to one echo probe per TTL.
std::vector<std::string> Trace(const Scenario& s, Side from, IpFamily family) {
  const MonoTime t0 = MonoTime::FromEpochDuration(absl::Seconds(1000));
  CollectingSink sink;
  PathEngine engine(s, t0, &sink);
  const std::string me = Address(from == Side::kClient ? s.client() : s.server(), family);
  const std::string target = Address(from == Side::kClient ? s.server() : s.client(), family);
  std::vector<std::string> hops;
  for (int ttl = 1; ttl <= 10; ++ttl) {
    sink.deliveries.clear();
    engine.Receive(from, Echo(me, target, static_cast<uint8_t>(ttl), static_cast<uint16_t>(ttl)),
                   t0);
    engine.RunUntil(t0 + absl::Seconds(100));
    if (sink.deliveries.empty()) break;
    const Delivery& d = sink.deliveries.back();
    if (d.to != from) {  // the target's kernel answers this one
      hops.push_back(target);
      break;
    }
    absl::StatusOr<packet::ParsedReply> reply = ParseReply(d.bytes);
    if (!reply.ok()) return {reply.status().ToString()};
    hops.push_back(reply->responder.ToString());
    if (reply->responder.ToString() == target) break;
  }
  return hops;
}

std::vector<std::string> TruthAddresses(PathEngine& engine, Side from, IpFamily family) {
  std::vector<std::string> out;
  for (const PathEngine::HopTruth& h : engine.GroundTruth(from, family, 30)) {
    EXPECT_EQ(h.addresses.size(), 1u) << h.ttl;
    out.push_back(h.addresses.empty() ? "" : h.addresses[0].ToString());
  }
  return out;
}

using ::testing::ElementsAre;

// What mtr showed on that chain of stock Linux routers (kernel 6.18): over IPv4 each router
// answers from the interface its route back to the tracer leaves by (r3 toward d1, d1 toward
// r3); over IPv6 from the interface the probe came in on.
TEST_F(EngineTest, RoutersAnswerFromTheirInterfacesLikeLinux) {
  const Scenario s = Detour();
  EXPECT_THAT(Trace(s, Side::kClient, IpFamily::kV4),
              ElementsAre("198.51.100.2", "198.51.100.6", "198.51.100.22", "198.51.100.14"));
  EXPECT_THAT(Trace(s, Side::kServer, IpFamily::kV4),
              ElementsAre("198.51.100.13", "198.51.100.21", "198.51.100.5", "198.51.100.1"));
  EXPECT_THAT(Trace(s, Side::kClient, IpFamily::kV6),
              ElementsAre("2001:db8::2", "2001:db8:0:1::2", "2001:db8:0:2::2", "2001:db8:0:3::2"));
  EXPECT_THAT(Trace(s, Side::kServer, IpFamily::kV6),
              ElementsAre("2001:db8:0:3::1", "2001:db8:0:5::1", "2001:db8:0:4::1", "2001:db8::1"));
  // The ground truth says the same.
  PathEngine engine(s, t0, &sink);
  for (Side side : {Side::kClient, Side::kServer}) {
    for (IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
      EXPECT_EQ(TruthAddresses(engine, side, family), Trace(s, side, family));
    }
  }
}

TEST_F(EngineTest, ErrorsReturnAlongTheWayBackFromWhereTheyJoinIt) {
  PathEngine engine(Detour(), t0, &sink);
  const std::vector<PathEngine::HopTruth> truth =
      engine.GroundTruth(Side::kClient, IpFamily::kV4, 30);
  ASSERT_EQ(truth.size(), 4u);
  // r1 (on the way back): out 1, back 40. r2 (not on it): out 1 + 2, back over r2 -> r1 (2,
  // the forward link mirrored) then r1 -> client (40). r3: out 6, back 20 + 30 + 40.
  EXPECT_DOUBLE_EQ(truth[0].base_rtt_ms, 41);
  EXPECT_DOUBLE_EQ(truth[1].base_rtt_ms, 3 + 2 + 40);
  EXPECT_DOUBLE_EQ(truth[2].base_rtt_ms, 6 + 20 + 30 + 40);
  EXPECT_DOUBLE_EQ(truth[3].base_rtt_ms, 10 + 100);
  // Sent and timed: r2's error.
  engine.Receive(Side::kClient, Echo("198.51.100.1", "198.51.100.14", 2, 1), t0);
  Run(engine);
  ASSERT_EQ(sink.deliveries.size(), 1u);
  EXPECT_EQ(sink.deliveries[0].record.origin, "r2");
  EXPECT_EQ(sink.deliveries[0].record.scheduled, t0 + absl::Milliseconds(45));
}

TEST_F(EngineTest, IcmpSourceOptions) {
  struct Case {
    v1::IcmpSource source;
    std::vector<std::string> v4;
    std::vector<std::string> v6;
  };
  const std::vector<Case> cases = {
      {v1::ICMP_SOURCE_EGRESS,
       {"198.51.100.2", "198.51.100.6", "198.51.100.22", "198.51.100.14"},
       {"2001:db8::2", "2001:db8:0:1::2", "2001:db8:0:5::2", "2001:db8:0:3::2"}},
      {v1::ICMP_SOURCE_INGRESS,
       {"198.51.100.2", "198.51.100.6", "198.51.100.10", "198.51.100.14"},
       {"2001:db8::2", "2001:db8:0:1::2", "2001:db8:0:2::2", "2001:db8:0:3::2"}},
  };
  for (const Case& c : cases) {
    Scenario s = Detour();
    for (auto& r : *s.mutable_routers()) r.set_icmp_source(c.source);
    EXPECT_EQ(Trace(s, Side::kClient, IpFamily::kV4), c.v4) << v1::IcmpSource_Name(c.source);
    EXPECT_EQ(Trace(s, Side::kClient, IpFamily::kV6), c.v6) << v1::IcmpSource_Name(c.source);
  }
  // A router-wide address (a loopback) for every message.
  Scenario s = Detour();
  s.mutable_routers(2)->add_ipv4("203.0.113.3");
  s.mutable_routers(2)->add_ipv6("2001:db8:ff::3");
  s.mutable_routers(2)->set_icmp_source(v1::ICMP_SOURCE_ROUTER_ADDRESS);
  ASSERT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s);
  EXPECT_EQ(Trace(s, Side::kClient, IpFamily::kV4)[2], "203.0.113.3");
  EXPECT_EQ(Trace(s, Side::kServer, IpFamily::kV6)[0], "2001:db8:ff::3");
}

// What a prober at `from` gets back for one probe: the reply's kind, source and round trip.
struct Answer {
  packet::ReplyKind kind = packet::ReplyKind::kEchoReply;
  std::string responder;
  absl::Duration rtt;
  bool answered = false;
};

Answer Ask(PathEngine& engine, CollectingSink& sink, const Scenario& s, Side from,
           packet::ProbeProtocol protocol, const std::string& address, uint8_t ttl = 64) {
  const MonoTime at = MonoTime::FromEpochDuration(absl::Seconds(1000));
  const IpFamily family = IpAddress::Parse(address)->family();
  sink.deliveries.clear();
  engine.Receive(from,
                 Probe(protocol, Address(from == Side::kClient ? s.client() : s.server(), family),
                       address, ttl),
                 at);
  engine.RunUntil(at + absl::Seconds(100));
  Answer answer;
  if (sink.deliveries.empty()) return answer;
  EXPECT_EQ(sink.deliveries.size(), 1u);
  EXPECT_EQ(sink.deliveries[0].to, from);
  absl::StatusOr<packet::ParsedReply> reply = ParseReply(sink.deliveries[0].bytes);
  EXPECT_TRUE(reply.ok()) << reply.status();
  if (!reply.ok()) return answer;
  answer.answered = true;
  answer.kind = reply->kind;
  answer.responder = reply->responder.ToString();
  answer.rtt = sink.deliveries[0].record.scheduled - at;
  return answer;
}

// Linux answers a datagram or an echo request sent to one of its addresses from that address,
// whichever interface it is on and whichever side asks; the packet goes as routing takes it.
TEST_F(EngineTest, RoutersAnswerUdpAndEchoToTheirOwnAddresses) {
  const Scenario s = Detour();
  PathEngine engine(s, t0, &sink);
  using packet::ProbeProtocol;
  using packet::ReplyKind;
  struct Case {
    Side from;
    ProbeProtocol protocol;
    std::string address;
    ReplyKind kind;
    absl::Duration rtt;
  };
  const std::vector<Case> cases = {
      // r2's interface toward r3: through r1 to r2 (1 + 2); back r2 -> r1 (2) -> client (40).
      {Side::kClient, ProbeProtocol::kUdp, "198.51.100.9", ReplyKind::kDestinationUnreachable,
       absl::Milliseconds(45)},
      {Side::kClient, ProbeProtocol::kIcmp, "198.51.100.9", ReplyKind::kEchoReply,
       absl::Milliseconds(45)},
      // d1 is on the way back only. Its address on the r3 link: r3 holds that link (1 + 2 + 3,
      // then r3 -> d1: 20); back d1 -> r1 -> client (30 + 40).
      {Side::kClient, ProbeProtocol::kUdp, "198.51.100.21", ReplyKind::kDestinationUnreachable,
       absl::Milliseconds(96)},
      // Its address on the r1 link: through r1 (1, then r1 -> d1: 30); back 30 + 40.
      {Side::kClient, ProbeProtocol::kIcmp, "198.51.100.18", ReplyKind::kEchoReply,
       absl::Milliseconds(101)},
      // From the server d1 is on the way: 10 + 20; back d1 -> r3 (20) -> server (4).
      {Side::kServer, ProbeProtocol::kUdp, "2001:db8:0:4::2", ReplyKind::kDestinationUnreachable,
       absl::Milliseconds(54)},
      // r1's LAN side from the server: 10 + 20 + 30; back along the way out 2 + 3 + 4.
      {Side::kServer, ProbeProtocol::kUdp, "198.51.100.2", ReplyKind::kDestinationUnreachable,
       absl::Milliseconds(69)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.address);
    const Answer a = Ask(engine, sink, s, c.from, c.protocol, c.address);
    ASSERT_TRUE(a.answered);
    EXPECT_EQ(a.kind, c.kind);
    EXPECT_EQ(a.responder, c.address);
    EXPECT_EQ(a.rtt, c.rtt);
  }
  // Port unreachable quotes the datagram: code 3 (IPv4), 4 (IPv6).
  sink.deliveries.clear();
  engine.Receive(Side::kClient, Probe(ProbeProtocol::kUdp, "2001:db8::1", "2001:db8:0:1::2", 64),
                 t0);
  Run(engine);
  ASSERT_EQ(sink.deliveries.size(), 1u);
  absl::StatusOr<packet::ParsedReply> reply = ParseReply(sink.deliveries[0].bytes);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->icmp_code, 4);
  ASSERT_TRUE(reply->quote.has_value());
  EXPECT_EQ(reply->quote->destination_port, 33434);
  // The ground truth of alias probes says the same.
  std::map<std::string, PathEngine::AddressTruth> truth;
  for (auto& t : engine.RouterAddressTruth(Side::kClient, IpFamily::kV4)) {
    truth[t.address.ToString()] = t;
  }
  EXPECT_EQ(truth.size(), 10u);
  EXPECT_EQ(truth["198.51.100.21"].router, "d1");
  EXPECT_EQ(truth["198.51.100.21"].peer, "r3");
  EXPECT_EQ(truth["198.51.100.21"].hops, 4);
  EXPECT_DOUBLE_EQ(truth["198.51.100.21"].base_rtt_ms, 96);
  ASSERT_EQ(truth["198.51.100.21"].port_unreachable_from.size(), 1u);
  EXPECT_EQ(truth["198.51.100.21"].port_unreachable_from[0].ToString(), "198.51.100.21");
  EXPECT_EQ(truth["198.51.100.9"].hops, 2);
}

TEST_F(EngineTest, PacketsToRoutersExpireOnTheWayAndShareTheErrorBudget) {
  Scenario s = Detour();
  s.mutable_routers(1)->mutable_behavior()->mutable_icmp_rate_limit()->set_rate_per_s(0.001);
  s.mutable_routers(1)->mutable_behavior()->mutable_icmp_rate_limit()->set_burst(1);
  PathEngine engine(s, t0, &sink);
  using packet::ProbeProtocol;
  // TTL 1 toward r2's address: r1 answers Time Exceeded.
  Answer a = Ask(engine, sink, s, Side::kClient, ProbeProtocol::kUdp, "198.51.100.9", 1);
  ASSERT_TRUE(a.answered);
  EXPECT_EQ(a.kind, packet::ReplyKind::kTimeExceeded);
  EXPECT_EQ(a.responder, "198.51.100.2");
  // TTL 2 reaches r2, which delivers it whatever is left of the TTL; that port unreachable
  // spends r2's one token, so a Time Exceeded right after is rate limited, and so is the next
  // port unreachable; echo replies are not limited.
  a = Ask(engine, sink, s, Side::kClient, ProbeProtocol::kUdp, "198.51.100.9", 2);
  EXPECT_TRUE(a.answered);
  EXPECT_EQ(a.kind, packet::ReplyKind::kDestinationUnreachable);
  EXPECT_FALSE(
      Ask(engine, sink, s, Side::kClient, ProbeProtocol::kIcmp, "198.51.100.14", 2).answered);
  EXPECT_FALSE(Ask(engine, sink, s, Side::kClient, ProbeProtocol::kUdp, "198.51.100.6").answered);
  EXPECT_TRUE(Ask(engine, sink, s, Side::kClient, ProbeProtocol::kIcmp, "198.51.100.6").answered);
  // TCP to a router: no listener, and no RST in the model.
  EXPECT_FALSE(Ask(engine, sink, s, Side::kClient, ProbeProtocol::kTcp, "198.51.100.5").answered);
  bool unanswered = false;
  for (const PacketRecord& r : sink.drops) {
    for (const HopEvent& e : r.hops) unanswered |= r.fate == "to_router" && e.what == "no_answer";
  }
  EXPECT_TRUE(unanswered);
  // An address nobody has goes nowhere.
  EXPECT_FALSE(Ask(engine, sink, s, Side::kClient, ProbeProtocol::kUdp, "198.51.100.99").answered);
  EXPECT_EQ(sink.drops.back().fate, "no_route");
}

// With icmp_source EGRESS, a port unreachable leaves from the interface toward the prober: the
// Mercator alias of the address asked.
TEST_F(EngineTest, EgressRoutersGiveMercatorAliases) {
  Scenario s = Detour();
  s.mutable_routers(3)->set_icmp_source(v1::ICMP_SOURCE_EGRESS);  // d1
  PathEngine engine(s, t0, &sink);
  using packet::ProbeProtocol;
  // d1's address on the r3 link, asked from the client: it answers toward r1.
  Answer a = Ask(engine, sink, s, Side::kClient, ProbeProtocol::kUdp, "198.51.100.21");
  EXPECT_EQ(a.responder, "198.51.100.18");
  a = Ask(engine, sink, s, Side::kServer, ProbeProtocol::kUdp, "198.51.100.18");
  EXPECT_EQ(a.responder, "198.51.100.21");
  // Echo replies still come from the address asked.
  a = Ask(engine, sink, s, Side::kClient, ProbeProtocol::kIcmp, "198.51.100.21");
  EXPECT_EQ(a.responder, "198.51.100.21");
}

// A mirrored path with an address per interface: each trace sees a router's address on the link
// toward the tracer, so the two directions show different addresses of the same routers.
TEST_F(EngineTest, MirroredPathWithInterfaceAddresses) {
  Scenario s = MustParse("");
  s.mutable_routers()->Clear();
  ASSERT_TRUE(google::protobuf::TextFormat::MergeFromString(
      R"pb(
        routers {
          name: "a"
          interfaces { peer: "client" ipv4: "198.51.100.9" ipv6: "2001:db8:c::1" }
          interfaces { peer: "b" ipv4: "198.51.100.13" ipv6: "2001:db8:1:1::1" }
        }
        routers {
          name: "b"
          interfaces { peer: "a" ipv4: "198.51.100.14" ipv6: "2001:db8:1:1::2" }
          interfaces { peer: "server" ipv4: "203.0.113.9" ipv6: "2001:db8:5::1" }
        }
      )pb",
      &s));
  ASSERT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s);
  EXPECT_THAT(Trace(s, Side::kClient, IpFamily::kV4),
              ElementsAre("198.51.100.9", "198.51.100.14", "203.0.113.10"));
  EXPECT_THAT(Trace(s, Side::kServer, IpFamily::kV4),
              ElementsAre("203.0.113.9", "198.51.100.13", "198.51.100.10"));
  EXPECT_THAT(Trace(s, Side::kClient, IpFamily::kV6),
              ElementsAre("2001:db8:c::1", "2001:db8:1:1::2", "2001:db8:5::10"));
  EXPECT_THAT(Trace(s, Side::kServer, IpFamily::kV6),
              ElementsAre("2001:db8:5::1", "2001:db8:1:1::1", "2001:db8:c::10"));
}

TEST(ScenarioTest, InterfaceValidation) {
  struct Case {
    std::string edit;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {R"pb(routers {
              name: "r2"
              interfaces { peer: "server" ipv4: "198.51.100.30" }
            })pb",
       "is not next to router"},
      {R"pb(routers {
              name: "r2"
              interfaces { peer: "r1" ipv6: "2001:db8:0:1::3" }
            })pb",
       "a second interface toward"},
      {R"pb(routers {
              name: "r2"
              interfaces { peer: "r9" ipv4: "198.51.100.30" }
            })pb",
       "is not next to router"},
      {R"pb(routers {
              name: "r2"
              interfaces { peer: "d1" }
            })pb",
       "has no address"},
      {R"pb(routers {
              name: "r2"
              interfaces { peer: "d1" ipv4: "198.51.100.9" }
            })pb",
       "used twice"},
      {R"pb(routers {
              name: "r2"
              interfaces { peer: "d1" ipv6: "10.0.0.1" }
            })pb",
       "is not an IPv6 address"},
      {R"pb(routers { name: "server" })pb", "name the endpoints"},
      {R"pb(routers { name: "r2" icmp_source: ICMP_SOURCE_ROUTER_ADDRESS })pb",
       "needs a router-wide address"},
      {R"pb(expect { code: "ASYMMETRIC_PATH" router: "d9" })pb",
       "expect[0].router: unknown router \"d9\""},
      {R"pb(expect_absent { code: "" })pb", "expect_absent[0].code"},
  };
  for (const Case& c : cases) {
    Scenario s = Merged(kDetour, c.edit);
    // An edit of router r2 merges into it; of another router, adds one.
    if (s.routers_size() > 4 && s.routers(4).name() == "r2") {
      s.mutable_routers(1)->MergeFrom(s.routers(4));
      s.mutable_routers()->RemoveLast();
    }
    absl::Status st = ValidateScenario(s);
    EXPECT_THAT(std::string(st.message()), HasSubstr(c.expected)) << c.edit;
  }
  // Link partners: one /31, the two hosts of one /30, one IPv6 /64.
  Scenario s = Detour();
  s.mutable_routers(1)->mutable_interfaces(0)->set_ipv4("198.51.100.7");  // .4/30's broadcast
  EXPECT_THAT(std::string(ValidateScenario(s).message()),
              HasSubstr("are not the two ends of one link"));
  s = Detour();
  s.mutable_routers(1)->mutable_interfaces(0)->set_ipv6("2001:db8:0:9::2");
  EXPECT_THAT(std::string(ValidateScenario(s).message()),
              HasSubstr("are not the two ends of one link"));
  s = Detour();
  s.mutable_routers(0)->mutable_interfaces(1)->set_ipv4("198.51.100.40");
  s.mutable_routers(1)->mutable_interfaces(0)->set_ipv4("198.51.100.41");
  EXPECT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s);  // a /31
  // A router on a path needs an address toward both of its neighbours there.
  s = Detour();
  s.mutable_routers(1)->mutable_interfaces()->RemoveLast();
  EXPECT_THAT(std::string(ValidateScenario(s).message()),
              HasSubstr("has no IPv4 address (for its interface toward \"r3\")"));
}

}  // namespace
}  // namespace pathpair::netsim
