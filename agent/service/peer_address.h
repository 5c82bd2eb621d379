// Parses the peer string gRPC reports for a call (grpc::ServerContext::peer()), e.g.
// "ipv4:198.51.100.7:51234" or "ipv6:%5B2001:db8::7%5D:51234", into an address and port.
// IPv4-mapped IPv6 addresses (dual-stack listeners) come back as plain IPv4.
//
//   absl::StatusOr<PeerEndpoint> peer = ParseGrpcPeer(context->peer());
//   if (peer.ok()) response->set_address(peer->address.ToString());
#ifndef PATHPAIR_AGENT_SERVICE_PEER_ADDRESS_H_
#define PATHPAIR_AGENT_SERVICE_PEER_ADDRESS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"

namespace pathpair::agent {

struct PeerEndpoint {
  IpAddress address;
  uint16_t port = 0;
};

// InvalidArgument for anything that is not an ipv4:/ipv6: peer (e.g. "unix:" or in-process
// channels, which have no network address).
absl::StatusOr<PeerEndpoint> ParseGrpcPeer(absl::string_view peer);

// Splits "ADDRESS:PORT" or "[V6ADDRESS]:PORT" where ADDRESS is a literal (no name lookup).
absl::StatusOr<PeerEndpoint> ParseAddressPort(absl::string_view text);

// Turns ::ffff:a.b.c.d into a.b.c.d; other addresses are returned unchanged.
IpAddress UnmapV4(const IpAddress& address);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_PEER_ADDRESS_H_
