#include "agent/oneway/session.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::oneway {
namespace {

// One direction of a fake network: a fixed delay plus optional uniform jitter, random loss and
// duplication, all from a seeded generator so that every run is the same.
struct LinkModel {
  absl::Duration delay = absl::Milliseconds(10);
  absl::Duration jitter = absl::ZeroDuration();  // extra delay, uniform in [0, jitter]
  double loss = 0;                               // probability a datagram is dropped
  double duplicate = 0;                          // probability it arrives twice
};

// Two sessions joined by two fake links, driven event by event on one monotonic timeline. Each
// end has its own wall clock: the shared timeline plus a per-end offset.
class FakePair {
 public:
  struct End {
    OneWayConfig config;
    absl::Duration wall_offset = absl::ZeroDuration();  // this end's clock minus true time
    absl::Duration start_delay = absl::ZeroDuration();  // starts (and listens) this much later
    LinkModel outbound;                                 // the link it sends on
  };

  FakePair(End a, End b, uint32_t seed = 1) : random_(seed) {
    ends_[0] = std::move(a);
    ends_[1] = std::move(b);
  }

  // Runs until both sessions are done; returns false if that takes absurdly long.
  bool Run() {
    const MonoTime start = MonoTime::FromEpochDuration(absl::Seconds(1000));
    for (int i = 0; i < 2; ++i) start_at_[i] = start + ends_[i].start_delay;
    MonoTime now = start;
    for (int step = 0; step < 1000000; ++step) {
      for (int i = 0; i < 2; ++i) {
        if (!sessions_[i].has_value() && now >= start_at_[i]) {
          sessions_[i].emplace(ends_[i].config, now);
        }
      }
      // Deliver everything due, then let each end send what is due.
      while (!in_flight_.empty() && in_flight_.begin()->first <= now) {
        auto [at, datagram] = *in_flight_.begin();
        in_flight_.erase(in_flight_.begin());
        int to = datagram.to;
        // A datagram reaching an end that is not listening (yet or any more) is gone, as with a
        // closed port.
        if (sessions_[to].has_value() && !closed_[to]) {
          (void)sessions_[to]->OnDatagram(datagram.bytes, now, Wall(to, now));
        }
      }
      for (int i = 0; i < 2; ++i) {
        if (!sessions_[i].has_value() || closed_[i]) continue;
        while (auto bytes = sessions_[i]->PacketToSend(now, Wall(i, now))) Send(i, *bytes, now);
        // Like the runner: a done session stops, and its socket with it.
        closed_[i] = sessions_[i]->Done(now);
      }
      if (closed_[0] && closed_[1]) return true;
      MonoTime next = MonoTime::Infinite();
      for (int i = 0; i < 2; ++i) {
        if (!sessions_[i].has_value()) {
          next = std::min(next, start_at_[i]);
        } else if (!closed_[i]) {
          next = std::min(next, sessions_[i]->NextWakeup());
        }
      }
      if (!in_flight_.empty()) next = std::min(next, in_flight_.begin()->first);
      if (next == MonoTime::Infinite()) return false;  // stuck: nothing will ever happen
      now = std::max(next, now + absl::Nanoseconds(1));
    }
    return false;
  }

  OneWayResult Result(int end) const { return sessions_[end]->Result(); }
  int64_t datagrams_sent(int end) const { return datagrams_sent_[end]; }

 private:
  struct Datagram {
    int to;
    std::vector<uint8_t> bytes;
  };

  absl::Time Wall(int end, MonoTime now) const {
    return absl::FromUnixSeconds(1700000000) + now.SinceEpoch() + ends_[end].wall_offset;
  }

  void Send(int from, const std::vector<uint8_t>& bytes, MonoTime now) {
    ++datagrams_sent_[from];
    const LinkModel& link = ends_[from].outbound;
    std::uniform_real_distribution<double> unit(0, 1);
    if (unit(random_) < link.loss) return;
    int copies = unit(random_) < link.duplicate ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      absl::Duration delay = link.delay + unit(random_) * link.jitter;
      in_flight_.emplace(now + delay, Datagram{1 - from, bytes});
    }
  }

  End ends_[2];
  MonoTime start_at_[2];
  std::optional<OneWaySession> sessions_[2];
  bool closed_[2] = {false, false};
  std::multimap<MonoTime, Datagram> in_flight_;
  std::mt19937 random_;
  int64_t datagrams_sent_[2] = {0, 0};
};

