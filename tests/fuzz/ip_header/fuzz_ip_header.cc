// Fuzz target: ParseIpHeader, DecrementTtl on a copy, and BuildIcmpErrorPacket quoting the
// input, as the path emulator uses them on every packet it forwards.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/packet/packet.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/netsim/icmp_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pathpair::packet;
  using pathpair::netsim::BuildIcmpErrorPacket;
  using pathpair::netsim::DecrementTtl;
  using pathpair::netsim::IcmpErrorSpec;
  const std::span<const uint8_t> input(data, size);
  const absl::StatusOr<IpHeaderView> view = ParseIpHeader(input);
  std::vector<uint8_t> copy(input.begin(), input.end());
  const absl::StatusOr<uint8_t> ttl = DecrementTtl(copy);
  if (!view.ok()) {
    FUZZ_CHECK(!ttl.ok());
    return 0;
  }
  FUZZ_CHECK(view->header_length <= view->total_length);
  FUZZ_CHECK(view->total_length <= size);
  FUZZ_CHECK(ttl.ok() == (view->ttl != 0));
  if (ttl.ok()) {
    FUZZ_CHECK(*ttl == view->ttl - 1);
    if (view->family == pathpair::IpFamily::kV4) {
      // The incremental update keeps a valid header checksum valid.
      const std::span<const uint8_t> before = input.first(view->header_length);
      const std::span<const uint8_t> after =
          std::span<const uint8_t>(copy).first(view->header_length);
      FUZZ_CHECK((InternetChecksum(before) == 0) == (InternetChecksum(after) == 0));
    }
  }
  // Quoting any parseable packet must give a packet that parses again, to its source.
  const bool v4 = view->family == pathpair::IpFamily::kV4;
  const auto router = *pathpair::IpAddress::Parse(v4 ? "198.51.100.254" : "2001:db8::fe");
  std::vector<uint8_t> error(1500);
  const IcmpErrorSpec spec{.source = router, .mpls = {{.label = 16, .bottom_of_stack = true}}};
  const absl::StatusOr<size_t> error_size = BuildIcmpErrorPacket(spec, input, error);
  FUZZ_CHECK(error_size.ok());
  error.resize(*error_size);
  const absl::StatusOr<IpHeaderView> error_view = ParseIpHeader(error);
  FUZZ_CHECK(error_view.ok());
  FUZZ_CHECK(error_view->destination == view->source);
  FUZZ_CHECK(error_view->total_length == error.size());
  const absl::StatusOr<ParsedReply> reply = v4 ? ParseIpv4Packet(error) : ParseIpv6Packet(error);
  if (reply.ok()) {
    FUZZ_CHECK(reply->mpls.size() == 1);
    FUZZ_CHECK(reply->quote->source == view->source);
  }
  return 0;
}
