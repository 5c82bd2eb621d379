// Fuzz target: ParseGrpcPeer and ParseAddressPort (agent/service/peer_address.h), which turn the
// peer string of every gRPC call (and the address flags) into an address and port. A peer that
// parses prints back, in gRPC's own form, to a string that parses to the same endpoint.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "agent/service/peer_address.h"
#include "tests/fuzz/fuzz_check.h"

namespace pathpair::agent {
namespace {

void CheckRoundTrip(const PeerEndpoint& endpoint) {
  FUZZ_CHECK(UnmapV4(endpoint.address) == endpoint.address);  // mapped addresses come back v4
  const std::string address = endpoint.address.ToString();
  const std::string peer = endpoint.address.is_v4()
                               ? absl::StrCat("ipv4:", address, ":", endpoint.port)
                               : absl::StrCat("ipv6:%5B", address, "%5D:", endpoint.port);
  const absl::StatusOr<PeerEndpoint> again = ParseGrpcPeer(peer);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->address == endpoint.address && again->port == endpoint.port);
}

}  // namespace
}  // namespace pathpair::agent

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pathpair::agent;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  if (const absl::StatusOr<PeerEndpoint> peer = ParseGrpcPeer(text); peer.ok()) {
    CheckRoundTrip(*peer);
  }
  if (const absl::StatusOr<PeerEndpoint> endpoint = ParseAddressPort(text); endpoint.ok()) {
    CheckRoundTrip(*endpoint);
  }
  return 0;
}