OneWayConfig TestConfig(int64_t count = 400) {
  OneWayConfig config;
  config.session_id = 0xfeedbeef;
  config.key.fill(0x5a);
  config.packet_count = count;
  config.interval = absl::Milliseconds(10);
  config.packet_size = 100;
  return config;
}

FakePair::End EndWith(LinkModel outbound, absl::Duration wall_offset = absl::ZeroDuration()) {
  FakePair::End end;
  end.config = TestConfig();
  end.outbound = outbound;
  end.wall_offset = wall_offset;
  return end;
}

// A direction's delay corrected by its offset estimate, as the controller's `estimated` clock
// method does (controller/paired/oneway_clock.h): raw + (peer clock - ours).
double EstimatedMs(double raw_ms, const DirectionReport& in) {
  return raw_ms + absl::ToDoubleMilliseconds(in.offset->offset);
}

TEST(OneWaySessionTest, CleanLinkBothWays) {
  FakePair pair(EndWith({}), EndWith({}));
  ASSERT_TRUE(pair.Run());
  for (int end = 0; end < 2; ++end) {
    OneWayResult result = pair.Result(end);
    EXPECT_EQ(result.outbound_sent, 400);
    EXPECT_EQ(result.inbound.sent, 400);
    EXPECT_TRUE(result.inbound.sent_final);
    EXPECT_EQ(result.inbound.received, 400);
    EXPECT_EQ(result.inbound.loss_pct, 0);
    EXPECT_EQ(result.inbound.duplicates, 0);
    EXPECT_EQ(result.inbound.reordered, 0);
    EXPECT_FALSE(result.started_without_peer);
    ASSERT_TRUE(result.inbound.offset.has_value());
    EXPECT_LE(absl::AbsDuration(result.inbound.offset->offset), absl::Microseconds(1));
    EXPECT_NEAR(result.inbound.raw_delay.avg_ms, 10, 0.01);  // one clock: raw is true
    EXPECT_NEAR(EstimatedMs(result.inbound.raw_delay.avg_ms, result.inbound), 10, 0.01);
    EXPECT_EQ(result.inbound.raw_delay.count, 400);
    EXPECT_NEAR(result.inbound.delay_variation_ms, 0, 0.01);
    EXPECT_NEAR(result.inbound.jitter_ms, 0, 0.01);
  }
}

TEST(OneWaySessionTest, TwentyPercentLossInOneDirectionOnly) {
  // a -> b loses 20%; b -> a loses nothing. Each end reports the direction it receives.
  FakePair pair(EndWith({.loss = 0.20}), EndWith({}), /*seed=*/7);
  ASSERT_TRUE(pair.Run());
  OneWayResult at_b = pair.Result(1);  // measures a -> b
  OneWayResult at_a = pair.Result(0);  // measures b -> a
  EXPECT_EQ(at_b.inbound.sent, 400);
  EXPECT_NEAR(at_b.inbound.loss_pct, 20, 5);
  EXPECT_EQ(at_b.inbound.received + std::lround(at_b.inbound.loss_pct * 4), 400);
  EXPECT_EQ(at_a.inbound.sent, 400);
  EXPECT_EQ(at_a.inbound.received, 400);
  EXPECT_EQ(at_a.inbound.loss_pct, 0);
}

