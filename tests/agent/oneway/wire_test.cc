#include "agent/oneway/wire.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::oneway {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

const SessionKey kKey = [] {
  SessionKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0xa0 + i);
  return key;
}();

TestPacket SamplePacket() {
  TestPacket packet;
  packet.kind = PacketKind::kTest;
  packet.session_id = 0x0102030405060708;
  packet.sequence = 5;
  packet.sent_count = 6;
  packet.send_time_ns = 0x1122334455667788;
  packet.echo = Echo{0x0a0b0c0d0e0f1011, 0x2122232425262728};
  return packet;
}

TEST(OneWayWireTest, GoldenBytes) {
  std::vector<uint8_t> expected = {
      'P',  'P',  'O',  'W',                           // magic
      0x02,                                            // version
      0x02,                                            // kind: test
      0x00, 0x01,                                      // flags: echo
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // session id
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // sequence
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,  // sent count
      0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,  // send time
      0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,  // echo: peer send time
      0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,  // echo: local receive time
  };
  ASSERT_EQ(expected.size(), kFieldsSize);
  const std::vector<uint8_t> encoded = EncodePacket(SamplePacket(), kKey);
  ASSERT_EQ(encoded.size(), kHeaderSize);
  EXPECT_THAT(std::vector<uint8_t>(encoded.begin(), encoded.begin() + kFieldsSize),
              ElementsAreArray(expected));

  absl::StatusOr<TestPacket> parsed = ParsePacket(encoded, kKey);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, SamplePacket());
}

// The MAC is HMAC-SHA256 of the fields, truncated to 16 bytes. Golden value from the openssl
// command line: openssl dgst -sha256 -mac HMAC -macopt hexkey:a0a1...bf FIELDS.
TEST(OneWayWireTest, MacIsTruncatedHmacSha256OfTheFields) {
  const std::vector<uint8_t> encoded = EncodePacket(SamplePacket(), kKey);
  std::string hex;
  for (size_t i = kFieldsSize; i < kHeaderSize; ++i)
    absl::StrAppendFormat(&hex, "%02x", encoded[i]);
  EXPECT_EQ(hex, "ba23de0fcb598d1712ff92494e4d51ba");
}

TEST(OneWayWireTest, PacketsWithoutTheSessionKeyAreRejected) {
  const std::vector<uint8_t> good = EncodePacket(SamplePacket(), kKey);
  SessionKey other = kKey;
  other[0] ^= 1;
  absl::StatusOr<TestPacket> parsed = ParsePacket(good, other);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("bad MAC"));
  // Any changed field (here the sequence) breaks the MAC; so does a changed MAC byte.
  for (size_t offset : {size_t{8}, size_t{23}, size_t{33}, kFieldsSize, kHeaderSize - 1}) {
    std::vector<uint8_t> bytes = good;
    bytes[offset] ^= 0x01;
    parsed = ParsePacket(bytes, kKey);
    ASSERT_FALSE(parsed.ok()) << offset;
    EXPECT_THAT(parsed.status().message(), HasSubstr("bad MAC")) << offset;
  }
  // A forger without the key who copies an old MAC onto new fields fails the same way.
  TestPacket forged = SamplePacket();
  forged.sequence = 4;
  std::vector<uint8_t> bytes = EncodePacket(forged, other);
  std::copy(good.begin() + kFieldsSize, good.begin() + kHeaderSize, bytes.begin() + kFieldsSize);
  EXPECT_FALSE(ParsePacket(bytes, kKey).ok());
}

TEST(OneWayWireTest, HelloWithoutEchoAndPadding) {
  TestPacket hello;
  hello.kind = PacketKind::kHello;
  hello.session_id = 7;
  hello.send_time_ns = 1;
  std::vector<uint8_t> bytes = EncodePacket(hello, kKey, 200);
  ASSERT_EQ(bytes.size(), 200u);
  EXPECT_EQ(bytes[5], 0x01);
  EXPECT_EQ(bytes[7], 0x00);  // no echo flag
  for (size_t i = 40; i < kFieldsSize; ++i) EXPECT_EQ(bytes[i], 0) << i;
  for (size_t i = kHeaderSize; i < bytes.size(); ++i) EXPECT_EQ(bytes[i], 0) << i;
  absl::StatusOr<TestPacket> parsed = ParsePacket(bytes, kKey);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, hello);
  // Padding content is not checked: a middlebox or the sender may fill it.
  bytes[150] = 0xff;
  EXPECT_TRUE(ParsePacket(bytes, kKey).ok());
}

