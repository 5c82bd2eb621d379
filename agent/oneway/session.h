// OneWaySession: one end of a one-way measurement, as a pure state machine. Both agents run one
// at the same time, each sending test packets to the other and measuring the packets it
// RECEIVES, so that every direction is measured by the end it arrives at. Time and I/O are
// passed in, so tests drive it with a fake clock and a fake link and never sleep.
//
//   OneWaySession session(config, clock.Now());
//   while (!session.Done(clock.Now())) {
//     while (auto packet = session.PacketToSend(clock.Now(), clock.WallNow())) Send(*packet);
//     ... wait for a datagram or until session.NextWakeup() ...
//     session.OnDatagram(bytes, clock.Now(), wall_time_it_arrived);   // kernel stamp if any
//   }
//   OneWayResult result = session.Result();   // result.inbound: peer -> us
//
// Phases: (1) hello packets every interval until the first valid packet from the peer arrives
// (or start_timeout passes), so that neither side counts packets the other sent before it was
// listening as lost; (2) packet_count test packets at a fixed interval; (3) finish_repeats
// finish packets carrying the final sent count; (4) linger until the peer's finish arrives or
// the peer has been silent for `linger` (a peer that started later, or is slowed down, is still
// heard out, up to the longest its test could take).
//
// Clock offset. Every packet echoes the latest packet received from the peer (wire.h). From
// t1 (our send), t2 (peer's receive), t3 (peer's send) and t4 (our receive) each sample gives
//   offset = ((t2 - t1) + (t3 - t4)) / 2      (peer clock minus ours)
//   rtt    = (t4 - t1) - (t3 - t2)
// and the sample with the smallest RTT is kept: the true offset lies within +-rtt/2 of it,
// whatever the (unknown) split of the RTT between the two directions. The session reports the
// raw one-way delays (receive stamps minus the peer's send stamps, each on its own clock) and
// that estimate side by side; the controller, which knows both ends' clocks, decides whether
// to correct the delays by it (controller/paired/oneway_clock.h). Without any sample the result
// says "unsynchronised" (no offset); delay variation and jitter need no offset.
#ifndef PATHPAIR_AGENT_ONEWAY_SESSION_H_
#define PATHPAIR_AGENT_ONEWAY_SESSION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/oneway/wire.h"
#include "common/time/clock.h"

namespace pathpair::oneway {

struct OneWayConfig {
  // Shared by both ends (chosen by the controller, random): packets of other sessions are
  // ignored.
  uint64_t session_id = 0;
  // Shared by both ends (random, from the controller): every packet carries a MAC under it
  // (wire.h); packets without a valid one are rejected. All zero: missing (ValidateConfig).
  SessionKey key{};
  // The default, 1000 packets at 10 ms (10 s, as long as a default 10-round trace), measures
  // a 20% loss to within +-1.3% (one standard deviation).
  int64_t packet_count = 1000;                       // test packets to send, >= 1
  absl::Duration interval = absl::Milliseconds(10);  // between test packets (rate 1/interval)
  size_t packet_size = kHeaderSize;                  // UDP payload bytes
  absl::Duration start_timeout = absl::Seconds(3);   // longest wait for the peer's first packet
  absl::Duration linger = absl::Seconds(2);          // silence from the peer that ends the wait
  int finish_repeats = 3;                            // finish packets, one per interval
};

// InvalidArgument when the key is missing (all zero) or a field is out of range
// (packet_count 1..2^24, interval 100 us..10 s, packet_size kHeaderSize..kMaxPacketSize, timeouts
// 0..60 s, finish_repeats 1..10).
absl::Status ValidateConfig(const OneWayConfig& config);

// Packets for a given duration at the configured interval (at least 1).
int64_t PacketCountFor(absl::Duration duration, absl::Duration interval);

// The clock offset estimate: the minimum-RTT sample.
struct OffsetEstimate {
  absl::Duration offset;       // peer's CLOCK_REALTIME minus ours
  absl::Duration error_bound;  // half the sample's RTT: |true offset - offset| <= error_bound
  absl::Duration rtt;
  int64_t samples = 0;  // usable round-trip samples seen
};

// Milliseconds, over the distinct test packets received.
struct DelayStats {
  int64_t count = 0;
  double min_ms = 0;
  double avg_ms = 0;
  double max_ms = 0;
  double stdev_ms = 0;  // population standard deviation
};

// The direction this end receives: peer -> us.
struct DirectionReport {
  // Test packets the peer sent: its final count when a finish packet arrived (sent_final), else
  // the highest count carried by its test packets (an undercount if the tail was lost).
  int64_t sent = 0;
  bool sent_final = false;
  int64_t received = 0;    // distinct test packets
  int64_t duplicates = 0;  // copies of a test packet already received
  int64_t reordered = 0;   // test packets that arrived after a higher sequence number
  double loss_pct = 0;     // 100 * (sent - received) / sent; 0 when nothing was sent
  // Receive stamp minus the peer's send stamp, each on its own clock (uncorrected): add
  // `offset` (peer minus us) for the estimated one-way delay.
  DelayStats raw_delay;
  double delay_variation_ms = 0;         // max - min delay (needs no offset)
  double jitter_ms = 0;                  // RFC 3550 interarrival jitter (needs no offset)
  std::optional<OffsetEstimate> offset;  // nullopt: unsynchronised
  bool peer_seen = false;                // any valid packet of this session arrived
  int64_t rejected = 0;  // datagrams that failed to parse or belonged to another session
};

struct OneWayResult {
  DirectionReport inbound;            // peer -> us, measured here
  int64_t outbound_sent = 0;          // test packets we sent (the peer measures that direction)
  bool started_without_peer = false;  // start_timeout passed before the peer was heard
  // Filled by OneWayRunner: sendto calls that failed (e.g. no route), and the last error.
  int64_t send_errors = 0;
  std::string last_send_error;
  // Filled by OneWayRunner: stopped by its caller before the session's end (the figures cover
  // what arrived until then).
  bool interrupted = false;
};

class OneWaySession {
 public:
  // The config must pass ValidateConfig. `start` is when the first hello goes out.
  OneWaySession(const OneWayConfig& config, MonoTime start);