TEST(OneWaySessionTest, OffsetWithinErrorBoundUnderAsymmetricDelay) {
  // b's clock runs 5.3 s ahead of a's; a -> b takes 10 ms, b -> a 30 ms (plus up to 2 ms of
  // jitter). The estimate is off by the asymmetry, (10 - 30) / 2 = -10 ms, which must lie
  // within the reported bound (half the smallest RTT, about 20 ms).
  const absl::Duration true_offset = absl::Milliseconds(5300);
  FakePair pair(
      EndWith({.delay = absl::Milliseconds(10), .jitter = absl::Milliseconds(2)}),
      EndWith({.delay = absl::Milliseconds(30), .jitter = absl::Milliseconds(2)}, true_offset),
      /*seed=*/3);
  ASSERT_TRUE(pair.Run());

  OneWayResult at_a = pair.Result(0);
  ASSERT_TRUE(at_a.inbound.offset.has_value());
  const OffsetEstimate& seen_by_a = *at_a.inbound.offset;  // b's clock minus a's
  EXPECT_LE(absl::AbsDuration(seen_by_a.offset - true_offset), seen_by_a.error_bound);
  EXPECT_GE(seen_by_a.error_bound, absl::Milliseconds(20));
  EXPECT_LE(seen_by_a.error_bound, absl::Milliseconds(22));
  EXPECT_GT(seen_by_a.samples, 300);
  // The estimate is off by the asymmetry, not by the clocks.
  EXPECT_NEAR(absl::ToDoubleMilliseconds(seen_by_a.offset - true_offset), -10, 2);

  OneWayResult at_b = pair.Result(1);
  ASSERT_TRUE(at_b.inbound.offset.has_value());
  const OffsetEstimate& seen_by_b = *at_b.inbound.offset;  // a's clock minus b's
  EXPECT_LE(absl::AbsDuration(seen_by_b.offset + true_offset), seen_by_b.error_bound);

  // One-way delays: each true delay is within the bound of the reported one, whatever the
  // 5.3 s clock difference.
  const double bound_ms = absl::ToDoubleMilliseconds(seen_by_a.error_bound);
  EXPECT_NEAR(EstimatedMs(at_a.inbound.raw_delay.min_ms, at_a.inbound), 30, bound_ms + 2);
  EXPECT_NEAR(EstimatedMs(at_b.inbound.raw_delay.min_ms, at_b.inbound), 10, bound_ms + 2);
  // The raw delays carry the clocks' difference exactly: a's stamps minus b's.
  EXPECT_NEAR(at_a.inbound.raw_delay.min_ms, 30 - 5300, 2.01);  // b -> a
  EXPECT_NEAR(at_b.inbound.raw_delay.min_ms, 10 + 5300, 2.01);  // a -> b
  EXPECT_GT(at_a.inbound.delay_variation_ms, 0.5);
  EXPECT_LT(at_a.inbound.delay_variation_ms, 2.0 + 1e-6);
  EXPECT_GT(at_a.inbound.jitter_ms, 0.1);
}

TEST(OneWaySessionTest, LateStartingPeerCountsNoLoss) {
  // b starts 250 ms after a: a's hellos meanwhile hit a closed port, but a's test packets wait
  // for b's first packet, so neither direction loses a counted packet.
  FakePair::End late = EndWith({});
  late.start_delay = absl::Milliseconds(250);
  FakePair pair(EndWith({}), late);
  ASSERT_TRUE(pair.Run());
  EXPECT_GT(pair.datagrams_sent(0), pair.datagrams_sent(1));  // a's lost hellos
  for (int end = 0; end < 2; ++end) {
    EXPECT_EQ(pair.Result(end).inbound.received, 400) << end;
    EXPECT_EQ(pair.Result(end).inbound.loss_pct, 0) << end;
    EXPECT_FALSE(pair.Result(end).started_without_peer) << end;
  }
}

TEST(OneWaySessionTest, PeerStillSendingIsHeardOut) {
  // b starts 500 ms late, well after a's start timeout (100 ms), so a's test runs ahead and ends
  // ~400 ms before b's. a must keep listening while b's packets keep coming, not stop once its
  // own linger (200 ms) has passed.
  FakePair::End early = EndWith({});
  FakePair::End late = EndWith({});
  for (FakePair::End* end : {&early, &late}) {
    end->config.start_timeout = absl::Milliseconds(100);
    end->config.linger = absl::Milliseconds(200);
  }
  late.start_delay = absl::Milliseconds(500);
  FakePair pair(early, late);
  ASSERT_TRUE(pair.Run());
  const OneWayResult at_a = pair.Result(0);
  EXPECT_TRUE(at_a.started_without_peer);
  EXPECT_EQ(at_a.inbound.received, 400);
  EXPECT_TRUE(at_a.inbound.sent_final);
  // What a sent before b listened is lost for b: about 40 of 400 packets.
  EXPECT_NEAR(pair.Result(1).inbound.loss_pct, 10, 1);
}

