#include "agent/engine/trace_engine.h"

#include <functional>
#include <map>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/engine/fake_network.h"

namespace pathpair::engine {
namespace {

using packet::ProbeProtocol;
using ::testing::ElementsAre;
using testing::FakeHop;
using testing::FakeNetwork;
using testing::FakePath;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

const IpAddress kSource = Addr("198.51.100.1");
const IpAddress kTarget = Addr("203.0.113.9");
const IpAddress kR1 = Addr("198.51.100.11");
const IpAddress kR2 = Addr("198.51.100.12");
const IpAddress kR2b = Addr("198.51.100.22");
const IpAddress kR3 = Addr("198.51.100.13");

TraceConfig Config(int count, absl::Duration interval = absl::Milliseconds(100)) {
  TraceConfig config;
  config.count = count;
  config.interval = interval;
  config.probe_timeout = absl::Seconds(2);
  config.grace = absl::Seconds(5);
  return config;
}

FakeHop Router(IpAddress a, absl::Duration delay = absl::Milliseconds(10)) {
  FakeHop hop;
  hop.responders = {a};
  hop.delay = delay;
  return hop;
}

// One trace on a scripted path, registered like the prober does.
struct Harness {
  explicit Harness(TraceConfig config, std::vector<FakeHop> routers, FakeHop target = FakeHop{},
                   ProbeProtocol protocol = ProbeProtocol::kIcmp)
      : registration(*registry.Register(
            {.protocol = protocol, .target = kTarget, .destination_port = 33434})),
        engine(config, registration.identity, clock.Now()),
        path(registration.identity, kSource, std::move(routers), std::move(target)) {
    net.Attach(registration.trace, &engine, &path);
  }
  TraceResult Run() {
    net.RunUntilFinished(clock, registry);
    EXPECT_FALSE(net.stalled());
    EXPECT_TRUE(engine.Finished());
    return engine.Snapshot();
  }
  // Every shown hop's Snt equals the probes Poll handed out at that TTL.
  void ExpectSentEqualsProbes(const TraceResult& result) {
    const std::map<int, int>& sent = net.probes_sent(registration.trace);
    for (const HopResult& hop : result.hops) {
      auto it = sent.find(hop.ttl.value());
      EXPECT_EQ(hop.sent, it == sent.end() ? 0 : it->second) << "ttl " << hop.ttl.value();
    }
  }

