// Fuzz target: ParseIpv6Packet (a whole IPv6 packet, as from a TUN device or a capture).
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/packet/packet.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pathpair::packet;
  const absl::StatusOr<ParsedReply> reply = ParseIpv6Packet(std::span<const uint8_t>(data, size));
  if (reply.ok()) {
    const bool is_error = reply->kind == ReplyKind::kTimeExceeded ||
                          reply->kind == ReplyKind::kDestinationUnreachable;
    FUZZ_CHECK(is_error == reply->quote.has_value());
    FUZZ_CHECK(reply->responder.is_v6());
    if (is_error) FUZZ_CHECK(reply->quote->destination.is_v6());
  }
  return 0;
}
