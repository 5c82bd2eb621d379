// Checks the seed corpora against the codecs (packets, one-way wire format): every seed under
// valid/ must parse, every seed under malformed/ must be rejected (edge/ seeds may go either way).
// The seeds were built by make_corpus.py from the RFCs, so this also cross-checks the codec against
// a second encoder.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/oneway/wire.h"
#include "common/packet/packet.h"
#include "gtest/gtest.h"

namespace pathpair::packet {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> ReadFile(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// Runs `parse` on every seed of <target>/corpus/<category> and returns how many there were.
template <typename Parse>
int ExpectCategory(const std::string& target, const std::string& category, bool should_parse,
                   Parse parse) {
  const fs::path directory = fs::path(PATHPAIR_FUZZ_CORPUS_DIR) / target / "corpus" / category;
  int count = 0;
  for (const auto& entry : fs::directory_iterator(directory)) {
    const std::vector<uint8_t> seed = ReadFile(entry.path());
    const absl::Status status = parse(seed);
    EXPECT_EQ(status.ok(), should_parse) << entry.path() << ": " << status;
    ++count;
  }
  return count;
}

template <typename Parse>
void ExpectCorpus(const std::string& target, Parse parse) {
  EXPECT_GT(ExpectCategory(target, "valid", true, parse), 0);
  EXPECT_GT(ExpectCategory(target, "malformed", false, parse), 0);
}

const IpAddress kAny6 = IpAddress::Any(IpFamily::kV6);

TEST(PacketFuzzCorpusTest, Ipv4Packets) {
  ExpectCorpus("ipv4_packet",
               [](std::span<const uint8_t> seed) { return ParseIpv4Packet(seed).status(); });
}

TEST(PacketFuzzCorpusTest, Ipv6Packets) {
  ExpectCorpus("ipv6_packet",
               [](std::span<const uint8_t> seed) { return ParseIpv6Packet(seed).status(); });
}

TEST(PacketFuzzCorpusTest, Icmpv6MessagesAndTcpSegments) {
  ExpectCorpus("icmpv6_tcp", [](std::span<const uint8_t> seed) {
    if (seed.empty()) return absl::InvalidArgumentError("empty seed");
    const std::span<const uint8_t> message = seed.subspan(1);
    return (seed[0] % 2 == 0 ? ParseIcmpv6Message(message, kAny6, kAny6)
                             : ParseTcpSegment(message, kAny6, kAny6))
        .status();
  });
}

TEST(PacketFuzzCorpusTest, IpHeaders) {
  ExpectCorpus("ip_header",
               [](std::span<const uint8_t> seed) { return ParseIpHeader(seed).status(); });
}

// The one-way seeds carry an HMAC computed by Python's hmac module under the fuzz target's key
// (fuzz_oneway_wire.cc): valid ones must verify with OpenSSL's, a forged MAC must not.
TEST(OneWayFuzzCorpusTest, PacketsAuthenticateUnderTheFuzzKey) {
  oneway::SessionKey key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0xA5 ^ i);
  ExpectCorpus("oneway_wire", [&key](std::span<const uint8_t> seed) {
    return oneway::ParsePacket(seed, key).status();
  });
}

}  // namespace
}  // namespace pathpair::packet
