// Fuzz target: the one-way test packet codec (agent/oneway/wire.h), which every datagram that
// reaches an agent's one-way port goes through. A packet that parses must encode back to the
// same header and parse again to the same packet.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "agent/oneway/wire.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pathpair::oneway;
  const std::span<const uint8_t> input(data, size);
  const absl::StatusOr<TestPacket> packet = ParsePacket(input);
  if (!packet.ok()) return 0;
  FUZZ_CHECK(size >= kHeaderSize && size <= kMaxPacketSize);
  FUZZ_CHECK(packet->sequence < kMaxSequence && packet->sent_count <= kMaxSequence);
  FUZZ_CHECK(packet->send_time_ns > 0);
  const std::vector<uint8_t> again = EncodePacket(*packet, size);
  FUZZ_CHECK(again.size() == size);
  const absl::StatusOr<TestPacket> reparsed = ParsePacket(again);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(*reparsed == *packet);
  return 0;
}