  FakeClock clock;
  TraceRegistry registry;
  TraceRegistry::Registration registration;
  TraceEngine engine;
  FakePath path;
  FakeNetwork net;
};

std::vector<IpAddress> HostsOf(const HopResult& hop) {
  std::vector<IpAddress> out;
  for (const ResponderResult& r : hop.responders) out.push_back(r.address);
  return out;
}

TEST(TraceConfigTest, FromProtoAppliesMtrDefaults) {
  absl::StatusOr<TraceConfig> config = TraceConfig::FromProto(v1::ProbeOptions());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->first_ttl, Ttl(1));
  EXPECT_EQ(config->max_ttl, Ttl(30));
  EXPECT_EQ(config->count, 0);
  EXPECT_EQ(config->interval, absl::Seconds(1));
  EXPECT_EQ(config->probe_timeout, absl::Seconds(10));
  EXPECT_EQ(config->grace, absl::Seconds(5));
  EXPECT_EQ(config->max_unknown, 5);
}

TEST(TraceConfigTest, FromProtoReadsAndValidates) {
  v1::ProbeOptions options;
  options.set_first_ttl(3);
  options.set_max_ttl(20);
  options.set_count(7);
  options.set_interval_us(200000);
  options.set_probe_timeout_us(1500000);
  options.set_grace_us(2000000);
  options.set_max_unknown(9);
  absl::StatusOr<TraceConfig> config = TraceConfig::FromProto(options);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->first_ttl, Ttl(3));
  EXPECT_EQ(config->max_ttl, Ttl(20));
  EXPECT_EQ(config->count, 7);
  EXPECT_EQ(config->interval, absl::Milliseconds(200));
  EXPECT_EQ(config->probe_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(config->grace, absl::Seconds(2));
  EXPECT_EQ(config->max_unknown, 9);

  options.set_first_ttl(21);
  EXPECT_FALSE(TraceConfig::FromProto(options).ok());
  options.set_first_ttl(1);
  options.set_max_ttl(256);
  EXPECT_FALSE(TraceConfig::FromProto(options).ok());
  options.set_max_ttl(30);
  options.set_count(-1);
  EXPECT_FALSE(TraceConfig::FromProto(options).ok());
  options.set_count(1);
  options.set_interval_us(-5);
  EXPECT_FALSE(TraceConfig::FromProto(options).ok());
}

// Routers 198.51.100.11, .12, ... at TTL 1..n, each answering after `delay`.
std::vector<FakeHop> Routers(int n, absl::Duration delay = absl::Milliseconds(10)) {
  std::vector<FakeHop> routers;
  for (int i = 0; i < n; ++i) {
    routers.push_back(Router(IpAddress::V4(0xc6336400u + 11 + static_cast<uint32_t>(i)), delay));
  }
  return routers;
}

TEST(TraceEngineTest, RoundsProbeEveryTtlAtOnceOnceTheEndIsKnown) {
  TraceConfig config = Config(3);
  config.max_ttl = Ttl(8);
  Harness h(config, Routers(7, absl::Milliseconds(1)), Router(kTarget, absl::Milliseconds(1)));
  const MonoTime start = h.clock.Now();
  h.net.RunUntil(h.clock, h.registry, start + absl::Milliseconds(99));
  // Round 0 swept TTL 1..8, each sent as soon as the one before answered.
  const std::vector<ProbeRequest>& swept = h.net.requests(h.registration.trace);
  ASSERT_THAT(swept, SizeIs(8));
  for (size_t i = 0; i < swept.size(); ++i) {
    EXPECT_EQ(swept[i].ttl, Ttl(static_cast<int>(i) + 1));
    EXPECT_EQ(h.net.request_times(h.registration.trace)[i],
              start + absl::Milliseconds(static_cast<int64_t>(i)));
  }
  // Nothing more until the interval passes; then the whole round at once.
  EXPECT_THAT(h.engine.Poll(start + absl::Milliseconds(99)), SizeIs(0));
  EXPECT_EQ(h.engine.NextWakeup(), start + absl::Milliseconds(100));
  std::vector<ProbeRequest> round = h.engine.Poll(start + absl::Milliseconds(100));
  ASSERT_THAT(round, SizeIs(8));
  std::set<Sequence> sequences;
  for (size_t i = 0; i < round.size(); ++i) {
    EXPECT_EQ(round[i].ttl, Ttl(static_cast<int>(i) + 1));
    sequences.insert(round[i].sequence);
  }
  EXPECT_THAT(sequences, SizeIs(8));
  // In-flight probes never show as sent-and-lost: only round 0's answered probes count.
  for (const HopResult& hop : h.engine.Snapshot().hops) EXPECT_EQ(hop.sent, 1);
}

TEST(TraceEngineTest, CleanPathReachesTargetWithExactCounts) {
  Harness h(Config(10), {Router(kR1), Router(kR2), Router(kR3)},
            Router(kTarget, absl::Milliseconds(20)));
  TraceResult result = h.Run();
  EXPECT_TRUE(result.final);
  EXPECT_TRUE(result.reached);
  EXPECT_EQ(result.rounds, 10);
  EXPECT_EQ(result.target_address, kTarget);
  ASSERT_THAT(result.hops, SizeIs(4));
  const IpAddress expected[] = {kR1, kR2, kR3, kTarget};
  for (int i = 0; i < 4; ++i) {
    const HopResult& hop = result.hops[i];
    EXPECT_EQ(hop.ttl, Ttl(i + 1));
    EXPECT_EQ(hop.sent, 10);
    EXPECT_EQ(hop.received, 10);
    EXPECT_THAT(HostsOf(hop), ElementsAre(expected[i]));
    EXPECT_EQ(hop.rtt.count, 10);
  }
  EXPECT_EQ(result.hops[0].termination, HopTermination::kNone);
  EXPECT_EQ(result.hops[3].termination, HopTermination::kDestination);
  EXPECT_EQ(result.hops[3].rtt.avg, absl::Milliseconds(20));
  EXPECT_EQ(result.hops[0].rtt.avg, absl::Milliseconds(10));
  h.ExpectSentEqualsProbes(result);
}

TEST(TraceEngineTest, DestinationStopsTtlGrowth) {
  Harness h(Config(5), {Router(kR1), Router(kR2)});
  TraceResult result = h.Run();
  const std::vector<ProbeRequest>& requests = h.net.requests(h.registration.trace);
  // Every round, the first one (a sweep) included: TTL 1..3 only, since the target answered at
  // TTL 3 before the sweep's next step.
  EXPECT_EQ(requests.size(), 5 * 3u);
  for (size_t i = 30; i < requests.size(); ++i) EXPECT_LE(requests[i].ttl, Ttl(3));
  ASSERT_THAT(result.hops, SizeIs(3));
  EXPECT_EQ(result.hops[2].sent, 5);
  EXPECT_EQ(result.hops[2].received, 5);
  h.ExpectSentEqualsProbes(result);
}

TEST(TraceEngineTest, SequencesSkipZeroAndAllOnesAndStayUniqueInFlight) {
  FakeClock clock;
  TraceConfig config = Config(0, absl::Milliseconds(1));
  config.max_ttl = Ttl(4);
  ProbeIdentity identity{.protocol = ProbeProtocol::kUdp, .target = kTarget};
  TraceEngine engine(config, identity, clock.Now());
  std::set<Sequence> in_flight;
  std::map<Sequence, int> count;
  int polls = 0;
  // 70000 probes wrap the 16-bit space; ~8000 stay in flight (timeout 2 s, 4 per ms).
  for (int ms = 0; polls < 17500; ++ms) {
    std::vector<ProbeRequest> due = engine.Poll(clock.Now() + absl::Milliseconds(ms));
    if (due.empty()) continue;
    ++polls;
    for (const ProbeRequest& p : due) {
      ASSERT_NE(p.sequence.value(), 0);
      ASSERT_NE(p.sequence.value(), 0xffff);
      ++count[p.sequence];
    }
    ASSERT_LE(engine.in_flight(), 8004u);
  }
  EXPECT_EQ(count.size(), 0xfffeu);  // every allowed value used once the space wrapped
}

TEST(TraceEngineTest, LossAtOneHopIsCountedThere) {
  FakeHop lossy = Router(kR2);
  lossy.silent = [](int n) { return n % 4 == 1; };  // every 4th probe gets no reply
  Harness h(Config(8), {Router(kR1), lossy, Router(kR3)});
  TraceResult result = h.Run();
  ASSERT_THAT(result.hops, SizeIs(4));
  EXPECT_EQ(result.hops[1].sent, 8);
  EXPECT_EQ(result.hops[1].received, 6);
  EXPECT_EQ(result.hops[0].received, 8);
  EXPECT_EQ(result.hops[3].received, 8);
  h.ExpectSentEqualsProbes(result);
}

TEST(TraceEngineTest, LateRepliesAcceptedBeforeTimeoutIgnoredAfter) {
  // Timeout 2 s. Hop 2 answers its probes alternately after 1.9 s (valid) and 2.1 s (lost).
  FakeHop slow = Router(kR2);
  slow.delay_of = [](int n) {
    return n % 2 == 0 ? absl::Milliseconds(1900) : absl::Milliseconds(2100);
  };
  Harness h(Config(6), {Router(kR1), slow, Router(kR3)});
  TraceResult result = h.Run();
  ASSERT_THAT(result.hops, SizeIs(4));
  EXPECT_EQ(result.hops[1].sent, 6);
  EXPECT_EQ(result.hops[1].received, 3);
  EXPECT_EQ(result.hops[1].rtt.worst, absl::Milliseconds(1900));
  EXPECT_EQ(result.hops[1].rtt.best, absl::Milliseconds(1900));
  h.ExpectSentEqualsProbes(result);
}

TEST(TraceEngineTest, LateReplyIgnoredEvenIfPollWasLate) {
  FakeClock clock;
  TraceConfig config = Config(1);
  config.max_ttl = Ttl(1);
  ProbeIdentity identity{.protocol = ProbeProtocol::kIcmp, .target = kTarget, .icmp_id = 9};
  TraceEngine engine(config, identity, clock.Now());
  FakePath path(identity, kSource, {Router(kR1)});
  std::vector<ProbeRequest> due = engine.Poll(clock.Now());
  ASSERT_THAT(due, SizeIs(1));
  // No Poll at the deadline; the reply shows up 3 s later (timeout 2 s).
  engine.OnReply(due[0].sequence, path.TimeExceededFrom(kR1, due[0].sequence, Ttl(1)),
                 clock.Now() + absl::Seconds(3));
  TraceResult result = engine.Snapshot();
  ASSERT_THAT(result.hops, SizeIs(1));
  EXPECT_EQ(result.hops[0].sent, 1);
  EXPECT_EQ(result.hops[0].received, 0);
  EXPECT_TRUE(engine.Finished());
}

// OnReply tells its caller (the prober's probe-event hook) which replies it counted.
TEST(TraceEngineTest, OnReplyReportsAcceptedRepliesWithTtlAndRtt) {
  FakeClock clock;
  TraceConfig config = Config(1);
  config.max_ttl = Ttl(3);
  ProbeIdentity identity{.protocol = ProbeProtocol::kIcmp, .target = kTarget, .icmp_id = 9};
  TraceEngine engine(config, identity, clock.Now());
  FakePath path(identity, kSource, {Router(kR1)});
  // The first round sweeps: TTL 1 now, TTL 2 when it answers, TTL 3 a pacing step later.
  std::vector<ProbeRequest> due = engine.Poll(clock.Now());
  ASSERT_THAT(due, SizeIs(1));
  engine.OnSent(due[0].sequence, clock.Now());
  const MonoTime replied = clock.Now() + absl::Milliseconds(7);

  std::optional<AcceptedReply> first =
      engine.OnReply(due[0].sequence, path.TimeExceededFrom(kR1, due[0].sequence, Ttl(1)), replied);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->ttl, Ttl(1));
  EXPECT_EQ(first->rtt, absl::Milliseconds(7));
  EXPECT_FALSE(first->past_end);
  // A duplicate is not counted.
  EXPECT_FALSE(
      engine.OnReply(due[0].sequence, path.TimeExceededFrom(kR1, due[0].sequence, Ttl(1)), replied)
          .has_value());
  EXPECT_EQ(engine.NextWakeup(), replied);  // the answer moves the sweep on at once
  for (const ProbeRequest& p : engine.Poll(replied)) due.push_back(p);
  // Pacing step: twice the highest RTT seen (7 ms), at least kMinSweepPace.
  const MonoTime step = replied + std::max(2 * absl::Milliseconds(7), TraceEngine::kMinSweepPace);
  EXPECT_EQ(engine.NextWakeup(), step);
  for (const ProbeRequest& p : engine.Poll(step)) due.push_back(p);
  ASSERT_THAT(due, SizeIs(3));
  EXPECT_EQ(due[1].ttl, Ttl(2));
  EXPECT_EQ(due[2].ttl, Ttl(3));

