#include "agent/oneway/session.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace pathpair::oneway {
namespace {

// The receive bitmap grows with the highest sequence seen; this bounds what a peer (or garbage
// that happens to parse) can make us allocate: 2 MiB of bits.
constexpr uint64_t kMaxTrackedSequence = uint64_t{1} << 24;
// Hellos are not test traffic: no faster than this whatever the test rate.
constexpr absl::Duration kMinHelloInterval = absl::Milliseconds(10);
// After a stall (a descheduled agent) the schedule restarts from now rather than bursting out
// every packet it missed, which would distort the very delays being measured.
constexpr int kMaxCatchUpIntervals = 10;

double ToMs(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

}  // namespace

absl::Status ValidateConfig(const OneWayConfig& config) {
  if (std::all_of(config.key.begin(), config.key.end(), [](uint8_t b) { return b == 0; })) {
    return absl::InvalidArgumentError(
        "one-way session key missing: the controller hands both agents the same random key");
  }
  if (config.packet_count < 1 || static_cast<uint64_t>(config.packet_count) > kMaxTrackedSequence) {
    return absl::InvalidArgumentError(
        absl::StrCat("one-way packet count must be 1..", kMaxTrackedSequence));
  }
  if (config.interval < absl::Microseconds(100) || config.interval > absl::Seconds(10)) {
    return absl::InvalidArgumentError("one-way interval must be 100us..10s");
  }
  if (config.packet_size < kHeaderSize || config.packet_size > kMaxPacketSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("one-way packet size must be ", kHeaderSize, "..", kMaxPacketSize));
  }
  auto in_range = [](absl::Duration d) {
    return d >= absl::ZeroDuration() && d <= absl::Seconds(60);
  };
  if (!in_range(config.start_timeout) || !in_range(config.linger)) {
    return absl::InvalidArgumentError("one-way start timeout and linger must be 0..60s");
  }
  if (config.finish_repeats < 1 || config.finish_repeats > 10) {
    return absl::InvalidArgumentError("one-way finish repeats must be 1..10");
  }
  return absl::OkStatus();
}

int64_t PacketCountFor(absl::Duration duration, absl::Duration interval) {
  if (interval <= absl::ZeroDuration()) return 1;
  return std::max<int64_t>(1, absl::IDivDuration(duration, interval, &duration));
}

OneWaySession::OneWaySession(const OneWayConfig& config, MonoTime start)
    : config_(config), next_send_(start), hello_deadline_(start + config.start_timeout) {}

TestPacket OneWaySession::Stamp(PacketKind kind, absl::Time wall_now) const {
  TestPacket packet;
  packet.kind = kind;
  packet.session_id = config_.session_id;
  packet.send_time_ns = absl::ToUnixNanos(wall_now);
  packet.echo = echo_;
  return packet;
}

std::optional<std::vector<uint8_t>> OneWaySession::PacketToSend(MonoTime now, absl::Time wall_now) {
  std::optional<TestPacket> packet;
  if (phase_ == Phase::kHello) {
    if (peer_seen_ || now >= hello_deadline_) {
      started_without_peer_ = !peer_seen_;
      phase_ = Phase::kTest;
      next_send_ = now;
    } else if (now >= next_send_) {
      packet = Stamp(PacketKind::kHello, wall_now);
      next_send_ = now + std::max(config_.interval, kMinHelloInterval);
    }
  }
  if (!packet.has_value() && phase_ == Phase::kTest && now >= next_send_) {
    packet = Stamp(PacketKind::kTest, wall_now);
    packet->sequence = static_cast<uint64_t>(sent_);
    packet->sent_count = static_cast<uint64_t>(++sent_);
    next_send_ += config_.interval;
    if (now - next_send_ > kMaxCatchUpIntervals * config_.interval) next_send_ = now;
    if (sent_ == config_.packet_count) phase_ = Phase::kFinish;
  } else if (!packet.has_value() && phase_ == Phase::kFinish && now >= next_send_) {
    packet = Stamp(PacketKind::kFinish, wall_now);
    packet->sent_count = static_cast<uint64_t>(sent_);
    next_send_ = now + config_.interval;
    if (++finishes_sent_ == config_.finish_repeats) {
      phase_ = Phase::kLinger;
      finished_at_ = now;
    }
  }
  if (!packet.has_value()) return std::nullopt;
  if (first_send_ns_ == 0) first_send_ns_ = packet->send_time_ns;
  return EncodePacket(*packet, config_.key, config_.packet_size);
}