  // The next packet due at `now`, stamped with `wall_now` (CLOCK_REALTIME). Call until it
  // returns nullopt; then wait until NextWakeup() or a datagram.
  std::optional<std::vector<uint8_t>> PacketToSend(MonoTime now, absl::Time wall_now);

  // A datagram that arrived at `wall_received` (the kernel's receive stamp when available).
  // InvalidArgument for garbage and packets of other sessions (counted in `rejected`).
  absl::Status OnDatagram(std::span<const uint8_t> bytes, MonoTime now, absl::Time wall_received);

  // When PacketToSend or Done next change their answer without a datagram arriving.
  MonoTime NextWakeup() const;
  bool Done(MonoTime now) const;
  OneWayResult Result() const;

 private:
  enum class Phase { kHello, kTest, kFinish, kLinger };

  TestPacket Stamp(PacketKind kind, absl::Time wall_now) const;
  MonoTime LingerDeadline() const;
  void OnPeerTest(const TestPacket& packet, int64_t receive_ns);
  void OnRoundTripSample(const Echo& echo, int64_t peer_send_ns, int64_t receive_ns);

  const OneWayConfig config_;
  Phase phase_ = Phase::kHello;
  MonoTime next_send_;
  MonoTime hello_deadline_;
  MonoTime finished_at_;       // when our last finish packet went out
  MonoTime last_peer_packet_;  // when the latest valid packet from the peer arrived
  int64_t sent_ = 0;           // our test packets
  int finishes_sent_ = 0;
  int64_t first_send_ns_ = 0;  // our first stamp: echoes older than it are not ours
  bool started_without_peer_ = false;

  // Receive side.
  bool peer_seen_ = false;
  bool peer_finished_ = false;
  std::optional<Echo> echo_;  // what our next packet echoes
  uint64_t peer_sent_ = 0;
  std::vector<bool> seen_;  // by sequence
  int64_t received_ = 0;
  int64_t duplicates_ = 0;
  int64_t reordered_ = 0;
  int64_t rejected_ = 0;
  std::optional<uint64_t> highest_sequence_;
  std::vector<int64_t> raw_delay_ns_;  // receive - send, in the two clocks
  std::optional<int64_t> last_transit_ns_;
  double jitter_ns_ = 0;
  std::optional<OffsetEstimate> offset_;
  int64_t offset_samples_ = 0;
};

}  // namespace pathpair::oneway

#endif  // PATHPAIR_AGENT_ONEWAY_SESSION_H_
