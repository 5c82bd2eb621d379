#include "agent/oneway/wire.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::oneway {
namespace {

constexpr uint16_t kFlagEcho = 0x0001;

// Callers check the length once (kHeaderSize) before any load.
uint64_t Load(std::span<const uint8_t> bytes, size_t offset, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) value = (value << 8) | bytes[offset + i];
  return value;
}

void Store(std::vector<uint8_t>& bytes, size_t offset, size_t width, uint64_t value) {
  for (size_t i = width; i-- > 0;) {
    bytes[offset + i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}

// The MAC of a packet's fields (the first kFieldsSize bytes).
std::array<uint8_t, EVP_MAX_MD_SIZE> Mac(std::span<const uint8_t> bytes, const SessionKey& key) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes.data(), kFieldsSize,
       mac.data(), &length);
  return mac;
}

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("one-way packet: ", why));
}

}  // namespace

std::vector<uint8_t> EncodePacket(const TestPacket& packet, const SessionKey& key,
                                  size_t padded_size) {
  std::vector<uint8_t> bytes(std::clamp(padded_size, kHeaderSize, kMaxPacketSize), 0);
  Store(bytes, 0, 4, kMagic);
  Store(bytes, 4, 1, kWireVersion);
  Store(bytes, 5, 1, static_cast<uint8_t>(packet.kind));
  Store(bytes, 6, 2, packet.echo.has_value() ? kFlagEcho : 0);
  Store(bytes, 8, 8, packet.session_id);
  Store(bytes, 16, 8, packet.sequence);
  Store(bytes, 24, 8, packet.sent_count);
  Store(bytes, 32, 8, static_cast<uint64_t>(packet.send_time_ns));
  if (packet.echo.has_value()) {
    Store(bytes, 40, 8, static_cast<uint64_t>(packet.echo->peer_send_time_ns));
    Store(bytes, 48, 8, static_cast<uint64_t>(packet.echo->local_receive_time_ns));
  }
  SealPacket(bytes, key);
  return bytes;
}

void SealPacket(std::span<uint8_t> bytes, const SessionKey& key) {
  if (bytes.size() < kHeaderSize) return;
  const std::array<uint8_t, EVP_MAX_MD_SIZE> mac = Mac(bytes, key);
  std::copy_n(mac.begin(), kMacSize, bytes.begin() + kFieldsSize);
}

absl::StatusOr<TestPacket> ParsePacket(std::span<const uint8_t> bytes, const SessionKey& key) {
  if (bytes.size() < kHeaderSize) {
    return Invalid(
        absl::StrCat(bytes.size(), " bytes, shorter than the ", kHeaderSize, "-byte header"));
  }
  if (bytes.size() > kMaxPacketSize) return Invalid("longer than a UDP datagram can be");
  if (Load(bytes, 0, 4) != kMagic) return Invalid("bad magic");
  if (Load(bytes, 4, 1) != kWireVersion) {
    return Invalid(absl::StrCat("unsupported version ", Load(bytes, 4, 1)));
  }
  // Nothing else is trusted before the MAC verifies (in constant time).
  if (CRYPTO_memcmp(Mac(bytes, key).data(), bytes.data() + kFieldsSize, kMacSize) != 0) {
    return Invalid("bad MAC (not sent with this session's key)");
  }
  TestPacket packet;
  uint64_t kind = Load(bytes, 5, 1);
  if (kind < static_cast<uint8_t>(PacketKind::kHello) ||
      kind > static_cast<uint8_t>(PacketKind::kFinish)) {
    return Invalid(absl::StrCat("unknown kind ", kind));
  }
  packet.kind = static_cast<PacketKind>(kind);
  uint64_t flags = Load(bytes, 6, 2);
  if ((flags & ~uint64_t{kFlagEcho}) != 0) return Invalid("unknown flags");
  packet.session_id = Load(bytes, 8, 8);
  packet.sequence = Load(bytes, 16, 8);
  packet.sent_count = Load(bytes, 24, 8);
  packet.send_time_ns = static_cast<int64_t>(Load(bytes, 32, 8));
  int64_t echo_send = static_cast<int64_t>(Load(bytes, 40, 8));
  int64_t echo_receive = static_cast<int64_t>(Load(bytes, 48, 8));

  if (packet.send_time_ns <= 0) return Invalid("send time is not positive");
  if ((flags & kFlagEcho) != 0) {
    if (echo_send <= 0 || echo_receive <= 0) return Invalid("echo times are not positive");
    packet.echo = Echo{echo_send, echo_receive};
  } else if (echo_send != 0 || echo_receive != 0) {
    return Invalid("echo times without the echo flag");
  }
  if (packet.sent_count > kMaxSequence) return Invalid("sent count out of range");
  switch (packet.kind) {
    case PacketKind::kHello:
      if (packet.sequence != 0 || packet.sent_count != 0) {
        return Invalid("hello with a sequence or sent count");
      }
      break;
    case PacketKind::kTest:
      if (packet.sequence >= packet.sent_count) {
        return Invalid("test sequence not below the sent count");
      }
      break;
    case PacketKind::kFinish:
      if (packet.sequence != 0) return Invalid("finish with a sequence number");
      break;
  }
  return packet;
}

}  // namespace pathpair::oneway
