// An ICMP echo request (or ICMPv6, by the addresses' family) as the prober hands it to the socket
// layer: built by the codec, without IP header. Shared by the socket layer's tests.
//
//   std::vector<uint8_t> bytes = EchoRequest(source, target, /*id=*/0x4242, /*sequence=*/7);
#ifndef PATHPAIR_TESTS_AGENT_NET_ECHO_REQUEST_H_
#define PATHPAIR_TESTS_AGENT_NET_ECHO_REQUEST_H_

#include <cstdint>
#include <vector>

#include "common/net/ip_address.h"
#include "common/packet/packet.h"
#include "gtest/gtest.h"

namespace pathpair::net {

inline std::vector<uint8_t> EchoRequest(const IpAddress& source, const IpAddress& destination,
                                        uint16_t id, uint16_t sequence) {
  packet::ProbeSpec spec;
  spec.protocol = packet::ProbeProtocol::kIcmp;
  spec.source = source;
  spec.destination = destination;
  spec.icmp_id = id;
  spec.sequence = sequence;
  std::vector<uint8_t> bytes(packet::kMaxPacketSize);
  absl::StatusOr<size_t> n = packet::BuildProbeTransport(spec, bytes);
  EXPECT_TRUE(n.ok()) << n.status();
  bytes.resize(n.ok() ? *n : 0);
  return bytes;
}

}  // namespace pathpair::net

#endif  // PATHPAIR_TESTS_AGENT_NET_ECHO_REQUEST_H_