  // The target answers at TTL 2, which ends the path; its answer at TTL 3 is past the end.
  std::optional<AcceptedReply> target =
      engine.OnReply(due[1].sequence, path.TargetReply(due[1].sequence), step);
  ASSERT_TRUE(target.has_value());
  EXPECT_FALSE(target->past_end);
  std::optional<AcceptedReply> beyond =
      engine.OnReply(due[2].sequence, path.TargetReply(due[2].sequence), step);
  ASSERT_TRUE(beyond.has_value());
  EXPECT_EQ(beyond->ttl, Ttl(3));
  EXPECT_TRUE(beyond->past_end);
}

TEST(TraceEngineTest, ReorderedRepliesAreMatchedToTheirProbes) {
  // Interval 100 ms; the first probe at hop 1 takes 450 ms, later ones 5 ms, so replies of
  // rounds 2..5 overtake round 1's.
  FakeHop hop1 = Router(kR1);
  hop1.delay_of = [](int n) { return n == 0 ? absl::Milliseconds(450) : absl::Milliseconds(5); };
  Harness h(Config(5), {hop1, Router(kR2)});
  TraceResult result = h.Run();
  ASSERT_THAT(result.hops, SizeIs(3));
  EXPECT_EQ(result.hops[0].received, 5);
  EXPECT_EQ(result.hops[0].rtt.worst, absl::Milliseconds(450));
  EXPECT_EQ(result.hops[0].rtt.best, absl::Milliseconds(5));
  // Arrival order: rounds 2..5 at 105, 205, 305, 405 ms (5 ms each), then round 1's at 450 ms:
  // last = 450 and the largest jitter is 445.
  EXPECT_EQ(result.hops[0].rtt.jitter_max, absl::Milliseconds(445));
  h.ExpectSentEqualsProbes(result);
}

TEST(TraceEngineTest, EcmpRespondersKeepSeparateCounts) {
  FakeHop ecmp;
  ecmp.responders = {kR2, kR2b, kR2};  // kR2 answers 2 of 3 probes
  ecmp.delay_of = [](int n) { return absl::Milliseconds(n % 3 == 1 ? 30 : 10); };
  packet::MplsLabel label{.label = 16001, .traffic_class = 0, .bottom_of_stack = true, .ttl = 1};
  ecmp.mpls = {label};
  Harness h(Config(9), {Router(kR1), ecmp});
  TraceResult result = h.Run();
  ASSERT_THAT(result.hops, SizeIs(3));
  const HopResult& hop = result.hops[1];
  EXPECT_EQ(hop.sent, 9);
  EXPECT_EQ(hop.received, 9);
  ASSERT_THAT(hop.responders, SizeIs(2));
  EXPECT_EQ(hop.responders[0].address, kR2);  // most replies first
  EXPECT_EQ(hop.responders[0].received, 6);
  EXPECT_EQ(hop.responders[0].rtt.avg, absl::Milliseconds(10));
  EXPECT_EQ(hop.responders[1].address, kR2b);
  EXPECT_EQ(hop.responders[1].received, 3);
  EXPECT_EQ(hop.responders[1].rtt.avg, absl::Milliseconds(30));
  EXPECT_THAT(hop.responders[1].mpls, ElementsAre(label));
  // The hop's own stats cover both responders.
  EXPECT_EQ(hop.rtt.count, 9);
  EXPECT_EQ(hop.rtt.best, absl::Milliseconds(10));
  EXPECT_EQ(hop.rtt.worst, absl::Milliseconds(30));
}

// A hop's statistics are those of every reply at its TTL, in arrival order, also when its second
// responder shows up only after the first one answered a few times (the engine keeps a hop's
// own statistics apart from its responder's only from then on).
TEST(TraceEngineTest, HopStatisticsCoverEveryReplyWhenASecondResponderAppears) {
  FakeHop ecmp;
  ecmp.responders = {kR2, kR2, kR2, kR2b};  // kR2b answers probes 3 and 7
  ecmp.delay_of = [](int n) { return absl::Milliseconds(10 + 3 * n) + absl::Microseconds(n * n); };
  Harness h(Config(8), {Router(kR1), ecmp});
  TraceResult result = h.Run();
  ASSERT_THAT(result.hops, SizeIs(3));
  RttAccumulator every_reply, first_responder;
  for (int n = 0; n < 8; ++n) {
    every_reply.Add(ecmp.delay_of(n));
    if (n % 4 != 3) first_responder.Add(ecmp.delay_of(n));
  }
  const HopResult& hop = result.hops[1];
  ASSERT_THAT(hop.responders, SizeIs(2));
  EXPECT_EQ(hop.rtt, every_reply.Summary());
  EXPECT_EQ(hop.responders[0].address, kR2);
  EXPECT_EQ(hop.responders[0].rtt, first_responder.Summary());
  EXPECT_EQ(hop.responders[1].rtt.count, 2);
  // A hop with one responder: the same statistics as that responder.
  const HopResult& single = result.hops[0];
  ASSERT_THAT(single.responders, SizeIs(1));
  EXPECT_EQ(single.rtt.count, 8);
  EXPECT_EQ(single.rtt, single.responders[0].rtt);
}

// A flow-hashing load balancer at TTL 2 with three branches: one flow (Paris, the default)
// always takes one branch; four flows, used round-robin by rounds, show every branch.
TEST(TraceEngineTest, SeveralFlowsRevealFlowHashEcmpBranches) {
  const IpAddress kR2c = Addr("198.51.100.32");
  for (ProbeProtocol protocol : {ProbeProtocol::kIcmp, ProbeProtocol::kUdp, ProbeProtocol::kTcp}) {
    for (int flows : {1, 4}) {
      SCOPED_TRACE(::testing::Message()
                   << "protocol " << static_cast<int>(protocol) << " flows " << flows);
      FakeClock clock;
      TraceRegistry registry;
      TraceConfig config = Config(12);
      config.flows = flows;
      auto reg = registry.Register({.protocol = protocol,
                                    .target = kTarget,
                                    .destination_port = 33434,
                                    .flows = config.flows});
      ASSERT_TRUE(reg.ok());
      // Another live trace (one flow) in the same registry must never count these replies.
      auto other =
          registry.Register({.protocol = protocol, .target = kTarget, .destination_port = 33434});
      ASSERT_TRUE(other.ok());
      TraceEngine engine(config, reg->identity, clock.Now());
      TraceEngine other_engine(Config(5), other->identity, clock.Now());
      FakeHop ecmp;
      ecmp.responders = {kR2, kR2b, kR2c};
      ecmp.flow_hash = true;
      FakePath path(reg->identity, kSource, {Router(kR1), ecmp, Router(kR3)});
      FakePath other_path(other->identity, kSource, {Router(kR1), Router(kR2), Router(kR3)});
      FakeNetwork net;
      net.Attach(reg->trace, &engine, &path);
      net.Attach(other->trace, &other_engine, &other_path);
      net.RunUntilFinished(clock, registry);
      ASSERT_FALSE(net.stalled());
      ASSERT_TRUE(engine.Finished());

      // Round r used flow r mod N; sequences stay unique per trace across flows.
      const std::vector<ProbeRequest>& requests = net.requests(reg->trace);
      ASSERT_FALSE(requests.empty());
      int round = -1;
      Ttl previous(1000);
      for (const ProbeRequest& request : requests) {
        if (request.ttl <= previous) ++round;  // a round starts again at the first TTL
        previous = request.ttl;
        EXPECT_EQ(request.flow, round % flows);
      }
      EXPECT_EQ(round + 1, 12);

      TraceResult result = engine.Snapshot();
      ASSERT_THAT(result.hops, SizeIs(4));
      EXPECT_TRUE(result.reached);
      const std::map<int, int>& sent = net.probes_sent(reg->trace);
      for (const HopResult& hop : result.hops) {
        EXPECT_EQ(hop.sent, 12) << "ttl " << hop.ttl.value();
        EXPECT_EQ(hop.sent, sent.at(hop.ttl.value()));
        EXPECT_EQ(hop.received, 12);
      }
      const HopResult& balanced = result.hops[1];
      if (flows == 1) {
        EXPECT_THAT(HostsOf(balanced), SizeIs(1));
      } else {
        // Flows 0..3 take branches 0, 1, 2, 0: 6, 3 and 3 of the 12 rounds.
        EXPECT_THAT(HostsOf(balanced), UnorderedElementsAre(kR2, kR2b, kR2c));
        EXPECT_EQ(balanced.responders[0].received, 6);
      }
      EXPECT_THAT(HostsOf(result.hops[0]), ElementsAre(kR1));

      TraceResult other_result = other_engine.Snapshot();
      ASSERT_THAT(other_result.hops, SizeIs(4));
      for (const HopResult& hop : other_result.hops) EXPECT_EQ(hop.received, 5);
      EXPECT_THAT(HostsOf(other_result.hops[1]), ElementsAre(kR2));
    }
  }
}

