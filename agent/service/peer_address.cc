#include "agent/service/peer_address.h"

#include <array>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace pathpair::agent {

IpAddress UnmapV4(const IpAddress& address) {
  if (!address.is_v6()) return address;
  const auto bytes = address.bytes();
  for (int i = 0; i < 10; ++i) {
    if (bytes[i] != 0) return address;
  }
  if (bytes[10] != 0xff || bytes[11] != 0xff) return address;
  const std::array<uint8_t, 4> v4 = {bytes[12], bytes[13], bytes[14], bytes[15]};
  return IpAddress::V4Bytes(v4);
}

absl::StatusOr<PeerEndpoint> ParseAddressPort(absl::string_view text) {
  absl::string_view host;
  absl::string_view port_text;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("expected [ADDRESS]:PORT, got '", text, "'"));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos || text.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected ADDRESS:PORT (IPv6 as [ADDRESS]:PORT), got '", text, "'"));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in '", text, "'"));
  }
  absl::StatusOr<IpAddress> address = IpAddress::Parse(host);
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bad address in '", text, "'"));
  }
  return PeerEndpoint{UnmapV4(*address), static_cast<uint16_t>(port)};
}

absl::StatusOr<PeerEndpoint> ParseGrpcPeer(absl::string_view peer) {
  absl::string_view rest;
  if (absl::StartsWith(peer, "ipv4:")) {
    rest = peer.substr(5);
  } else if (absl::StartsWith(peer, "ipv6:")) {
    rest = peer.substr(5);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("the call did not come over IP (peer '", peer, "')"));
  }
  // gRPC percent-encodes the brackets of IPv6 peers ("%5B::1%5D:80").
  const std::string decoded = absl::StrReplaceAll(
      rest, {{"%5B", "["}, {"%5D", "]"}, {"%5b", "["}, {"%5d", "]"}, {"%25", "%"}});
  return ParseAddressPort(decoded);
}

}  // namespace pathpair::agent