TEST(OneWaySessionTest, DeadReturnPathIsUnsynchronised) {
  // Nothing gets from b to a: a gives up waiting for b and sends anyway; b receives all of it
  // but, with no echoes coming back to a and hence none from a, has no round trip to estimate
  // the clock offset from.
  FakePair pair(EndWith({}), EndWith({.loss = 1.0}));
  ASSERT_TRUE(pair.Run());
  OneWayResult at_a = pair.Result(0);
  EXPECT_TRUE(at_a.started_without_peer);
  EXPECT_FALSE(at_a.inbound.peer_seen);
  EXPECT_EQ(at_a.inbound.sent, 0);
  EXPECT_EQ(at_a.inbound.received, 0);
  EXPECT_FALSE(at_a.inbound.offset.has_value());

  OneWayResult at_b = pair.Result(1);
  EXPECT_EQ(at_b.inbound.received, 400);
  EXPECT_EQ(at_b.inbound.loss_pct, 0);
  EXPECT_FALSE(at_b.inbound.offset.has_value());         // "unsynchronised"
  EXPECT_NEAR(at_b.inbound.raw_delay.avg_ms, 10, 0.01);  // raw stamps; these clocks agree
}

TEST(OneWaySessionTest, RawDelaysKeepTheirSpreadWhateverTheClocksDifference) {
  // b's clock is 30 years ahead: the raw delays are about 9.5e11 ms, and their spread (up to
  // 2 ms of jitter) must survive that, as must the mean's relation to the minimum.
  const absl::Duration years = absl::Hours(24 * 365 * 30);
  FakePair pair(EndWith({.delay = absl::Milliseconds(10), .jitter = absl::Milliseconds(2)}),
                EndWith({}, years), /*seed=*/11);
  ASSERT_TRUE(pair.Run());
  const DirectionReport& a_to_b = pair.Result(1).inbound;
  const double shift_ms = absl::ToDoubleMilliseconds(years);
  EXPECT_NEAR(a_to_b.raw_delay.min_ms - shift_ms, 10, 0.1);
  EXPECT_NEAR(a_to_b.raw_delay.avg_ms - shift_ms, 11, 0.2);  // uniform jitter: 1 ms on average
  EXPECT_NEAR(a_to_b.raw_delay.max_ms - shift_ms, 12, 0.1);
  EXPECT_NEAR(a_to_b.raw_delay.stdev_ms, 2 / std::sqrt(12.0), 0.1);  // uniform over 2 ms
  EXPECT_GT(a_to_b.delay_variation_ms, 1.8);
  EXPECT_LE(a_to_b.delay_variation_ms, 2.0 + 1e-6);
  EXPECT_NEAR(EstimatedMs(a_to_b.raw_delay.avg_ms, a_to_b), 11, 0.5 + 1);  // +-bound ~ 5 ms
}

TEST(OneWaySessionTest, DuplicatesAndReordering) {
  // 15 ms of jitter against a 10 ms interval reorders packets; 10% arrive twice.
  FakePair pair(EndWith({.jitter = absl::Milliseconds(15), .duplicate = 0.10}), EndWith({}),
                /*seed=*/11);
  ASSERT_TRUE(pair.Run());
  const DirectionReport& at_b = pair.Result(1).inbound;
  EXPECT_EQ(at_b.received, 400);
  EXPECT_EQ(at_b.loss_pct, 0);
  EXPECT_GT(at_b.duplicates, 10);
  EXPECT_GT(at_b.reordered, 10);
  EXPECT_EQ(pair.Result(0).inbound.duplicates, 0);
  EXPECT_EQ(pair.Result(0).inbound.reordered, 0);
}

