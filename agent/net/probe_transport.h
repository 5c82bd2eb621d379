// ProbeTransport: the seam between the prober's event loop and the network. The real one
// (SocketTransport) sends through raw or ICMP datagram sockets; tests use a fake that records
// what was sent and hands back scripted replies, so the prober runs with no sockets and no sleep.
//
//   OutgoingProbe probe{.protocol = ProbeProtocol::kUdp, .source = src, .destination = dst,
//                       .ttl = 3, .bytes = built};          // bytes from BuildProbeTransport
//   absl::StatusOr<SendReport> sent = transport.Send(probe);
//   ...  // wait until transport.wait_fd() is readable, then:
//   std::vector<ReceivedPacket> packets;
//   transport.Receive(packets);
#ifndef PATHPAIR_AGENT_NET_PROBE_TRANSPORT_H_
#define PATHPAIR_AGENT_NET_PROBE_TRANSPORT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/net/ip_address.h"
#include "common/packet/packet.h"
#include "common/time/clock.h"

namespace pathpair::net {

// One probe ready to leave: the transport-layer bytes (ICMP echo, UDP or TCP SYN, with its
// checksum already computed for `source`); the kernel writes the IP header.
struct OutgoingProbe {
  packet::ProbeProtocol protocol = packet::ProbeProtocol::kIcmp;
  IpAddress source;       // must be the address the kernel will use (see FindSourceAddress)
  IpAddress destination;  // same family as source
  uint8_t ttl = 64;       // IPv4 TTL / IPv6 hop limit
  uint8_t tos = 0;        // IPv4 TOS / IPv6 traffic class
  // The interface to leave by (mtr -I for one trace on shared sockets; IP_PKTINFO /
  // IPV6_PKTINFO, no privilege needed). 0: as routing decides.
  uint32_t interface_index = 0;
  // The firewall mark (mtr -M) for one trace on shared sockets (SO_MARK ancillary data; the
  // kernel wants CAP_NET_RAW or CAP_NET_ADMIN at send time). 0: none, or the sockets' own mark.
  uint32_t mark = 0;
  std::span<const uint8_t> bytes;
};

// Which clock a timestamp came from, for diagnostics and the report.
enum class TimestampSource : uint8_t {
  kUserSpace,  // clock_gettime(CLOCK_MONOTONIC) next to the system call
  kKernel,     // a kernel software timestamp mapped to the monotonic clock
};

struct SendReport {
  MonoTime sent_at;
  TimestampSource source = TimestampSource::kUserSpace;
};

// How a received packet's bytes are laid out, i.e. which codec entry point reads them.
enum class PacketFormat : uint8_t {
  kIpv4Packet,     // a whole IPv4 packet (header included): packet::ParseIpv4Packet
  kIcmpv6Message,  // an ICMPv6 message without IPv6 header: packet::ParseIcmpv6Message
  kTcpSegmentV6,   // a TCP segment without IPv6 header: packet::ParseTcpSegment
};

struct ReceivedPacket {
  PacketFormat format = PacketFormat::kIpv4Packet;
  std::vector<uint8_t> bytes;
  // Addresses of the packet, for the formats that carry no IP header (filled for all formats).
  IpAddress source;
  IpAddress destination;
  MonoTime received_at;
  TimestampSource timestamp_source = TimestampSource::kUserSpace;
};

// What a transport can do; the prober refuses traces it cannot serve, with a clear message.
struct TransportCapabilities {
  bool ipv4 = false;
  bool ipv6 = false;
  bool icmp = false;
  bool udp = false;
  bool tcp = false;
  // True with unprivileged ICMP datagram sockets: the kernel owns the echo identifier (the
  // transport keeps one socket per identifier so replies still carry the caller's identifier).
  bool unprivileged = false;
};

class ProbeTransport {
 public:
  virtual ~ProbeTransport() = default;

  virtual TransportCapabilities capabilities() const = 0;

  // Sends one probe and reports when it left, as close to the wire as the kernel tells.
  virtual absl::StatusOr<SendReport> Send(const OutgoingProbe& probe) = 0;

  // Appends every packet that has arrived since the last call, without blocking.
  virtual void Receive(std::vector<ReceivedPacket>& out) = 0;

  // A file descriptor that polls readable while packets are waiting (-1 for fakes, which the
  // event loop then never waits on).
  virtual int wait_fd() const = 0;

  // Unprivileged ICMP sockets carry the echo identifier the kernel writes; the transport keeps
  // one socket per identifier. A trace calls this before its first probe (a failure means the
  // identifier is taken: pick another) and ReleaseIcmpIdentifier when it ends. No-ops for raw
  // sockets and fakes.
  virtual absl::Status ClaimIcmpIdentifier(IpFamily family, uint16_t echo_id) {
    (void)family;
    (void)echo_id;
    return absl::OkStatus();
  }
  virtual void ReleaseIcmpIdentifier(IpFamily family, uint16_t echo_id) {
    (void)family;
    (void)echo_id;
  }
};

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_PROBE_TRANSPORT_H_