TEST(TraceConfigTest, FlowsDefaultToOneAndAreRangeChecked) {
  v1::ProbeOptions options;
  EXPECT_EQ(TraceConfig::FromProto(options)->flows, 1);
  options.set_flows(16);
  EXPECT_EQ(TraceConfig::FromProto(options)->flows, 16);
  options.set_flows(17);
  EXPECT_FALSE(TraceConfig::FromProto(options).ok());
  options.set_flows(-1);
  EXPECT_FALSE(TraceConfig::FromProto(options).ok());
}

TEST(TraceConfigTest, ProbeContentsTakeMtrDefaults) {
  absl::StatusOr<TraceConfig> icmp = TraceConfig::FromProto(v1::ProbeOptions());
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->protocol, ProbeProtocol::kIcmp);
  EXPECT_EQ(icmp->destination_port, 0);
  EXPECT_EQ(icmp->packet_size, 64);
  EXPECT_EQ(icmp->tos, 0);
  EXPECT_EQ(icmp->bit_pattern, 0);
  v1::ProbeOptions options;
  options.set_protocol(v1::PROTOCOL_UDP);
  EXPECT_EQ(TraceConfig::FromProto(options)->destination_port, 33434);
  options.set_protocol(v1::PROTOCOL_TCP);
  EXPECT_EQ(TraceConfig::FromProto(options)->destination_port, 80);
  options.set_port(443);
  options.set_local_port(40000);
  options.set_tos(0x10);
  options.set_bit_pattern(0xaa);
  options.set_packet_size(1400);
  absl::StatusOr<TraceConfig> tcp = TraceConfig::FromProto(options);
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->protocol, ProbeProtocol::kTcp);
  EXPECT_EQ(tcp->destination_port, 443);
  EXPECT_EQ(tcp->local_port, 40000);
  EXPECT_EQ(tcp->tos, 0x10);
  EXPECT_EQ(tcp->bit_pattern, 0xaa);
  EXPECT_EQ(tcp->packet_size, 1400);
}

// The option checks that used to live in the prober: each is InvalidArgument and names the flag.
TEST(TraceConfigTest, ProbeContentsAreRangeChecked) {
  struct Case {
    const char* name;
    std::function<void(v1::ProbeOptions&)> set;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"tos", [](v1::ProbeOptions& o) { o.set_tos(300); }, "TOS (-Q)"},
      {"negative tos", [](v1::ProbeOptions& o) { o.set_tos(-1); }, "TOS (-Q)"},
      {"pattern", [](v1::ProbeOptions& o) { o.set_bit_pattern(-1); }, "bit pattern (-B)"},
      {"pattern high", [](v1::ProbeOptions& o) { o.set_bit_pattern(256); }, "bit pattern (-B)"},
      {"port", [](v1::ProbeOptions& o) { o.set_port(65536); }, "port (-P)"},
      {"local port", [](v1::ProbeOptions& o) { o.set_local_port(-2); }, "local port (-L)"},
      {"size", [](v1::ProbeOptions& o) { o.set_packet_size(70000); }, "packet size (-s)"},
      {"ip version", [](v1::ProbeOptions& o) { o.set_ip_version(5); }, "IP version"},
      {"protocol", [](v1::ProbeOptions& o) { o.set_protocol(static_cast<v1::Protocol>(99)); },
       "protocol"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ProbeOptions options;
    c.set(options);
    const absl::Status status = TraceConfig::FromProto(options).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), ::testing::HasSubstr(c.message));
  }
  // Validate checks a config built by hand too.
  TraceConfig config;
  EXPECT_TRUE(config.Validate().ok());
  config.tos = 256;
  EXPECT_EQ(config.Validate().code(), absl::StatusCode::kInvalidArgument);
  config.tos = 255;
  config.packet_size = packet::kMaxPacketSize + 1;
  EXPECT_EQ(config.Validate().code(), absl::StatusCode::kInvalidArgument);
  config.packet_size = 0;
  EXPECT_TRUE(config.Validate().ok());
}

TEST(TraceConfigTest, IpVersionMustMatchTheTarget) {
  v1::ProbeOptions options;
  options.set_ip_version(6);
  absl::StatusOr<TraceConfig> v6 = TraceConfig::FromProto(options);
  ASSERT_TRUE(v6.ok());
  const absl::Status mismatch = v6->CheckTarget(kTarget);
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatch.message(), ::testing::HasSubstr("is not an IPv6 address"));
  EXPECT_TRUE(v6->CheckTarget(Addr("2001:db8::9")).ok());
  options.set_ip_version(0);
  EXPECT_TRUE(TraceConfig::FromProto(options)->CheckTarget(kTarget).ok());
}

TEST(TraceConfigTest, RegistryRequestAndBaseSpecCarryTheOptions) {
  v1::ProbeOptions options;
  options.set_protocol(v1::PROTOCOL_UDP);
  options.set_local_port(41000);
  options.set_flows(3);
  options.set_tos(7);
  options.set_bit_pattern(0x55);
  options.set_packet_size(100);
  absl::StatusOr<TraceConfig> config = TraceConfig::FromProto(options);
  ASSERT_TRUE(config.ok());
  const TraceRegistry::Request request = config->RegistryRequest(kTarget);
  EXPECT_EQ(request.protocol, ProbeProtocol::kUdp);
  EXPECT_EQ(request.target, kTarget);
  EXPECT_EQ(request.destination_port, 33434);
  EXPECT_EQ(request.fixed_identifier, std::optional<uint16_t>(41000));
  EXPECT_EQ(request.flows, 3);
  const packet::ProbeSpec spec = config->BaseProbeSpec(kSource);
  EXPECT_EQ(spec.source, kSource);
  EXPECT_EQ(spec.tos, 7);
  EXPECT_EQ(spec.fill, 0x55);
  EXPECT_EQ(spec.packet_size, 100u);

  // ICMP: no ports, and -L does not apply.
  options.set_protocol(v1::PROTOCOL_ICMP);
  const TraceRegistry::Request icmp = TraceConfig::FromProto(options)->RegistryRequest(kTarget);
  EXPECT_EQ(icmp.destination_port, 0);
  EXPECT_FALSE(icmp.fixed_identifier.has_value());
}

TEST(TraceEngineTest, DuplicateRepliesCountOnce) {
  FakeHop dup = Router(kR1);
  dup.copies = 3;
  FakeHop target;
  target.copies = 2;
  Harness h(Config(4), {dup}, target);
  TraceResult result = h.Run();
  ASSERT_THAT(result.hops, SizeIs(2));
  EXPECT_EQ(result.hops[0].sent, 4);
  EXPECT_EQ(result.hops[0].received, 4);
  EXPECT_EQ(result.hops[1].received, 4);
  h.ExpectSentEqualsProbes(result);
}

