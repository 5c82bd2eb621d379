#include "agent/engine/probe_matcher.h"

#include <cstdint>
#include <random>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::engine {
namespace {

using packet::ParsedReply;
using packet::ProbeProtocol;
using packet::QuotedProbe;
using packet::ReplyKind;
using ::testing::Optional;

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

const IpAddress kSource = Addr("198.51.100.1");
const IpAddress kTarget = Addr("203.0.113.9");
const IpAddress kOther = Addr("203.0.113.77");
const IpAddress kRouter = Addr("198.51.100.254");

ProbeIdentity Icmp() {
  return ProbeIdentity{.protocol = ProbeProtocol::kIcmp, .target = kTarget, .icmp_id = 0x4242};
}
ProbeIdentity Udp() {
  return ProbeIdentity{.protocol = ProbeProtocol::kUdp,
                       .target = kTarget,
                       .source_port = 40000,
                       .destination_port = 33434};
}
ProbeIdentity Tcp() {
  return ProbeIdentity{.protocol = ProbeProtocol::kTcp,
                       .target = kTarget,
                       .source_port = 40001,
                       .destination_port = 443,
                       .tcp_sequence_high = 0xbeef};
}

ParsedReply EchoReply(IpAddress from, uint16_t id, uint16_t seq) {
  ParsedReply r;
  r.kind = ReplyKind::kEchoReply;
  r.responder = from;
  r.destination = kSource;
  r.echo_id = id;
  r.echo_sequence = seq;
  return r;
}

ParsedReply ErrorQuoting(ReplyKind kind, const QuotedProbe& quote) {
  ParsedReply r;
  r.kind = kind;
  r.responder = kRouter;
  r.destination = kSource;
  r.icmp_type = kind == ReplyKind::kTimeExceeded ? 11 : 3;
  r.quote = quote;
  return r;
}

QuotedProbe QuoteOf(const ProbeIdentity& id, uint16_t seq) {
  QuotedProbe q;
  q.protocol = id.protocol;
  q.source = kSource;
  q.destination = id.target;
  q.icmp_id = id.icmp_id;
  q.icmp_sequence = seq;
  q.source_port = id.source_port;
  q.destination_port = id.destination_port;
  q.udp_checksum = seq;
  q.tcp_sequence = (uint32_t{id.tcp_sequence_high} << 16) | seq;
  return q;
}

ParsedReply TcpReply(ReplyKind kind, IpAddress from, uint16_t sport, uint16_t dport, uint32_t ack) {
  ParsedReply r;
  r.kind = kind;
  r.responder = from;
  r.destination = kSource;
  r.tcp_source_port = sport;
  r.tcp_destination_port = dport;
  r.tcp_ack = ack;
  return r;
}

TEST(MatchReplyTest, IcmpEchoReplyFromTarget) {
  EXPECT_THAT(MatchReply(Icmp(), EchoReply(kTarget, 0x4242, 17)), Optional(Sequence(17)));
  EXPECT_EQ(MatchReply(Icmp(), EchoReply(kTarget, 0x4243, 17)), std::nullopt);  // other id
  EXPECT_EQ(MatchReply(Icmp(), EchoReply(kOther, 0x4242, 17)), std::nullopt);   // other host
  EXPECT_EQ(MatchReply(Udp(), EchoReply(kTarget, 0x4242, 17)), std::nullopt);   // not ICMP
}

TEST(MatchReplyTest, IcmpTimeExceededQuote) {
  const ProbeIdentity id = Icmp();
  EXPECT_THAT(MatchReply(id, ErrorQuoting(ReplyKind::kTimeExceeded, QuoteOf(id, 99))),
              Optional(Sequence(99)));
  QuotedProbe wrong_target = QuoteOf(id, 99);
  wrong_target.destination = kOther;
  EXPECT_EQ(MatchReply(id, ErrorQuoting(ReplyKind::kTimeExceeded, wrong_target)), std::nullopt);
  QuotedProbe wrong_id = QuoteOf(id, 99);
  wrong_id.icmp_id = 1;
  EXPECT_EQ(MatchReply(id, ErrorQuoting(ReplyKind::kTimeExceeded, wrong_id)), std::nullopt);
  QuotedProbe wrong_protocol = QuoteOf(id, 99);
  wrong_protocol.protocol = ProbeProtocol::kUdp;
  EXPECT_EQ(MatchReply(id, ErrorQuoting(ReplyKind::kTimeExceeded, wrong_protocol)), std::nullopt);
  ParsedReply no_quote = ErrorQuoting(ReplyKind::kTimeExceeded, QuoteOf(id, 99));
  no_quote.quote.reset();
  EXPECT_EQ(MatchReply(id, no_quote), std::nullopt);
}

TEST(MatchReplyTest, UdpSequenceIsTheQuotedChecksum) {
  const ProbeIdentity id = Udp();
  EXPECT_THAT(MatchReply(id, ErrorQuoting(ReplyKind::kDestinationUnreachable, QuoteOf(id, 0x1234))),
              Optional(Sequence(0x1234)));
  QuotedProbe other_sport = QuoteOf(id, 5);
  other_sport.source_port = 40002;
  EXPECT_EQ(MatchReply(id, ErrorQuoting(ReplyKind::kTimeExceeded, other_sport)), std::nullopt);
  QuotedProbe other_dport = QuoteOf(id, 5);
  other_dport.destination_port = 53;
  EXPECT_EQ(MatchReply(id, ErrorQuoting(ReplyKind::kTimeExceeded, other_dport)), std::nullopt);
}

TEST(MatchReplyTest, TcpQuoteNeedsOurSequenceHighHalf) {
  const ProbeIdentity id = Tcp();
  EXPECT_THAT(MatchReply(id, ErrorQuoting(ReplyKind::kTimeExceeded, QuoteOf(id, 0xabcd))),
              Optional(Sequence(0xabcd)));
  QuotedProbe other_high = QuoteOf(id, 0xabcd);
  other_high.tcp_sequence = 0x1111abcd;
  EXPECT_EQ(MatchReply(id, ErrorQuoting(ReplyKind::kTimeExceeded, other_high)), std::nullopt);
}

TEST(MatchReplyTest, TcpSynAckAndRstAcknowledgeSequencePlusOne) {
  const ProbeIdentity id = Tcp();
  EXPECT_THAT(MatchReply(id, TcpReply(ReplyKind::kTcpSynAck, kTarget, 443, 40001, 0xbeef0011)),
              Optional(Sequence(0x0010)));
  EXPECT_THAT(MatchReply(id, TcpReply(ReplyKind::kTcpRst, kTarget, 443, 40001, 0xbeef0001)),
              Optional(Sequence(0x0000)));
  // ack - 1 borrows from the high half: 0xbef00000 - 1 = 0xbeefffff.
  EXPECT_THAT(MatchReply(id, TcpReply(ReplyKind::kTcpRst, kTarget, 443, 40001, 0xbef00000)),
              Optional(Sequence(0xffff)));
  EXPECT_EQ(MatchReply(id, TcpReply(ReplyKind::kTcpRst, kTarget, 443, 40001, 0x12340011)),
            std::nullopt);  // another connection's sequence space
  EXPECT_EQ(MatchReply(id, TcpReply(ReplyKind::kTcpSynAck, kTarget, 80, 40001, 0xbeef0011)),
            std::nullopt);  // not the target's port
  EXPECT_EQ(MatchReply(id, TcpReply(ReplyKind::kTcpSynAck, kTarget, 443, 40002, 0xbeef0011)),
            std::nullopt);  // not our port
  EXPECT_EQ(MatchReply(id, TcpReply(ReplyKind::kTcpSynAck, kOther, 443, 40001, 0xbeef0011)),
            std::nullopt);  // not the target
  EXPECT_EQ(MatchReply(id, TcpReply(ReplyKind::kTcpRst, kTarget, 443, 40001, 0)),
            std::nullopt);  // ack 0 wraps to 0xffffffff: high half not ours
}

TEST(FillProbeSpecTest, CarriesIdentitySequenceAndTtl) {
  packet::ProbeSpec spec;
  spec.source = kSource;
  spec.packet_size = 100;
  FillProbeSpec(Tcp(), Sequence(0x1234), Ttl(7), &spec);
  EXPECT_EQ(spec.protocol, ProbeProtocol::kTcp);
  EXPECT_EQ(spec.source, kSource);  // untouched
  EXPECT_EQ(spec.packet_size, 100u);
  EXPECT_EQ(spec.destination, kTarget);
  EXPECT_EQ(spec.source_port, 40001);
  EXPECT_EQ(spec.destination_port, 443);
  EXPECT_EQ(spec.tcp_sequence_high, 0xbeef);
  EXPECT_EQ(spec.sequence, 0x1234);
  EXPECT_EQ(spec.ttl, 7);
  FillProbeSpec(Icmp(), Sequence(3), Ttl(1), &spec);
  EXPECT_EQ(spec.icmp_id, 0x4242);
  EXPECT_EQ(spec.protocol, ProbeProtocol::kIcmp);
}

TEST(MatchReplyTest, HostileRandomRepliesNeverCrash) {
  std::mt19937 rng(7);
  auto u16 = [&] { return static_cast<uint16_t>(rng()); };
  const ProbeIdentity identities[] = {Icmp(), Udp(), Tcp()};
  for (int i = 0; i < 20000; ++i) {
    ParsedReply r;
    r.kind = static_cast<ReplyKind>(rng() % 5);
    r.responder = rng() % 2 ? kTarget : IpAddress::V4(rng());
    r.icmp_type = static_cast<uint8_t>(rng());
    r.icmp_code = static_cast<uint8_t>(rng());
    r.echo_id = u16();
    r.echo_sequence = u16();
    r.tcp_source_port = u16();
    r.tcp_destination_port = u16();
    r.tcp_ack = static_cast<uint32_t>(rng());
    if (rng() % 2) {
      QuotedProbe q;
      q.protocol = static_cast<ProbeProtocol>(rng() % 3);
      q.destination = rng() % 2 ? kTarget : IpAddress::V4(rng());
      q.icmp_id = u16();
      q.source_port = u16();
      q.destination_port = u16();
      q.udp_checksum = u16();
      q.tcp_sequence = static_cast<uint32_t>(rng());
      r.quote = q;
    }
    for (const ProbeIdentity& id : identities) (void)MatchReply(id, r);
  }
}

TEST(TraceRegistryTest, RandomIdentifiersAreUniqueAmongLiveTraces) {
  TraceRegistry registry([] { return 5u; });  // worst case: the same random value every time
  std::set<uint16_t> ids;
  for (int i = 0; i < 50; ++i) {
    auto reg = registry.Register({.protocol = ProbeProtocol::kIcmp, .target = kTarget});
    ASSERT_TRUE(reg.ok());
    EXPECT_NE(reg->identity.icmp_id, 0);
    EXPECT_TRUE(ids.insert(reg->identity.icmp_id).second);
  }
  std::set<uint16_t> ports;
  for (int i = 0; i < 50; ++i) {
    auto reg = registry.Register(
        {.protocol = ProbeProtocol::kUdp, .target = kTarget, .destination_port = 33434});
    ASSERT_TRUE(reg.ok());
    EXPECT_GE(reg->identity.source_port, 32768);
    EXPECT_LE(reg->identity.source_port, 60999);
    EXPECT_EQ(reg->identity.destination_port, 33434);
    EXPECT_TRUE(ports.insert(reg->identity.source_port).second);
  }
  EXPECT_EQ(registry.size(), 100u);
}

TEST(TraceRegistryTest, IdentifierReusableAfterUnregister) {
  TraceRegistry registry([] { return 0u; });
  auto a = registry.Register({.protocol = ProbeProtocol::kIcmp, .target = kTarget});
  ASSERT_TRUE(a.ok());
  registry.Unregister(a->trace);
  registry.Unregister(a->trace);  // twice is harmless
  auto b = registry.Register({.protocol = ProbeProtocol::kIcmp, .target = kTarget});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->identity.icmp_id, b->identity.icmp_id);
  EXPECT_NE(a->trace, b->trace);
  EXPECT_EQ(registry.RouteReply(EchoReply(kTarget, b->identity.icmp_id, 3))->trace, b->trace);
}