TEST(OneWayWireTest, SizesAreClamped) {
  EXPECT_EQ(EncodePacket(SamplePacket(), kKey, 3).size(), kHeaderSize);
  EXPECT_EQ(EncodePacket(SamplePacket(), kKey, 1 << 20).size(), kMaxPacketSize);
}

TEST(OneWayWireTest, RejectsMalformedPackets) {
  const std::vector<uint8_t> good = EncodePacket(SamplePacket(), kKey);
  // Field checks run after the MAC: the changed packets are re-sealed with the key.
  auto rejected = [](std::vector<uint8_t> bytes, const char* why) {
    SealPacket(bytes, kKey);
    absl::StatusOr<TestPacket> parsed = ParsePacket(bytes, kKey);
    EXPECT_FALSE(parsed.ok()) << why;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << why;
    return std::string(parsed.status().message());
  };
  rejected({}, "empty");
  rejected(std::vector<uint8_t>(good.begin(), good.end() - 1), "one byte short");
  rejected(std::vector<uint8_t>(kMaxPacketSize + 1, 0), "oversized");

  auto with = [&](size_t offset, uint8_t value) {
    std::vector<uint8_t> bytes = good;
    bytes[offset] = value;
    return bytes;
  };
  EXPECT_THAT(rejected(with(0, 'X'), "magic"), HasSubstr("magic"));
  EXPECT_THAT(rejected(with(4, 1), "version"), HasSubstr("version 1"));
  rejected(with(5, 0), "kind 0");
  rejected(with(5, 4), "kind 4");
  rejected(with(6, 0x80), "unknown flag");
  rejected(with(32, 0x80), "negative send time");
  rejected(with(23, 6), "sequence == sent count");
  rejected(with(40, 0x80), "negative echo time");

  TestPacket no_echo = SamplePacket();
  no_echo.echo.reset();
  std::vector<uint8_t> bytes = EncodePacket(no_echo, kKey);
  bytes[50] = 1;
  rejected(bytes, "echo bytes without the flag");

  TestPacket hello = SamplePacket();
  hello.kind = PacketKind::kHello;
  rejected(EncodePacket(hello, kKey), "hello with a sequence");
  TestPacket finish = SamplePacket();
  finish.kind = PacketKind::kFinish;
  rejected(EncodePacket(finish, kKey), "finish with a sequence");
  finish.sequence = 0;
  EXPECT_TRUE(ParsePacket(EncodePacket(finish, kKey), kKey).ok());
  finish.sent_count = kMaxSequence + 1;
  rejected(EncodePacket(finish, kKey), "absurd sent count");
}

// A deterministic stand-in for fuzzing: random and mutated inputs must never crash, and whatever
// parses must re-encode to the same header.
TEST(OneWayWireTest, RandomAndMutatedInputsNeverCrash) {
  std::mt19937 random(12345);
  const std::vector<uint8_t> good = EncodePacket(SamplePacket(), kKey, 80);
  int parsed_count = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> bytes;
    if (round % 2 == 0) {
      bytes.resize(random() % 120);
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
    } else {
      bytes = good;
      int flips = 1 + random() % 4;
      for (int i = 0; i < flips; ++i) bytes[random() % bytes.size()] ^= 1u << (random() % 8);
      if (random() % 8 == 0) bytes.resize(random() % bytes.size());
      // Half are re-sealed, so that mutations reach the field checks behind the MAC.
      if (random() % 2 == 0) SealPacket(bytes, kKey);
    }
    absl::StatusOr<TestPacket> parsed = ParsePacket(bytes, kKey);
    if (!parsed.ok()) continue;
    ++parsed_count;
    std::vector<uint8_t> again = EncodePacket(*parsed, kKey, bytes.size());
    ASSERT_TRUE(std::equal(again.begin(), again.begin() + kHeaderSize, bytes.begin()))
        << "round " << round;
  }
  EXPECT_GT(parsed_count, 0);  // the mutations do reach the field checks
}

}  // namespace
}  // namespace pathpair::oneway
