// Fuzz target: the one-way test packet codec (agent/oneway/wire.h), which every datagram that
// reaches an agent's one-way port goes through. Each input is parsed twice under a fixed session
// key: as it came, which exercises the MAC check (a forgery must never parse), and re-sealed
// with a valid MAC, which lets the fuzzer past the MAC into the field checks. A packet that
// parses must encode back to the same header and parse again to the same packet.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "agent/oneway/wire.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace pathpair::oneway;

constexpr SessionKey kFuzzKey = [] {
  SessionKey key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0xA5 ^ i);
  return key;
}();

void CheckParsed(std::span<const uint8_t> input) {
  const absl::StatusOr<TestPacket> packet = ParsePacket(input, kFuzzKey);
  if (!packet.ok()) return;
  FUZZ_CHECK(input.size() >= kHeaderSize && input.size() <= kMaxPacketSize);
  FUZZ_CHECK(packet->sequence < kMaxSequence && packet->sent_count <= kMaxSequence);
  FUZZ_CHECK(packet->send_time_ns > 0);
  const std::vector<uint8_t> again = EncodePacket(*packet, kFuzzKey, input.size());
  FUZZ_CHECK(again.size() == input.size());
  const absl::StatusOr<TestPacket> reparsed = ParsePacket(again, kFuzzKey);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(*reparsed == *packet);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  CheckParsed(input);
  if (size >= kHeaderSize && size <= kMaxPacketSize) {
    std::vector<uint8_t> sealed(input.begin(), input.end());
    SealPacket(sealed, kFuzzKey);
    CheckParsed(sealed);
  }
  return 0;
}