TEST(TraceRegistryTest, RoutesEachReplyToItsOwnTrace) {
  TraceRegistry registry;
  auto icmp_a = registry.Register({.protocol = ProbeProtocol::kIcmp, .target = kTarget});
  auto icmp_b = registry.Register({.protocol = ProbeProtocol::kIcmp, .target = kTarget});
  auto udp = registry.Register(
      {.protocol = ProbeProtocol::kUdp, .target = kTarget, .destination_port = 33434});
  auto tcp = registry.Register(
      {.protocol = ProbeProtocol::kTcp, .target = kTarget, .destination_port = 80});
  ASSERT_TRUE(icmp_a.ok() && icmp_b.ok() && udp.ok() && tcp.ok());
  ASSERT_NE(icmp_a->identity.icmp_id, icmp_b->identity.icmp_id);

  auto route = registry.RouteReply(EchoReply(kTarget, icmp_b->identity.icmp_id, 8));
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->trace, icmp_b->trace);
  EXPECT_EQ(route->sequence, Sequence(8));

  route = registry.RouteReply(ErrorQuoting(ReplyKind::kTimeExceeded, QuoteOf(icmp_a->identity, 9)));
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->trace, icmp_a->trace);

  route = registry.RouteReply(ErrorQuoting(ReplyKind::kTimeExceeded, QuoteOf(udp->identity, 10)));
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->trace, udp->trace);
  EXPECT_EQ(route->sequence, Sequence(10));

  const uint32_t ack = ((uint32_t{tcp->identity.tcp_sequence_high} << 16) | 11) + 1;
  route = registry.RouteReply(
      TcpReply(ReplyKind::kTcpSynAck, kTarget, 80, tcp->identity.source_port, ack));
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->trace, tcp->trace);
  EXPECT_EQ(route->sequence, Sequence(11));

  // Foreign: an id nobody has, and a right id with the wrong target in the quote.
  const uint16_t unused =
      static_cast<uint16_t>(icmp_a->identity.icmp_id ^ icmp_b->identity.icmp_id ^ 1);
  if (unused != icmp_a->identity.icmp_id && unused != icmp_b->identity.icmp_id) {
    EXPECT_EQ(registry.RouteReply(EchoReply(kTarget, unused, 8)), std::nullopt);
  }
  QuotedProbe elsewhere = QuoteOf(icmp_a->identity, 9);
  elsewhere.destination = kOther;
  EXPECT_EQ(registry.RouteReply(ErrorQuoting(ReplyKind::kTimeExceeded, elsewhere)), std::nullopt);
}