TEST(OneWaySessionTest, RejectsGarbageAndOtherSessions) {
  const MonoTime start = MonoTime::FromEpochDuration(absl::Seconds(10));
  OneWaySession session(TestConfig(), start);
  std::vector<uint8_t> garbage(80, 0xab);
  EXPECT_EQ(session.OnDatagram(garbage, start, absl::Now()).code(),
            absl::StatusCode::kInvalidArgument);
  TestPacket other;
  other.session_id = 1;
  other.sequence = 0;
  other.sent_count = 1;
  other.send_time_ns = 5;
  EXPECT_EQ(session.OnDatagram(EncodePacket(other, TestConfig().key), start, absl::Now()).code(),
            absl::StatusCode::kInvalidArgument);
  other.session_id = TestConfig().session_id;
  other.sequence = uint64_t{1} << 30;
  other.sent_count = other.sequence + 1;
  EXPECT_FALSE(session.OnDatagram(EncodePacket(other, TestConfig().key), start, absl::Now()).ok());
  // This session's id, a valid test packet, but not sent with the session's key: a forgery.
  other.sequence = 0;
  other.sent_count = 1;
  SessionKey wrong_key = TestConfig().key;
  wrong_key[31] ^= 0x80;
  EXPECT_EQ(session.OnDatagram(EncodePacket(other, wrong_key), start, absl::Now()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(session.Result().inbound.rejected, 4);
  EXPECT_EQ(session.Result().inbound.received, 0);
  EXPECT_FALSE(session.Result().inbound.peer_seen);
}

TEST(OneWaySessionTest, FinishesByLingerWithoutPeer) {
  OneWayConfig config = TestConfig(5);
  config.start_timeout = absl::Milliseconds(100);
  config.linger = absl::Milliseconds(200);
  MonoTime now = MonoTime::FromEpochDuration(absl::Seconds(10));
  const MonoTime start = now;
  OneWaySession session(config, now);
  int hellos = 0, tests = 0, finishes = 0;
  while (!session.Done(now)) {
    while (auto bytes = session.PacketToSend(now, absl::FromUnixSeconds(1700000000))) {
      absl::StatusOr<TestPacket> packet = ParsePacket(*bytes, config.key);
      ASSERT_TRUE(packet.ok());
      EXPECT_EQ(bytes->size(), 100u);
      hellos += packet->kind == PacketKind::kHello;
      tests += packet->kind == PacketKind::kTest;
      finishes += packet->kind == PacketKind::kFinish;
    }
    MonoTime next = session.NextWakeup();
    ASSERT_GT(next, now);
    now = next;
    ASSERT_LT(now - start, absl::Seconds(5));
  }
  EXPECT_EQ(hellos, 10);  // every 10 ms for the 100 ms start timeout
  EXPECT_EQ(tests, 5);
  EXPECT_EQ(finishes, 3);
  // 100 ms of hellos, 5 tests and 3 finishes 10 ms apart, then 200 ms of linger.
  EXPECT_EQ(now - start, absl::Milliseconds(100 + 70 + 200));
  EXPECT_TRUE(session.Result().started_without_peer);
}

// The peer finished first (it started earlier): our session is done as soon as it sends its
// own last finish packet, and NextWakeup says so rather than a linger deadline.
TEST(OneWaySessionTest, DoneAtOurLastFinishWhenThePeerFinishedFirst) {
  const OneWayConfig config = TestConfig(2);
  MonoTime now = MonoTime::FromEpochDuration(absl::Seconds(10));
  const absl::Time wall = absl::FromUnixSeconds(1700000000);
  OneWaySession session(config, now);
  TestPacket peer;
  peer.session_id = config.session_id;
  peer.send_time_ns = absl::ToUnixNanos(wall);
  peer.kind = PacketKind::kFinish;
  peer.sent_count = 2;
  ASSERT_TRUE(session.OnDatagram(EncodePacket(peer, config.key), now, wall).ok());
  int finishes = 0;
  while (finishes < 3) {
    while (auto bytes = session.PacketToSend(now, wall)) {
      finishes += ParsePacket(*bytes, config.key)->kind == PacketKind::kFinish;
    }
    if (finishes < 3) now = session.NextWakeup();
  }
  EXPECT_TRUE(session.Done(now));
  EXPECT_LE(session.NextWakeup(), now);
}

TEST(OneWaySessionTest, ValidatesConfig) {
  EXPECT_TRUE(ValidateConfig(TestConfig()).ok());
  OneWayConfig config = TestConfig();
  config.packet_count = 0;
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = TestConfig();
  config.interval = absl::Microseconds(10);
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = TestConfig();
  config.packet_size = 10;
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = TestConfig();
  config.finish_repeats = 0;
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = TestConfig();
  config.key = SessionKey{};  // no key: every packet would be unauthenticated
  EXPECT_THAT(ValidateConfig(config).message(), ::testing::HasSubstr("session key missing"));
  EXPECT_EQ(PacketCountFor(absl::Seconds(10), absl::Milliseconds(20)), 500);
  EXPECT_EQ(PacketCountFor(absl::ZeroDuration(), absl::Milliseconds(20)), 1);
}

}  // namespace
}  // namespace pathpair::oneway