TEST(TraceEngineTest, ForeignAndHostileRepliesAreIgnored) {
  Harness h(Config(3), {Router(kR1), Router(kR2)});
  const ProbeIdentity& id = h.registration.identity;
  const MonoTime t0 = h.clock.Now();
  for (int i = 1; i <= 20; ++i) {
    const MonoTime at = t0 + absl::Milliseconds(i * 7);
    // Another process's echo reply from the target: other id.
    packet::ParsedReply other_id = h.path.TargetReply(Sequence(static_cast<uint16_t>(i)));
    other_id.echo_id = static_cast<uint16_t>(id.icmp_id + 1);
    h.net.Inject(at, other_id);
    // A Time Exceeded quoting a probe to another target, with our id.
    packet::ParsedReply other_target =
        h.path.TimeExceededFrom(kR1, Sequence(static_cast<uint16_t>(i)), Ttl(1));
    other_target.quote->destination = Addr("203.0.113.200");
    h.net.Inject(at, other_target);
    // A well-formed reply for a sequence never sent.
    h.net.Inject(at,
                 h.path.TimeExceededFrom(kR2, Sequence(static_cast<uint16_t>(40000 + i)), Ttl(2)));
    // Garbage: an error without a quote, and a quote of another protocol.
    packet::ParsedReply no_quote = h.path.TimeExceededFrom(kR1, Sequence(1), Ttl(1));
    no_quote.quote.reset();
    h.net.Inject(at, no_quote);
    packet::ParsedReply udp_quote = h.path.TimeExceededFrom(kR1, Sequence(2), Ttl(1));
    udp_quote.quote->protocol = ProbeProtocol::kUdp;
    h.net.Inject(at, udp_quote);
  }
  TraceResult result = h.Run();
  ASSERT_THAT(result.hops, SizeIs(3));
  for (const HopResult& hop : result.hops) {
    EXPECT_EQ(hop.sent, 3);
    EXPECT_EQ(hop.received, 3);
    EXPECT_THAT(hop.responders, SizeIs(1));
  }
  h.ExpectSentEqualsProbes(result);
  // The unknown-sequence replies pass the registry (right identity) but the engine drops them.
  EXPECT_GE(h.net.replies_dropped(), 80);
}

TEST(TraceEngineTest, TwoTracesInOneRegistryNeverCountEachOther) {
  FakeClock clock;
  TraceRegistry registry;
  auto a = registry.Register({.protocol = ProbeProtocol::kIcmp, .target = kTarget});
  auto b = registry.Register({.protocol = ProbeProtocol::kIcmp, .target = kTarget});
  ASSERT_TRUE(a.ok() && b.ok());
  TraceEngine engine_a(Config(10), a->identity, clock.Now());
  // B starts 3 ms later so the two runs' sequences overlap in time but not in identity.
  TraceEngine engine_b(Config(7), b->identity, clock.Now() + absl::Milliseconds(3));
  FakeHop lossy = Router(kR2);
  lossy.silent = [](int n) { return n % 2 == 0; };
  FakePath path_a(a->identity, kSource, {Router(kR1), Router(kR2)});
  FakePath path_b(b->identity, kSource, {Router(kR1), lossy});
  FakeNetwork net;
  net.Attach(a->trace, &engine_a, &path_a);
  net.Attach(b->trace, &engine_b, &path_b);
  net.RunUntilFinished(clock, registry);
  ASSERT_FALSE(net.stalled());
  TraceResult ra = engine_a.Snapshot();
  TraceResult rb = engine_b.Snapshot();
  ASSERT_THAT(ra.hops, SizeIs(3));
  ASSERT_THAT(rb.hops, SizeIs(3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ra.hops[i].sent, 10);
    EXPECT_EQ(ra.hops[i].received, 10);
    EXPECT_EQ(rb.hops[i].sent, 7);
  }
  EXPECT_EQ(rb.hops[1].received, 3);  // probes 1, 3, 5 of 0..6 answered
  EXPECT_EQ(rb.hops[2].received, 7);
}

TEST(TraceEngineTest, UnreachableEndsThePath) {
  FakeHop wall = Router(kR2);
  wall.unreachable_code = 13;  // administratively prohibited
  Harness h(Config(4), {Router(kR1), wall, Router(kR3)});
  TraceResult result = h.Run();
  EXPECT_FALSE(result.reached);
  ASSERT_THAT(result.hops, SizeIs(2));
  EXPECT_EQ(result.hops[1].termination, HopTermination::kUnreachable);
  EXPECT_EQ(result.hops[1].unreachable_code, 13);
  EXPECT_EQ(result.hops[1].sent, 4);
  EXPECT_EQ(result.hops[1].received, 4);
  h.ExpectSentEqualsProbes(result);
  // After the first replies, rounds stop at TTL 2.
  const std::vector<ProbeRequest>& requests = h.net.requests(h.registration.trace);
  for (size_t i = 30; i < requests.size(); ++i) EXPECT_LE(requests[i].ttl, Ttl(2));
}

TEST(TraceEngineTest, UdpReachesTargetByPortUnreachable) {
  Harness h(Config(3), {Router(kR1)}, FakeHop{}, ProbeProtocol::kUdp);
  TraceResult result = h.Run();
  EXPECT_TRUE(result.reached);
  ASSERT_THAT(result.hops, SizeIs(2));
  EXPECT_EQ(result.hops[1].termination, HopTermination::kDestination);
  EXPECT_EQ(result.hops[1].received, 3);
  EXPECT_EQ(h.registration.identity.destination_port, 33434);
}

TEST(TraceEngineTest, TcpReachesTargetBySynAck) {
  Harness h(Config(3), {Router(kR1), Router(kR2)}, FakeHop{}, ProbeProtocol::kTcp);
  TraceResult result = h.Run();
  EXPECT_TRUE(result.reached);
  ASSERT_THAT(result.hops, SizeIs(3));
  EXPECT_EQ(result.hops[2].termination, HopTermination::kDestination);
  EXPECT_EQ(result.hops[0].received, 3);
  EXPECT_EQ(result.hops[2].received, 3);
}

TEST(TraceEngineTest, SilentTargetShowsOneUnknownHopAndStopsGrowing) {
  // Routers answer up to TTL 2; everything after is silent, including the target.
  std::vector<FakeHop> routers = {Router(kR1), Router(kR2)};
  for (int i = 0; i < 40; ++i) routers.push_back(FakeHop{});
  TraceConfig config = Config(4, absl::Seconds(1));
  config.max_unknown = 3;
  Harness h(config, routers);
  TraceResult result = h.Run();
  EXPECT_FALSE(result.reached);
  ASSERT_THAT(result.hops, SizeIs(3));  // as mtr: one ??? hop after the last that answered
  EXPECT_EQ(result.hops[2].received, 0);
  EXPECT_EQ(result.hops[2].sent, 4);
  h.ExpectSentEqualsProbes(result);
  // The end stays unknown, so every round sweeps, and stops at 2 + max_unknown = 5 (-U): the
  // silent TTLs are crossed at the pacing rate, three at a time (kSweepWindow).
  const std::vector<ProbeRequest>& requests = h.net.requests(h.registration.trace);
  EXPECT_EQ(requests.size(), 4 * 5u);
  for (const ProbeRequest& request : requests) EXPECT_LE(request.ttl, Ttl(5));
}