TEST(TraceRegistryTest, FixedIdentifierSharedOnlyAcrossTargets) {
  TraceRegistry registry;
  TraceRegistry::Request request{.protocol = ProbeProtocol::kUdp,
                                 .target = kTarget,
                                 .destination_port = 33434,
                                 .fixed_identifier = 5000};
  auto a = registry.Register(request);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->identity.source_port, 5000);
  EXPECT_EQ(registry.Register(request).status().code(), absl::StatusCode::kAlreadyExists);
  request.target = kOther;
  auto b = registry.Register(request);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->identity.source_port, 5000);
  // Same port, told apart by the quoted destination.
  EXPECT_EQ(
      registry.RouteReply(ErrorQuoting(ReplyKind::kTimeExceeded, QuoteOf(a->identity, 3)))->trace,
      a->trace);
  EXPECT_EQ(
      registry.RouteReply(ErrorQuoting(ReplyKind::kTimeExceeded, QuoteOf(b->identity, 3)))->trace,
      b->trace);
}

TEST(TraceRegistryTest, ExhaustedIdentifierSpaceFailsCleanly) {
  // A counting "random" source keeps each search short (the last one walks the whole space).
  TraceRegistry registry([n = 0u]() mutable { return n++; });
  int registered = 0;
  absl::Status last;
  for (int i = 0; i < 30000; ++i) {
    auto reg = registry.Register(
        {.protocol = ProbeProtocol::kTcp, .target = kTarget, .destination_port = 80});
    if (!reg.ok()) {
      last = reg.status();
      break;
    }
    ++registered;
  }
  EXPECT_EQ(registered, 60999 - 32768 + 1);
  EXPECT_EQ(last.code(), absl::StatusCode::kResourceExhausted);
}

