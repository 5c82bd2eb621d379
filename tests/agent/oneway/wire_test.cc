#include "agent/oneway/wire.h"

#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::oneway {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

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
      0x01,                                            // version
      0x02,                                            // kind: test
      0x00, 0x01,                                      // flags: echo
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // session id
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // sequence
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,  // sent count
      0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,  // send time
      0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,  // echo: peer send time
      0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,  // echo: local receive time
  };
  ASSERT_EQ(expected.size(), kHeaderSize);
  EXPECT_THAT(EncodePacket(SamplePacket()), ElementsAreArray(expected));

  absl::StatusOr<TestPacket> parsed = ParsePacket(expected);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, SamplePacket());
}

TEST(OneWayWireTest, HelloWithoutEchoAndPadding) {
  TestPacket hello;
  hello.kind = PacketKind::kHello;
  hello.session_id = 7;
  hello.send_time_ns = 1;
  std::vector<uint8_t> bytes = EncodePacket(hello, 200);
  ASSERT_EQ(bytes.size(), 200u);
  EXPECT_EQ(bytes[5], 0x01);
  EXPECT_EQ(bytes[7], 0x00);  // no echo flag
  for (size_t i = 40; i < bytes.size(); ++i) EXPECT_EQ(bytes[i], 0) << i;
  absl::StatusOr<TestPacket> parsed = ParsePacket(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, hello);
  // Padding content is not checked: a middlebox or the sender may fill it.
  bytes[150] = 0xff;
  EXPECT_TRUE(ParsePacket(bytes).ok());
}

TEST(OneWayWireTest, SizesAreClamped) {
  EXPECT_EQ(EncodePacket(SamplePacket(), 3).size(), kHeaderSize);
  EXPECT_EQ(EncodePacket(SamplePacket(), 1 << 20).size(), kMaxPacketSize);
}

TEST(OneWayWireTest, RejectsMalformedPackets) {
  const std::vector<uint8_t> good = EncodePacket(SamplePacket());
  auto rejected = [](std::vector<uint8_t> bytes, const char* why) {
    absl::StatusOr<TestPacket> parsed = ParsePacket(bytes);
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
  EXPECT_THAT(rejected(with(4, 2), "version"), HasSubstr("version 2"));
  rejected(with(5, 0), "kind 0");
  rejected(with(5, 4), "kind 4");
  rejected(with(6, 0x80), "unknown flag");
  rejected(with(32, 0x80), "negative send time");
  rejected(with(23, 6), "sequence == sent count");
  rejected(with(40, 0x80), "negative echo time");

  TestPacket no_echo = SamplePacket();
  no_echo.echo.reset();
  std::vector<uint8_t> bytes = EncodePacket(no_echo);
  bytes[50] = 1;
  rejected(bytes, "echo bytes without the flag");

  TestPacket hello = SamplePacket();
  hello.kind = PacketKind::kHello;
  rejected(EncodePacket(hello), "hello with a sequence");
  TestPacket finish = SamplePacket();
  finish.kind = PacketKind::kFinish;
  rejected(EncodePacket(finish), "finish with a sequence");
  finish.sequence = 0;
  EXPECT_TRUE(ParsePacket(EncodePacket(finish)).ok());
  finish.sent_count = kMaxSequence + 1;
  rejected(EncodePacket(finish), "absurd sent count");
}

// A deterministic stand-in for fuzzing: random and mutated inputs must never crash, and whatever
// parses must re-encode to the same header.
TEST(OneWayWireTest, RandomAndMutatedInputsNeverCrash) {
  std::mt19937 random(12345);
  const std::vector<uint8_t> good = EncodePacket(SamplePacket(), 80);
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
    }
    absl::StatusOr<TestPacket> parsed = ParsePacket(bytes);
    if (!parsed.ok()) continue;
    ++parsed_count;
    std::vector<uint8_t> again = EncodePacket(*parsed, bytes.size());
    ASSERT_TRUE(std::equal(again.begin(), again.begin() + kHeaderSize, bytes.begin()))
        << "round " << round;
  }
  EXPECT_GT(parsed_count, 0);  // the mutations do reach the field checks
}

}  // namespace
}  // namespace pathpair::oneway
