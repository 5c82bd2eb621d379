// Fuzz target: ParseIpv4Packet (what an IPv4 raw socket delivers) and ParseIcmpv4Message.
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/packet/packet.h"
#include "tests/fuzz/fuzz_check.h"

namespace pathpair::packet {
namespace {

void CheckReply(const absl::StatusOr<ParsedReply>& reply) {
  if (!reply.ok()) return;
  const bool is_error =
      reply->kind == ReplyKind::kTimeExceeded || reply->kind == ReplyKind::kDestinationUnreachable;
  // An ICMP error is only accepted with a valid quote, and only errors carry one.
  FUZZ_CHECK(is_error == reply->quote.has_value());
  if (is_error) FUZZ_CHECK(reply->quote->source.is_v4());
  FUZZ_CHECK(is_error || reply->mpls.empty());
  for (const MplsLabel& label : reply->mpls) FUZZ_CHECK(label.label <= 0xfffff);
}

}  // namespace
}  // namespace pathpair::packet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pathpair::packet;
  const std::span<const uint8_t> input(data, size);
  CheckReply(ParseIpv4Packet(input));
  const pathpair::IpAddress any = pathpair::IpAddress::Any(pathpair::IpFamily::kV4);
  CheckReply(ParseIcmpv4Message(input, any, any));
  return 0;
}