TEST(TraceRegistryTest, EveryFlowRoutesToItsOwnTraceOnly) {
  TraceRegistry registry;
  for (ProbeProtocol protocol : {ProbeProtocol::kIcmp, ProbeProtocol::kUdp, ProbeProtocol::kTcp}) {
    auto a = registry.Register(
        {.protocol = protocol, .target = kTarget, .destination_port = 33434, .flows = 16});
    auto b = registry.Register(
        {.protocol = protocol, .target = kTarget, .destination_port = 33434, .flows = 4});
    auto single =
        registry.Register({.protocol = protocol, .target = kTarget, .destination_port = 33434});
    ASSERT_TRUE(a.ok() && b.ok() && single.ok());
    EXPECT_EQ(FlowCount(a->identity), 16);
    EXPECT_EQ(FlowCount(b->identity), 4);
    EXPECT_EQ(FlowCount(single->identity), 1);
    // Identifiers are unique among all flows of all live traces.
    std::set<uint16_t> identifiers;
    for (const auto* reg : {&*a, &*b, &*single}) {
      for (int flow = 0; flow < FlowCount(reg->identity); ++flow) {
        EXPECT_TRUE(identifiers.insert(FlowIdentifier(reg->identity, flow)).second);
      }
    }
    EXPECT_EQ(identifiers.size(), 21u);
    // Each flow's probes (as FillProbeSpec builds them) route to their trace with the sequence.
    for (const auto* reg : {&*a, &*b, &*single}) {
      for (int flow = 0; flow < 20; ++flow) {
        packet::ProbeSpec spec;
        FillProbeSpec(reg->identity, Sequence(100 + flow), Ttl(3), &spec, flow);
        const uint16_t expected = FlowIdentifier(reg->identity, flow % FlowCount(reg->identity));
        EXPECT_EQ(protocol == ProbeProtocol::kIcmp ? spec.icmp_id : spec.source_port, expected);
        QuotedProbe quote = QuoteOf(reg->identity, static_cast<uint16_t>(100 + flow));
        quote.icmp_id = spec.icmp_id;
        quote.source_port = spec.source_port;
        auto route = registry.RouteReply(ErrorQuoting(ReplyKind::kTimeExceeded, quote));
        ASSERT_TRUE(route.has_value()) << "flow " << flow;
        EXPECT_EQ(route->trace, reg->trace);
        EXPECT_EQ(route->sequence, Sequence(static_cast<uint16_t>(100 + flow)));
      }
    }
    // Replies from the target on a non-zero flow route too.
    const uint16_t b_flow3 = FlowIdentifier(b->identity, 3);
    if (protocol == ProbeProtocol::kIcmp) {
      auto route = registry.RouteReply(EchoReply(kTarget, b_flow3, 7));
      ASSERT_TRUE(route.has_value());
      EXPECT_EQ(route->trace, b->trace);
    } else if (protocol == ProbeProtocol::kTcp) {
      const uint32_t ack = ((uint32_t{b->identity.tcp_sequence_high} << 16) | 7) + 1;
      auto route =
          registry.RouteReply(TcpReply(ReplyKind::kTcpSynAck, kTarget, 33434, b_flow3, ack));
      ASSERT_TRUE(route.has_value());
      EXPECT_EQ(route->trace, b->trace);
    }
    // Unregistering frees every flow's identifier: its replies are foreign now.
    registry.Unregister(a->trace);
    for (int flow = 0; flow < 16; ++flow) {
      QuotedProbe quote = QuoteOf(a->identity, 5);
      quote.icmp_id = FlowIdentifier(a->identity, flow);
      quote.source_port = FlowIdentifier(a->identity, flow);
      EXPECT_EQ(registry.RouteReply(ErrorQuoting(ReplyKind::kTimeExceeded, quote)), std::nullopt);
    }
    registry.Unregister(b->trace);
    registry.Unregister(single->trace);
    EXPECT_EQ(registry.size(), 0u);
  }
}