absl::Status OneWaySession::OnDatagram(std::span<const uint8_t> bytes, MonoTime now,
                                       absl::Time wall_received) {
  absl::StatusOr<TestPacket> packet = ParsePacket(bytes, config_.key);
  if (!packet.ok()) {
    ++rejected_;
    return packet.status();
  }
  if (packet->session_id != config_.session_id) {
    ++rejected_;
    return absl::InvalidArgumentError(
        absl::StrCat("one-way packet of another session (", packet->session_id, ")"));
  }
  if (packet->kind == PacketKind::kTest && packet->sequence >= kMaxTrackedSequence) {
    ++rejected_;
    return absl::InvalidArgumentError("one-way sequence number out of range");
  }
  int64_t receive_ns = absl::ToUnixNanos(wall_received);
  peer_seen_ = true;
  last_peer_packet_ = std::max(last_peer_packet_, now);
  if (packet->echo.has_value()) {
    OnRoundTripSample(*packet->echo, packet->send_time_ns, receive_ns);
  }
  echo_ = Echo{packet->send_time_ns, receive_ns};
  switch (packet->kind) {
    case PacketKind::kHello:
      break;
    case PacketKind::kTest:
      peer_sent_ = std::max(peer_sent_, packet->sent_count);
      OnPeerTest(*packet, receive_ns);
      break;
    case PacketKind::kFinish:
      peer_sent_ = std::max(peer_sent_, packet->sent_count);
      peer_finished_ = true;
      break;
  }
  return absl::OkStatus();
}

void OneWaySession::OnPeerTest(const TestPacket& packet, int64_t receive_ns) {
  const uint64_t sequence = packet.sequence;
  if (sequence >= seen_.size()) seen_.resize(sequence + 1, false);
  if (seen_[sequence]) {
    ++duplicates_;
    return;
  }
  seen_[sequence] = true;
  ++received_;
  if (highest_sequence_.has_value() && sequence < *highest_sequence_) ++reordered_;
  highest_sequence_ = std::max(highest_sequence_.value_or(0), sequence);

  // Both stamps are positive int64 nanoseconds, so their difference cannot overflow.
  int64_t transit = receive_ns - packet.send_time_ns;
  raw_delay_ns_.push_back(transit);
  if (last_transit_ns_.has_value()) {
    // RFC 3550 section 6.4.1: J += (|D| - J) / 16, on the change in transit time.
    // In doubles: the peer's stamps are untrusted, and an int64 difference could overflow.
    double change =
        std::fabs(static_cast<double>(transit) - static_cast<double>(*last_transit_ns_));
    jitter_ns_ += (change - jitter_ns_) / 16.0;
  }
  last_transit_ns_ = transit;
}

void OneWaySession::OnRoundTripSample(const Echo& echo, int64_t peer_send_ns, int64_t receive_ns) {
  // t1: our send (echoed back), t2: the peer's receive, t3: the peer's send, t4: our receive.
  const int64_t t1 = echo.peer_send_time_ns;
  const int64_t t2 = echo.local_receive_time_ns;
  const int64_t t3 = peer_send_ns;
  const int64_t t4 = receive_ns;
  // Only our own stamps can be t1, and each side's times must run forwards.
  if (first_send_ns_ == 0 || t1 < first_send_ns_ || t1 > t4 || t2 > t3) return;
  absl::Duration rtt = absl::Nanoseconds(t4 - t1) - absl::Nanoseconds(t3 - t2);
  if (rtt < absl::ZeroDuration()) return;
  ++offset_samples_;
  if (offset_.has_value() && offset_->rtt <= rtt) return;
  // Durations, not int64: the clocks of unsynchronised hosts may be years apart.
  absl::Duration offset = ((absl::Nanoseconds(t2) - absl::Nanoseconds(t1)) +
                           (absl::Nanoseconds(t3) - absl::Nanoseconds(t4))) /
                          2;
  offset_ = OffsetEstimate{offset, rtt / 2, rtt, 0};
}

