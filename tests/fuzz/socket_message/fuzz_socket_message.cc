// Fuzz target: the socket transport's message rebuild (agent/net/socket_transport.cc): what
// recvmsg hands it — payload, source address and ancillary data (timestamps, PKTINFO, the
// extended error and offender of error-queue entries) — read by ControlMessageReader and turned
// into the packets the codec parses, raw sockets as they deliver them and ICMP datagram sockets
// rebuilt (rebuilt_packets.h). The kernel is the scripted FakeSysCalls, so the input plays the
// kernel. Every packet handed out must be one the codec can be run on, and a rebuilt IPv4 packet
// must have a valid header with the addresses it is handed out with.
//
// Input: a mode byte (bit 0: ICMP datagram sockets instead of raw ones; bit 1: send a probe
// first, so the send path meets the error queue), then messages until the input ends:
//   selector (bit 0: error queue; bits 1..: which socket), from (0: none, 4: IPv4 + 4 bytes,
//   6: IPv6 + 16 bytes), control length (2 bytes, big-endian) and control bytes, data length
//   (2 bytes) and data.
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "agent/net/socket_set.h"
#include "agent/net/socket_transport.h"
#include "common/packet/packet.h"
#include "tests/agent/net/fake_sys_calls.h"
#include "tests/fuzz/fuzz_check.h"

namespace pathpair::net {
namespace {

constexpr uint16_t kEchoId = 0x4242;

// Reads the input front to back; past the end everything reads as empty.
class Input {
 public:
  explicit Input(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool empty() const { return bytes_.empty(); }
  uint8_t Byte() {
    const std::span<const uint8_t> b = Take(1);
    return b.empty() ? 0 : b[0];
  }
  uint16_t Length() { return static_cast<uint16_t>(Byte() << 8 | Byte()); }
  std::span<const uint8_t> Take(size_t n) {
    const std::span<const uint8_t> taken = bytes_.first(std::min(n, bytes_.size()));
    bytes_ = bytes_.subspan(taken.size());
    return taken;
  }

 private:
  std::span<const uint8_t> bytes_;
};

std::optional<IpAddress> ReadFrom(Input& input) {
  switch (input.Byte()) {
    case 4: {
      const std::span<const uint8_t> b = input.Take(4);
      if (b.size() < 4) return std::nullopt;
      return IpAddress::V4Bytes(std::span<const uint8_t, 4>(b.data(), 4));
    }
    case 6: {
      const std::span<const uint8_t> b = input.Take(16);
      if (b.size() < 16) return std::nullopt;
      return IpAddress::V6Bytes(std::span<const uint8_t, 16>(b.data(), 16));
    }
    default:
      return std::nullopt;
  }
}

void CheckPacket(const ReceivedPacket& packet, bool unprivileged) {
  switch (packet.format) {
    case PacketFormat::kIpv4Packet: {
      (void)packet::ParseIpv4Packet(packet.bytes);
      if (unprivileged) {
        const absl::StatusOr<packet::IpHeaderView> header = packet::ParseIpHeader(packet.bytes);
        FUZZ_CHECK(header.ok());
        FUZZ_CHECK(header->total_length == packet.bytes.size());
        FUZZ_CHECK(header->source == packet.source);
        FUZZ_CHECK(header->destination == packet.destination);
      }
      break;
    }
    case PacketFormat::kIcmpv6Message:
      (void)packet::ParseIcmpv6Message(packet.bytes, packet.source, packet.destination);
      break;
    case PacketFormat::kTcpSegmentV6:
      (void)packet::ParseTcpSegment(packet.bytes, packet.source, packet.destination);
      break;
  }
}

void Run(Input& input) {
  FakeSysCalls kernel;
  const uint8_t mode = input.Byte();
  const bool unprivileged = (mode & 1) != 0;
  SocketPlan plan;
  plan.udp = plan.tcp = !unprivileged;
  plan.force_unprivileged = unprivileged;
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan, kernel);
  FUZZ_CHECK(sockets.ok());
  absl::StatusOr<std::unique_ptr<SocketTransport>> transport =
      SocketTransport::Create(*std::move(sockets));
  FUZZ_CHECK(transport.ok());
  std::vector<int> fds;
  if (unprivileged) {
    FUZZ_CHECK((*transport)->ClaimIcmpIdentifier(IpFamily::kV4, kEchoId).ok());
    FUZZ_CHECK((*transport)->ClaimIcmpIdentifier(IpFamily::kV6, kEchoId).ok());
    fds = {kernel.FindSocket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP),
           kernel.FindSocket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6)};
  } else {
    fds = {kernel.FindSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP),
           kernel.FindSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6),
           kernel.FindSocket(AF_INET6, SOCK_RAW, IPPROTO_TCP)};
  }
  std::erase(fds, -1);
  FUZZ_CHECK(!fds.empty());

  while (!input.empty()) {
    const uint8_t selector = input.Byte();
    FakeSysCalls::Datagram datagram;
    datagram.from = ReadFrom(input);
    const std::span<const uint8_t> control = input.Take(input.Length());
    datagram.control.assign(control.begin(), control.end());
    const std::span<const uint8_t> data = input.Take(input.Length());
    datagram.data.assign(data.begin(), data.end());
    const int fd = fds[(selector >> 1) % fds.size()];
    if ((selector & 1) != 0) {
      kernel.QueueError(fd, std::move(datagram));
    } else {
      kernel.QueueReceive(fd, std::move(datagram));
    }
  }

  if ((mode & 2) != 0) {
    // An echo request to a documentation address; its send stamp is looked for on the error
    // queue, among whatever the input queued there.
    const IpAddress source = *IpAddress::Parse("198.51.100.1");
    const IpAddress target = *IpAddress::Parse("203.0.113.9");
    packet::ProbeSpec spec;
    spec.protocol = packet::ProbeProtocol::kIcmp;
    spec.source = source;
    spec.destination = target;
    spec.icmp_id = kEchoId;
    spec.sequence = 1;
    std::vector<uint8_t> bytes(packet::kMaxPacketSize);
    const absl::StatusOr<size_t> n = packet::BuildProbeTransport(spec, bytes);
    FUZZ_CHECK(n.ok());
    bytes.resize(*n);
    (void)(*transport)
        ->Send({.protocol = packet::ProbeProtocol::kIcmp,
                .source = source,
                .destination = target,
                .ttl = 1,
                .tos = 0,
                .interface_index = 0,
                .mark = 0,
                .bytes = bytes});
  }

  std::vector<ReceivedPacket> packets;
  for (int round = 0; round < 3; ++round) (*transport)->Receive(packets);
  for (const ReceivedPacket& packet : packets) CheckPacket(packet, unprivileged);
}

}  // namespace
}  // namespace pathpair::net

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pathpair::net::Input input(std::span<const uint8_t>(data, size));
  pathpair::net::Run(input);
  return 0;
}