TEST(TraceRegistryTest, FlowsOutOfRangeAreRejected) {
  TraceRegistry registry;
  EXPECT_EQ(registry.Register({.protocol = ProbeProtocol::kUdp, .target = kTarget, .flows = 0})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Register({.protocol = ProbeProtocol::kUdp, .target = kTarget, .flows = 17})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.size(), 0u);
}

TEST(TraceRegistryTest, FixedIdentifierIsFlowZeroExtraFlowsRandom) {
  TraceRegistry registry;
  auto reg = registry.Register({.protocol = ProbeProtocol::kUdp,
                                .target = kTarget,
                                .destination_port = 33434,
                                .fixed_identifier = 5000,
                                .flows = 3});
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(FlowIdentifier(reg->identity, 0), 5000);
  EXPECT_NE(FlowIdentifier(reg->identity, 1), 5000);
  EXPECT_NE(FlowIdentifier(reg->identity, 2), FlowIdentifier(reg->identity, 1));
}

TEST(TraceRegistryTest, ExhaustionWhileAllocatingFlowsLeavesNothingBehind) {
  TraceRegistry registry([n = 0u]() mutable { return n++; });
  // Fill all but 2 UDP ports, then ask for 3 flows: it fails and the 2 ports stay free.
  const int ports = 60999 - 32768 + 1;
  for (int i = 0; i < ports - 2; ++i) {
    ASSERT_TRUE(
        registry
            .Register(
                {.protocol = ProbeProtocol::kUdp, .target = kTarget, .destination_port = 33434})
            .ok());
  }
  EXPECT_EQ(registry
                .Register({.protocol = ProbeProtocol::kUdp,
                           .target = kTarget,
                           .destination_port = 33434,
                           .flows = 3})
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(registry
                  .Register({.protocol = ProbeProtocol::kUdp,
                             .target = kTarget,
                             .destination_port = 33434,
                             .flows = 2})
                  .ok());
}

}  // namespace
}  // namespace pathpair::engine