TEST(TraceEngineTest, GraceCutsTheWaitShortAndCountsOutstandingAsLost) {
  TraceConfig config = Config(2);
  config.probe_timeout = absl::Seconds(10);
  config.grace = absl::Seconds(1);
  FakeHop slow = Router(kR1, absl::Seconds(3));
  Harness h(config, {slow});
  const MonoTime start = h.clock.Now();
  TraceResult result = h.Run();
  // Last round at 100 ms, grace 1 s: finished at 1.1 s although probes had 10 s.
  EXPECT_EQ(h.clock.Now() - start, absl::Milliseconds(1100));
  ASSERT_THAT(result.hops, SizeIs(2));
  EXPECT_EQ(result.hops[0].sent, 2);
  EXPECT_EQ(result.hops[0].received, 0);
  EXPECT_EQ(result.hops[1].received, 2);
  h.ExpectSentEqualsProbes(result);
}

TEST(TraceEngineTest, FinishesAsSoonAsEverythingIsAnswered) {
  Harness h(Config(3), {Router(kR1)}, Router(kTarget, absl::Milliseconds(20)));
  const MonoTime start = h.clock.Now();
  h.Run();
  // Last round at 200 ms, its last reply (from the target) at 220 ms: no grace wait.
  EXPECT_EQ(h.clock.Now() - start, absl::Milliseconds(220));
  // The last reply finished it; NextWakeup points at that moment so event loops notice.
  EXPECT_EQ(h.engine.NextWakeup(), start + absl::Milliseconds(220));
}

TEST(TraceEngineTest, StopEndsAnUnlimitedTrace) {
  Harness h(Config(0), {Router(kR1)});
  h.net.RunUntil(h.clock, h.registry, h.clock.Now() + absl::Milliseconds(1050));
  EXPECT_FALSE(h.engine.Finished());
  h.engine.Stop(h.clock.Now());
  TraceResult result = h.Run();
  EXPECT_EQ(result.rounds, 11);
  ASSERT_THAT(result.hops, SizeIs(2));
  EXPECT_EQ(result.hops[0].sent, 11);
  EXPECT_EQ(result.hops[1].received, 11);
}

TEST(TraceEngineTest, PausedStartsNoRoundAndResumesAtOnce) {
  Harness h(Config(0), {Router(kR1)});
  h.net.RunUntil(h.clock, h.registry, h.clock.Now() + absl::Milliseconds(250));  // rounds 0..2
  h.engine.SetPaused(true);
  EXPECT_TRUE(h.engine.paused());
  const int probes_before = h.net.probes_sent(h.registration.trace).at(1);
  EXPECT_EQ(probes_before, 3);
  // In-flight probes still resolve; nothing new is sent and nothing wakes the loop for a round.
  h.net.RunUntil(h.clock, h.registry, h.clock.Now() + absl::Seconds(5));
  EXPECT_EQ(h.net.probes_sent(h.registration.trace).at(1), probes_before);
  EXPECT_EQ(h.engine.in_flight(), 0u);
  EXPECT_EQ(h.engine.NextWakeup(), MonoTime::Infinite());
  const TraceResult paused = h.engine.Snapshot();
  EXPECT_EQ(paused.hops[0].sent, probes_before);
  EXPECT_EQ(paused.hops[0].received, probes_before);

  h.engine.SetPaused(false);
  EXPECT_LE(h.engine.NextWakeup(), h.clock.Now());  // the overdue round starts now
  EXPECT_THAT(h.engine.Poll(h.clock.Now()), SizeIs(2));
  h.engine.Stop(h.clock.Now());
  const TraceResult result = h.Run();
  EXPECT_EQ(result.hops[0].sent, probes_before + 1);
}

TEST(TraceEngineTest, SendFailureCountsAsLost) {
  FakeClock clock;
  TraceConfig config = Config(1);
  config.max_ttl = Ttl(2);
  ProbeIdentity identity{.protocol = ProbeProtocol::kIcmp, .target = kTarget, .icmp_id = 9};
  TraceEngine engine(config, identity, clock.Now());
  // The sweep sends TTL 1, then TTL 2 a pacing step later (a failed send is no answer).
  std::vector<ProbeRequest> due = engine.Poll(clock.Now());
  ASSERT_THAT(due, SizeIs(1));
  engine.OnSendFailed(due[0].sequence, absl::UnavailableError("ENETUNREACH"));
  EXPECT_FALSE(engine.Finished());
  for (const ProbeRequest& p : engine.Poll(engine.NextWakeup())) due.push_back(p);
  ASSERT_THAT(due, SizeIs(2));
  engine.OnSendFailed(due[1].sequence, absl::UnavailableError("ENETUNREACH"));
  EXPECT_TRUE(engine.Finished());
  EXPECT_EQ(engine.last_send_error().code(), absl::StatusCode::kUnavailable);
  TraceResult result = engine.Snapshot();
  ASSERT_THAT(result.hops, SizeIs(1));
  EXPECT_EQ(result.hops[0].sent, 1);
  EXPECT_EQ(result.hops[0].received, 0);
}

TEST(TraceEngineTest, ZeroAndOneReplyBoundaries) {
  // Nothing answers at all: one ??? hop, all lost, zeroed statistics.
  std::vector<FakeHop> silent(40);
  TraceConfig config = Config(1);
  Harness none(config, silent);
  TraceResult result = none.Run();
  ASSERT_THAT(result.hops, SizeIs(1));
  EXPECT_EQ(result.hops[0].sent, 1);
  EXPECT_EQ(result.hops[0].received, 0);
  EXPECT_EQ(result.hops[0].rtt, RttSummary{});
  EXPECT_FALSE(result.reached);
  EXPECT_EQ(result.rounds, 1);

  // One round, one reply per hop.
  Harness one(Config(1), {Router(kR1, absl::Milliseconds(3))});
  result = one.Run();
  ASSERT_THAT(result.hops, SizeIs(2));
  EXPECT_EQ(result.hops[0].rtt.count, 1);
  EXPECT_EQ(result.hops[0].rtt.avg, absl::Milliseconds(3));
  EXPECT_EQ(result.hops[0].rtt.stdev, absl::ZeroDuration());
}

TEST(TraceEngineTest, FirstTtlSkipsNearHops) {
  TraceConfig config = Config(2);
  config.first_ttl = Ttl(2);
  Harness h(config, {Router(kR1), Router(kR2)});
  TraceResult result = h.Run();
  ASSERT_THAT(result.hops, SizeIs(2));
  EXPECT_EQ(result.hops[0].ttl, Ttl(2));
  EXPECT_EQ(result.hops[1].ttl, Ttl(3));
  EXPECT_EQ(result.hops[1].termination, HopTermination::kDestination);
}

// --- The first round's sweep (issue 9): no burst of every TTL up to -m. ---

// The probes of round 0 (those sent before the first probe of round 1).
std::vector<ProbeRequest> RoundZero(Harness& h) {
  const std::vector<ProbeRequest>& requests = h.net.requests(h.registration.trace);
  const std::vector<MonoTime>& times = h.net.request_times(h.registration.trace);
  const MonoTime round_one =
      h.net.request_times(h.registration.trace).front() + h.engine.config().interval;
  std::vector<ProbeRequest> out;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (times[i] < round_one) out.push_back(requests[i]);
  }
  return out;
}

int PastTtl(const std::vector<ProbeRequest>& probes, int ttl) {
  int past = 0;
  for (const ProbeRequest& p : probes) past += p.ttl.value() > ttl ? 1 : 0;
  return past;
}

