#include "agent/net/control_message.h"

#include <netinet/in.h>

#include <vector>

#include "gtest/gtest.h"

namespace pathpair::net {
namespace {

// What the writer produces is what the C library's CMSG macros (and so the kernel) read.
TEST(ControlMessageWriterTest, WritesWhatTheCmsgMacrosRead) {
  ControlBuffer<2 * ControlSpace(sizeof(int)) + ControlSpace(sizeof(in_pktinfo))> control;
  ControlMessageWriter writer(control.bytes);
  ASSERT_TRUE(writer.Add(IPPROTO_IP, IP_TTL, int{7}));
  ASSERT_TRUE(writer.Add(IPPROTO_IP, IP_TOS, int{0x20}));
  in_pktinfo info{};
  info.ipi_ifindex = 3;
  info.ipi_spec_dst.s_addr = htonl(0xc6336401);
  ASSERT_TRUE(writer.Add(IPPROTO_IP, IP_PKTINFO, info));
  EXPECT_EQ(writer.written().size(), sizeof(control.bytes));

  msghdr header{};
  writer.AttachTo(header);
  ASSERT_EQ(header.msg_control, control.bytes);
  ASSERT_EQ(header.msg_controllen, sizeof(control.bytes));
  cmsghdr* c = CMSG_FIRSTHDR(&header);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cmsg_level, IPPROTO_IP);
  EXPECT_EQ(c->cmsg_type, IP_TTL);
  EXPECT_EQ(c->cmsg_len, CMSG_LEN(sizeof(int)));
  int value;
  std::memcpy(&value, CMSG_DATA(c), sizeof(value));
  EXPECT_EQ(value, 7);
  c = CMSG_NXTHDR(&header, c);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cmsg_type, IP_TOS);
  std::memcpy(&value, CMSG_DATA(c), sizeof(value));
  EXPECT_EQ(value, 0x20);
  c = CMSG_NXTHDR(&header, c);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cmsg_type, IP_PKTINFO);
  EXPECT_EQ(c->cmsg_len, CMSG_LEN(sizeof(in_pktinfo)));
  in_pktinfo read_back;
  std::memcpy(&read_back, CMSG_DATA(c), sizeof(read_back));
  EXPECT_EQ(read_back.ipi_ifindex, 3);
  EXPECT_EQ(ntohl(read_back.ipi_spec_dst.s_addr), 0xc6336401u);
  EXPECT_EQ(CMSG_NXTHDR(&header, c), nullptr);
}

TEST(ControlMessageWriterTest, RefusesWhatDoesNotFitAndKeepsWhatDid) {
  ControlBuffer<ControlSpace(sizeof(int))> control;
  ControlMessageWriter writer(control.bytes);
  ASSERT_TRUE(writer.Add(IPPROTO_IPV6, IPV6_HOPLIMIT, int{64}));
  EXPECT_FALSE(writer.Add(IPPROTO_IPV6, IPV6_TCLASS, int{0}));
  EXPECT_EQ(writer.written().size(), ControlSpace(sizeof(int)));
}

TEST(ControlMessageWriterTest, NothingWrittenMeansNoControlData) {
  ControlBuffer<64> control;
  ControlMessageWriter writer(control.bytes);
  msghdr header{};
  header.msg_control = &header;  // anything: AttachTo must clear it
  header.msg_controllen = 99;
  writer.AttachTo(header);
  EXPECT_EQ(header.msg_control, nullptr);
  EXPECT_EQ(header.msg_controllen, 0u);
}

TEST(ControlMessageReaderTest, ReadsBackWhatTheWriterWrote) {
  ControlBuffer<ControlSpace(sizeof(int)) + ControlSpace(sizeof(timespec))> control;
  ControlMessageWriter writer(control.bytes);
  writer.Add(IPPROTO_IP, IP_TTL, int{9});
  writer.Add(SOL_SOCKET, SO_TIMESTAMPNS, timespec{12, 345});
  msghdr header{};
  writer.AttachTo(header);

  ControlMessageReader reader(header);
  std::optional<ControlMessage> ttl = reader.Next();
  ASSERT_TRUE(ttl.has_value());
  EXPECT_TRUE(ttl->Is(IPPROTO_IP, IP_TTL));
  EXPECT_FALSE(ttl->Is(IPPROTO_IP, IP_TOS));
  EXPECT_EQ(ttl->As<int>(), 9);
  EXPECT_FALSE(ttl->As<timespec>().has_value());  // shorter than a timespec
  std::optional<ControlMessage> stamp = reader.Next();
  ASSERT_TRUE(stamp.has_value());
  EXPECT_TRUE(stamp->Is(SOL_SOCKET, SO_TIMESTAMPNS));
  ASSERT_TRUE(stamp->As<timespec>().has_value());
  EXPECT_EQ(stamp->As<timespec>()->tv_sec, 12);
  EXPECT_EQ(stamp->As<timespec>()->tv_nsec, 345);
  EXPECT_FALSE(reader.Next().has_value());
  EXPECT_FALSE(reader.Next().has_value());
}

TEST(ControlMessageReaderTest, EmptyControlDataHasNoMessages) {
  msghdr header{};
  ControlMessageReader reader(header);
  EXPECT_FALSE(reader.Next().has_value());
}

// A length that claims more than the buffer holds, or less than a header, ends the walk there:
// nothing is read past the control data.
TEST(ControlMessageReaderTest, StopsAtAMalformedLength) {
  ControlBuffer<2 * ControlSpace(sizeof(int))> control;
  ControlMessageWriter writer(control.bytes);
  writer.Add(IPPROTO_IP, IP_TTL, int{1});
  writer.Add(IPPROTO_IP, IP_TOS, int{2});
  cmsghdr second;
  std::memcpy(&second, control.bytes + ControlSpace(sizeof(int)), sizeof(second));

  second.cmsg_len = 1000;
  std::memcpy(control.bytes + ControlSpace(sizeof(int)), &second, sizeof(second));
  ControlMessageReader too_long(control.bytes);
  ASSERT_TRUE(too_long.Next().has_value());
  EXPECT_FALSE(too_long.Next().has_value());

  second.cmsg_len = 2;
  std::memcpy(control.bytes + ControlSpace(sizeof(int)), &second, sizeof(second));
  ControlMessageReader too_short(control.bytes);
  ASSERT_TRUE(too_short.Next().has_value());
  EXPECT_FALSE(too_short.Next().has_value());

  // A buffer cut inside a header.
  ControlMessageReader cut(std::span<const uint8_t>(control.bytes, sizeof(cmsghdr) - 1));
  EXPECT_FALSE(cut.Next().has_value());
}

}  // namespace
}  // namespace pathpair::net
