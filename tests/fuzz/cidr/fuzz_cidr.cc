// Fuzz target: Cidr::Parse (agent/service/consent.h), which reads the operator's --allow ranges.
// A range that parses has a prefix length its family allows, contains its own network address,
// prints back to text that parses to the same range, and was read from text without a NUL (a
// C string would end there: what was checked must be all that was given).
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "agent/service/consent.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using pathpair::agent::Cidr;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<Cidr> cidr = Cidr::Parse(text);
  if (!cidr.ok()) return 0;
  FUZZ_CHECK(text.find('\0') == absl::string_view::npos);
  FUZZ_CHECK(cidr->prefix_length >= 0 && cidr->prefix_length <= (cidr->network.is_v4() ? 32 : 128));
  FUZZ_CHECK(cidr->Contains(cidr->network) || cidr->network.is_v6());  // ::ffff:a.b.c.d unmaps
  const absl::StatusOr<Cidr> again = Cidr::Parse(cidr->ToString());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->network == cidr->network && again->prefix_length == cidr->prefix_length);
  return 0;
}