TEST(TraceEngineSweepTest, NoProbePastADestinationThatAnswersWithinAStep) {
  // Routers answer in 10 ms, so the step is 20 ms; the target answers in 15 ms.
  for (ProbeProtocol protocol : {ProbeProtocol::kIcmp, ProbeProtocol::kUdp, ProbeProtocol::kTcp}) {
    SCOPED_TRACE(static_cast<int>(protocol));
    TraceConfig config = Config(10, absl::Milliseconds(200));
    Harness h(config, Routers(4), Router(kTarget, absl::Milliseconds(15)), protocol);
    TraceResult result = h.Run();
    EXPECT_TRUE(result.reached);
    ASSERT_THAT(result.hops, SizeIs(5));
    EXPECT_EQ(PastTtl(RoundZero(h), 5), 0);
    EXPECT_EQ(PastTtl(h.net.requests(h.registration.trace), 5), 0);
    EXPECT_EQ(h.net.requests(h.registration.trace).size(), 10 * 5u);
    h.ExpectSentEqualsProbes(result);
  }
}

TEST(TraceEngineSweepTest, AtMostWindowMinusOneProbesPastASlowDestination) {
  // The target answers after 300 ms, far beyond the 20 ms step: the sweep goes on, but only up
  // to kSweepWindow TTLs above the highest answered one (TTL 4).
  Harness h(Config(10, absl::Milliseconds(500)), Routers(4),
            Router(kTarget, absl::Milliseconds(300)), ProbeProtocol::kUdp);
  TraceResult result = h.Run();
  EXPECT_TRUE(result.reached);
  ASSERT_THAT(result.hops, SizeIs(5));
  EXPECT_EQ(PastTtl(RoundZero(h), 5), TraceEngine::kSweepWindow - 1);
  // Once the end is known, never again.
  EXPECT_EQ(PastTtl(h.net.requests(h.registration.trace), 5), TraceEngine::kSweepWindow - 1);
  EXPECT_EQ(result.hops[4].sent, 10);
  EXPECT_EQ(result.hops[4].received, 10);
}

TEST(TraceEngineSweepTest, ALostDestinationAnswerCostsAtMostWindowMinusOneProbes) {
  // The target's first answer is lost (a rate limit): the sweep probes on, and the target
  // answers the next TTL; later rounds find it at TTL 3 again.
  FakeHop target = Router(kTarget, absl::Milliseconds(5));
  target.silent = [](int n) { return n == 0; };
  Harness h(Config(6), {Router(kR1), Router(kR2)}, target);
  TraceResult result = h.Run();
  EXPECT_LE(PastTtl(RoundZero(h), 3), TraceEngine::kSweepWindow - 1);
  EXPECT_TRUE(result.reached);
  ASSERT_THAT(result.hops, SizeIs(3));
  EXPECT_EQ(result.hops[2].sent, 6);
  EXPECT_EQ(result.hops[2].received, 5);
}

TEST(TraceEngineSweepTest, SilentHopsAreCrossed) {
  // Four silent routers (more than the window) between TTL 1 and TTL 6: the sweep sends three
  // of them a step apart, then one more each time the lowest becomes overdue (1 s).
  std::vector<FakeHop> routers = Routers(6);
  for (int i = 1; i <= 4; ++i) routers[i] = FakeHop{};
  Harness h(Config(4, absl::Seconds(2)), routers, Router(kTarget, absl::Milliseconds(12)));
  TraceResult result = h.Run();
  EXPECT_TRUE(result.reached);
  ASSERT_THAT(result.hops, SizeIs(7));
  EXPECT_EQ(result.hops[5].received, 4);
  EXPECT_EQ(result.hops[6].received, 4);
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(result.hops[i].sent, 4);
    EXPECT_EQ(result.hops[i].received, 0);
  }
  h.ExpectSentEqualsProbes(result);
  // Round 0 reached the target about one overdue delay after it started, with no TTL past it.
  const std::vector<ProbeRequest> round_zero = RoundZero(h);
  EXPECT_THAT(round_zero, SizeIs(7));
  EXPECT_EQ(PastTtl(round_zero, 7), 0);
  const std::vector<MonoTime>& times = h.net.request_times(h.registration.trace);
  EXPECT_LT(times[6] - times[0], TraceEngine::kOverdueFloor + absl::Milliseconds(100));
  // Later rounds know the end: all seven TTLs at once.
  for (size_t i = 7; i < times.size(); ++i) {
    EXPECT_EQ(times[i], times[0] + absl::Seconds(2 * static_cast<int64_t>((i - 7) / 7 + 1)));
  }
}

TEST(TraceEngineSweepTest, RoundsStayIntervalApartWhileSweeping) {
  // A silent target: every round sweeps (the end stays unknown), some longer than the
  // interval; the rounds still start every 200 ms.
  std::vector<FakeHop> routers = Routers(3);
  for (int i = 0; i < 40; ++i) routers.push_back(FakeHop{});
  TraceConfig config = Config(12, absl::Milliseconds(200));
  Harness h(config, routers);
  TraceResult result = h.Run();
  std::vector<MonoTime> starts;
  const std::vector<ProbeRequest>& requests = h.net.requests(h.registration.trace);
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].ttl == Ttl(1)) starts.push_back(h.net.request_times(h.registration.trace)[i]);
  }
  ASSERT_THAT(starts, SizeIs(12));
  for (size_t i = 1; i < starts.size(); ++i) {
    EXPECT_EQ(starts[i] - starts[i - 1], absl::Milliseconds(200));
  }
  // -U: each round stops 5 TTLs past the last that answered.
  for (const ProbeRequest& request : requests) EXPECT_LE(request.ttl, Ttl(3 + 5));
  EXPECT_EQ(requests.size(), 12 * 8u);
  ASSERT_THAT(result.hops, SizeIs(4));
  EXPECT_EQ(result.rounds, 12);
}

TEST(TraceEngineSweepTest, MaxUnknownStopsTheSweep) {
  std::vector<FakeHop> routers = {Router(kR1)};
  for (int i = 0; i < 10; ++i) routers.push_back(FakeHop{});
  TraceConfig config = Config(2);
  config.max_unknown = 2;
  Harness h(config, routers);
  h.Run();
  for (const ProbeRequest& request : h.net.requests(h.registration.trace)) {
    EXPECT_LE(request.ttl, Ttl(3));
  }
  EXPECT_THAT(h.net.requests(h.registration.trace), SizeIs(2 * 3));
}

// --- Overdue probes: loss shows within a few rounds, not after -Z. ---

TraceConfig SlowTimeoutConfig(int count) {
  TraceConfig config = Config(count, absl::Milliseconds(100));
  config.probe_timeout = absl::Seconds(10);
  config.grace = absl::Seconds(10);
  return config;
}

TEST(TraceEngineOverdueTest, LiveFiguresShowLossOnceProbesAreOverdue) {
  FakeHop lossy = Router(kR2);
  lossy.silent = [](int n) { return n % 2 == 0; };  // rounds 0, 2, 4, ... lose it
  Harness h(SlowTimeoutConfig(0), {Router(kR1), lossy, Router(kR3)});
  const MonoTime start = h.clock.Now();
  // Before the first probe is overdue (1 s): answered ones only, nothing lost yet.
  h.net.RunUntil(h.clock, h.registry, start + absl::Milliseconds(950));
  TraceResult early = h.engine.Snapshot();
  ASSERT_THAT(early.hops, SizeIs(4));
  EXPECT_EQ(early.hops[1].sent, early.hops[1].received);
  // At 1.55 s the lost probes of rounds 0, 2 and 4 (sent by 0.5 s) are overdue.
  h.net.RunUntil(h.clock, h.registry, start + absl::Milliseconds(1550));
  TraceResult live = h.engine.Snapshot();
  EXPECT_FALSE(live.final);
  EXPECT_EQ(live.hops[1].sent - live.hops[1].received, 3);
  EXPECT_EQ(live.hops[1].received, 8);  // rounds 1, 3, ..., 15
  EXPECT_EQ(live.rounds_started, 16);
  // Rounds whose probes are all answered or overdue: the 8 odd ones and rounds 0, 2, 4.
  EXPECT_EQ(live.rounds, 11);
  EXPECT_EQ(live.hops[0].sent, 16);
  EXPECT_EQ(live.hops[0].received, 16);
}

