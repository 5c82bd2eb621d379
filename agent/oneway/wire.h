// The one-way test packet: what two agents send each other during a one-way measurement, and a
// pure codec for it. Every packet is authenticated: the controller hands both agents a random
// per-session key (StartOneWayRequest.session_key), and each packet carries an HMAC-SHA256 of
// its fields under that key (OpenSSL), so that nobody else can inject hellos or test packets,
// or steer where an agent sends (runner.h). ParsePacket checks the MAC before it trusts any
// field, validates every field and never reads past its input, so it is safe on any datagram
// (and fuzzable: it is a pure function of the bytes and the key).
//
//   std::vector<uint8_t> bytes = oneway::EncodePacket(packet, key, /*padded_size=*/200);
//   absl::StatusOr<oneway::TestPacket> back = oneway::ParsePacket(bytes, key);
//
// Layout (big-endian, 72 bytes, then padding of any content up to the requested size):
//
//   0  magic "PPOW"           4   16 sequence            8   40 echo_send_time_ns     8
//   4  version (2)            1   24 sent_count          8   48 echo_receive_time_ns  8
//   5  kind (1/2/3)           1   32 send_time_ns        8   56 mac                  16
//   6  flags (bit 0: echo)    2
//   8  session_id             8
//
// mac: the first 16 bytes of HMAC-SHA256(session key, bytes 0..55). The padding is not covered:
// it carries nothing.
//
// Times are nanoseconds since the Unix epoch on the sender's CLOCK_REALTIME (the only clock two
// hosts can share). The echo fields return, in every packet, the send time of the latest packet
// received from the peer (t1, in the peer's clock) and when it arrived (t2, in ours): with this
// packet's own send time (t3) and its arrival at the peer (t4) the peer gets one NTP-style
// round-trip sample of the clock offset.
#ifndef PATHPAIR_AGENT_ONEWAY_WIRE_H_
#define PATHPAIR_AGENT_ONEWAY_WIRE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace pathpair::oneway {

inline constexpr uint32_t kMagic = 0x50504F57;  // "PPOW"
inline constexpr uint8_t kWireVersion = 2;
// The fields the MAC covers, the MAC, and both: the smallest packet.
inline constexpr size_t kFieldsSize = 56;
inline constexpr size_t kMacSize = 16;
inline constexpr size_t kHeaderSize = kFieldsSize + kMacSize;
// The per-session key both agents get from the controller.
inline constexpr size_t kSessionKeySize = 32;
using SessionKey = std::array<uint8_t, kSessionKeySize>;
inline constexpr size_t kMaxPacketSize = 65507;  // the largest IPv4 UDP payload
// Sent counts and sequence numbers above this are refused (a sanity bound, ~4 days at 10 kpps).
inline constexpr uint64_t kMaxSequence = uint64_t{1} << 32;

enum class PacketKind : uint8_t {
  // "I am here": sent until the first packet from the peer arrives, so that the test starts
  // only once both ends are listening. Carries echoes; not counted as test traffic.
  kHello = 1,
  // A counted test packet.
  kTest = 2,
  // "I sent sent_count test packets in all": repeated a few times after the last test packet.
  kFinish = 3,
};

// The echo of the latest packet received from the peer.
struct Echo {
  int64_t peer_send_time_ns = 0;      // t1: that packet's send_time_ns (peer's clock)
  int64_t local_receive_time_ns = 0;  // t2: when it arrived (sender's clock)
  friend bool operator==(const Echo&, const Echo&) = default;
};

struct TestPacket {
  PacketKind kind = PacketKind::kTest;
  uint64_t session_id = 0;
  // kTest: 0-based sequence number. kHello and kFinish: 0.
  uint64_t sequence = 0;
  // Test packets sent so far by the sender, this one included (kTest: > sequence; kHello: 0).
  uint64_t sent_count = 0;
  int64_t send_time_ns = 0;  // > 0
  std::optional<Echo> echo;
  friend bool operator==(const TestPacket&, const TestPacket&) = default;
};

// The wire bytes with their MAC under `key`, zero-padded to padded_size (clamped to
// [kHeaderSize, kMaxPacketSize]).
std::vector<uint8_t> EncodePacket(const TestPacket& packet, const SessionKey& key,
                                  size_t padded_size = kHeaderSize);

// Writes the MAC of bytes[0, kFieldsSize) under `key` into its place; bytes must hold at least
// kHeaderSize. EncodePacket does this; tests and fuzzers re-seal packets they changed.
void SealPacket(std::span<uint8_t> bytes, const SessionKey& key);

// InvalidArgument for anything that is not a well-formed version-2 packet authenticated with
// `key`: short or oversized input, wrong magic or version, a MAC that does not verify, unknown
// kind or flags, or fields inconsistent with the kind.
absl::StatusOr<TestPacket> ParsePacket(std::span<const uint8_t> bytes, const SessionKey& key);

}  // namespace pathpair::oneway

#endif  // PATHPAIR_AGENT_ONEWAY_WIRE_H_