MonoTime OneWaySession::NextWakeup() const {
  switch (phase_) {
    case Phase::kHello:
      return std::min(next_send_, hello_deadline_);
    case Phase::kTest:
    case Phase::kFinish:
      return next_send_;
    case Phase::kLinger:
      // The peer's finish came before our last one: done since that send, so the caller must
      // not wait (the runner would otherwise sleep a poll interval past the session's end).
      if (peer_finished_) return finished_at_;
      break;
  }
  return LingerDeadline();
}

MonoTime OneWaySession::LingerDeadline() const {
  if (phase_ != Phase::kLinger) return MonoTime::Infinite();
  MonoTime quiet = std::max(finished_at_, last_peer_packet_) + config_.linger;
  // However chatty the peer, its own test cannot outlast this: it may have started up to
  // start_timeout after us and then sends packet_count packets.
  MonoTime longest = finished_at_ + config_.start_timeout +
                     config_.packet_count * config_.interval + config_.linger;
  return std::min(quiet, longest);
}

bool OneWaySession::Done(MonoTime now) const {
  return phase_ == Phase::kLinger && (peer_finished_ || now >= LingerDeadline());
}

OneWayResult OneWaySession::Result() const {
  OneWayResult result;
  result.outbound_sent = sent_;
  result.started_without_peer = started_without_peer_;
  DirectionReport& in = result.inbound;
  in.sent = static_cast<int64_t>(peer_sent_);
  in.sent_final = peer_finished_;
  in.received = received_;
  in.duplicates = duplicates_;
  in.reordered = reordered_;
  in.rejected = rejected_;
  in.peer_seen = peer_seen_;
  if (in.sent > 0) {
    in.loss_pct = 100.0 * static_cast<double>(std::max<int64_t>(0, in.sent - in.received)) /
                  static_cast<double>(in.sent);
  }
  in.jitter_ms = jitter_ns_ / 1e6;
  if (offset_.has_value()) {
    in.offset = offset_;
    in.offset->samples = offset_samples_;
  }
  if (!raw_delay_ns_.empty()) {
    // Relative to the first delay: the raw figures carry the clocks' difference, which may be
    // years and would swamp the spread in doubles. Durations, not int64: a peer's stamps are
    // untrusted, and their differences must not overflow.
    const absl::Duration reference = absl::Nanoseconds(raw_delay_ns_.front());
    const auto [min, max] = std::minmax_element(raw_delay_ns_.begin(), raw_delay_ns_.end());
    std::vector<double> deviations;  // from the reference, ns
    deviations.reserve(raw_delay_ns_.size());
    double sum = 0;
    for (int64_t raw : raw_delay_ns_) {
      deviations.push_back(absl::ToDoubleNanoseconds(absl::Nanoseconds(raw) - reference));
      sum += deviations.back();
    }
    const double count = static_cast<double>(deviations.size());
    const double mean = sum / count;
    double squares = 0;
    for (double d : deviations) squares += (d - mean) * (d - mean);
    in.raw_delay = DelayStats{static_cast<int64_t>(deviations.size()),
                              ToMs(absl::Nanoseconds(*min)), ToMs(reference) + mean / 1e6,
                              ToMs(absl::Nanoseconds(*max)), std::sqrt(squares / count) / 1e6};
    in.delay_variation_ms = ToMs(absl::Nanoseconds(*max) - absl::Nanoseconds(*min));
  }
  return result;
}

}  // namespace pathpair::oneway