TEST(TraceEngineOverdueTest, RoundsNeverStallOnALossyPath) {
  FakeHop lossy = Router(kR2);
  lossy.silent = [](int n) { return n % 3 != 0; };
  Harness h(SlowTimeoutConfig(0), {Router(kR1), lossy}, Router(kTarget));
  const MonoTime start = h.clock.Now();
  int previous = 0;
  for (int tenths = 15; tenths <= 60; tenths += 5) {
    h.net.RunUntil(h.clock, h.registry, start + absl::Milliseconds(100 * tenths));
    const TraceResult snapshot = h.engine.Snapshot();
    // Every round older than the overdue delay (1 s) is counted.
    EXPECT_GE(snapshot.rounds, snapshot.rounds_started - 11) << tenths;
    EXPECT_GT(snapshot.rounds, previous) << tenths;
    previous = snapshot.rounds;
  }
}

TEST(TraceEngineOverdueTest, ALateAnswerBeforeTheTimeoutTakesTheLossBack) {
  // Hop 1's first answer takes 1.5 s: overdue at 1 s (no RTT seen yet), answered before -Z.
  FakeHop slow_once = Router(kR1);
  slow_once.delay_of = [](int n) {
    return n == 0 ? absl::Milliseconds(1500) : absl::Milliseconds(10);
  };
  TraceConfig config = SlowTimeoutConfig(1);
  config.max_ttl = Ttl(1);
  Harness h(config, {slow_once, Router(kR2)});
  const MonoTime start = h.clock.Now();
  h.net.RunUntil(h.clock, h.registry, start + absl::Milliseconds(1200));
  EXPECT_EQ(h.engine.Snapshot().hops[0].sent, 1);
  EXPECT_EQ(h.engine.Snapshot().hops[0].received, 0);
  TraceResult result = h.Run();
  ASSERT_THAT(result.hops, SizeIs(1));
  EXPECT_EQ(result.hops[0].sent, 1);
  EXPECT_EQ(result.hops[0].received, 1);
  EXPECT_EQ(result.hops[0].rtt.last, absl::Milliseconds(1500));
}

TEST(TraceEngineOverdueTest, TheDelayFollowsTheRttsSeenAtAndBeyondTheHop) {
  // Hop 2 answers in 500 ms, hop 1 in 10 ms but not to round 8's probe. Sent after hop 2's
  // first answer, that probe is overdue 3 x 500 ms after it left, not at the 1 s floor.
  FakeHop hop1 = Router(kR1);
  hop1.silent = [](int n) { return n == 8; };
  Harness h(SlowTimeoutConfig(10), {hop1, Router(kR2, absl::Milliseconds(500))},
            Router(kTarget, absl::Milliseconds(500)));
  const MonoTime start = h.clock.Now();
  const MonoTime sent = start + absl::Milliseconds(800);  // round 8
  h.net.RunUntil(h.clock, h.registry, sent + absl::Milliseconds(1490));
  EXPECT_EQ(h.engine.Snapshot().hops[0].sent, h.engine.Snapshot().hops[0].received);
  h.net.RunUntil(h.clock, h.registry, sent + absl::Milliseconds(1500));
  EXPECT_EQ(h.engine.Snapshot().hops[0].sent - h.engine.Snapshot().hops[0].received, 1);
}

// --- Interrupt: honest figures when a run is cut short (issue 15). ---

TEST(TraceEngineInterruptTest, OverdueProbesCountAndYoungerOnesAreLeftOut) {
  FakeHop lossy = Router(kR2);
  lossy.silent = [](int n) { return n % 2 == 0; };
  Harness h(SlowTimeoutConfig(50), {Router(kR1), lossy}, Router(kTarget));
  const MonoTime start = h.clock.Now();
  h.net.RunUntil(h.clock, h.registry, start + absl::Milliseconds(3050));
  // The old engine's answer: nothing lost (every lost probe still "in flight" until -Z).
  h.engine.Interrupt(h.clock.Now());
  EXPECT_TRUE(h.engine.Finished());
  TraceResult result = h.engine.Snapshot();
  EXPECT_TRUE(result.final);
  EXPECT_TRUE(result.interrupted);
  EXPECT_TRUE(result.incomplete);
  EXPECT_TRUE(result.reached);
  EXPECT_EQ(result.rounds_started, 31);
  // Probes count once 1 s old: rounds 0..20 (round 0 swept TTL 3 at 20 ms, so it matured at
  // 1.02 s). Answers of rounds 21..30 are left out like their losses.
  EXPECT_EQ(result.rounds, 21);
  ASSERT_THAT(result.hops, SizeIs(3));
  for (const HopResult& hop : result.hops) EXPECT_EQ(hop.sent, 21) << hop.ttl.value();
  EXPECT_EQ(result.hops[0].received, 21);
  EXPECT_EQ(result.hops[1].received, 10);  // rounds 1, 3, ..., 19
  EXPECT_EQ(result.hops[2].received, 21);
  int responder_total = 0;
  for (const ResponderResult& r : result.hops[1].responders) responder_total += r.received;
  EXPECT_EQ(responder_total, 10);
  // Finished: nothing else happens.
  EXPECT_THAT(h.engine.Poll(h.clock.Now() + absl::Seconds(1)), SizeIs(0));
  h.engine.Interrupt(h.clock.Now() + absl::Seconds(2));
  EXPECT_EQ(h.engine.Snapshot().rounds, 21);
}

TEST(TraceEngineInterruptTest, BeforeAnythingIsOverdueNothingCounts) {
  Harness h(SlowTimeoutConfig(50), {Router(kR1)}, Router(kTarget));
  const MonoTime start = h.clock.Now();
  h.net.RunUntil(h.clock, h.registry, start + absl::Milliseconds(450));
  h.engine.Interrupt(h.clock.Now());
  TraceResult result = h.engine.Snapshot();
  EXPECT_TRUE(result.interrupted);
  EXPECT_EQ(result.rounds, 0);
  EXPECT_EQ(result.rounds_started, 5);
  for (const HopResult& hop : result.hops) EXPECT_EQ(hop.sent, 0);
}

TEST(TraceEngineInterruptTest, ACompleteRunIsNeitherInterruptedNorIncomplete) {
  Harness h(Config(4), {Router(kR1)}, Router(kTarget));
  TraceResult result = h.Run();
  EXPECT_FALSE(result.interrupted);
  EXPECT_FALSE(result.incomplete);
  EXPECT_EQ(result.rounds, 4);
  EXPECT_EQ(result.rounds_started, 4);
  // Interrupting a finished trace changes nothing.
  h.engine.Interrupt(h.clock.Now());
  EXPECT_FALSE(h.engine.Snapshot().interrupted);
}

TEST(TraceEngineInterruptTest, AGracefulStopBeforeTheCountSaysInterrupted) {
  Harness h(Config(20), {Router(kR1)}, Router(kTarget));
  h.net.RunUntil(h.clock, h.registry, h.clock.Now() + absl::Milliseconds(350));
  h.engine.Stop(h.clock.Now());
  TraceResult result = h.Run();
  EXPECT_TRUE(result.interrupted);
  EXPECT_TRUE(result.incomplete);
  EXPECT_EQ(result.rounds, 4);
  for (const HopResult& hop : result.hops) EXPECT_EQ(hop.sent, 4);  // the stop waits for them
}

}  // namespace
}  // namespace pathpair::engine
