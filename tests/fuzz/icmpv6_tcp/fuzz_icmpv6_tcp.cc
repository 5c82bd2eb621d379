// Fuzz target: ParseIcmpv6Message and ParseTcpSegment (what IPv6 raw sockets deliver, without
// the IPv6 header). The first input byte picks the parser; the rest is the message.
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/packet/packet.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pathpair::packet;
  if (size == 0) return 0;
  const std::span<const uint8_t> message(data + 1, size - 1);
  const auto source = *pathpair::IpAddress::Parse("2001:db8::fe");
  const auto destination = *pathpair::IpAddress::Parse("2001:db8::1");
  if (data[0] % 2 == 0) {
    const absl::StatusOr<ParsedReply> reply = ParseIcmpv6Message(message, source, destination);
    if (reply.ok()) {
      FUZZ_CHECK(reply->responder == source);
      FUZZ_CHECK(reply->kind != ReplyKind::kTcpRst && reply->kind != ReplyKind::kTcpSynAck);
      FUZZ_CHECK((reply->kind == ReplyKind::kEchoReply) != reply->quote.has_value());
    }
  } else {
    const absl::StatusOr<ParsedReply> reply = ParseTcpSegment(message, source, destination);
    if (reply.ok()) {
      FUZZ_CHECK(reply->kind == ReplyKind::kTcpRst || reply->kind == ReplyKind::kTcpSynAck);
      FUZZ_CHECK(message.size() >= kTcpHeaderSize);
    }
  }
  return 0;
}
