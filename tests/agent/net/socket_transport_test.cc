// SocketTransport over a fake kernel (FakeSysCalls), without root: the ancillary data of each
// probe, send stamps from the error queue paired by OPT_ID, the mapping of kernel stamps onto the
// monotonic clock, the ICMP errors of unprivileged sockets, and descriptor hygiene. The same over
// real sockets, as root: socket_transport_root_test.cc.
#include "agent/net/socket_transport.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>

#include <memory>
#include <vector>

#include "common/packet/packet.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/net/echo_request.h"
#include "tests/agent/net/fake_sys_calls.h"

namespace pathpair::net {
namespace {

using ::testing::HasSubstr;

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

const IpAddress kLocal4 = Addr("198.51.100.1");
const IpAddress kTarget4 = Addr("203.0.113.9");
const IpAddress kRouter4 = Addr("198.51.100.2");
const IpAddress kLocal6 = Addr("2001:db8:1::1");
const IpAddress kTarget6 = Addr("2001:db8:9::9");

// An IPv4 packet as a raw socket delivers it: a 20-byte header (only the addresses matter here)
// and an 8-byte ICMP message.
std::vector<uint8_t> RawIpv4Packet(const IpAddress& source, const IpAddress& destination) {
  std::vector<uint8_t> packet(28, 0);
  packet[0] = 0x45;
  packet[9] = IPPROTO_ICMP;
  std::copy(source.bytes().begin(), source.bytes().end(), packet.begin() + 12);
  std::copy(destination.bytes().begin(), destination.bytes().end(), packet.begin() + 16);
  return packet;
}

class SocketTransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<SocketTransport> Open(SocketPlan plan = SocketPlan()) {
    absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan, kernel_);
    EXPECT_TRUE(sockets.ok()) << sockets.status();
    if (!sockets.ok()) return nullptr;
    absl::StatusOr<std::unique_ptr<SocketTransport>> transport =
        SocketTransport::Create(*std::move(sockets));
    EXPECT_TRUE(transport.ok()) << transport.status();
    return transport.ok() ? *std::move(transport) : nullptr;
  }
  std::unique_ptr<SocketTransport> OpenUnprivileged() {
    SocketPlan plan;
    plan.force_unprivileged = true;
    return Open(plan);
  }

  OutgoingProbe Probe(const IpAddress& source, const IpAddress& destination, uint8_t ttl = 5) {
    bytes_ = EchoRequest(source, destination, 0x4242, ttl);
    return OutgoingProbe{.protocol = packet::ProbeProtocol::kIcmp,
                         .source = source,
                         .destination = destination,
                         .ttl = ttl,
                         .tos = 0,
                         .interface_index = 0,
                         .mark = 0,
                         .bytes = bytes_};
  }

  std::vector<ReceivedPacket> Receive(SocketTransport& transport) {
    std::vector<ReceivedPacket> out;
    transport.Receive(out);
    return out;
  }

  FakeSysCalls kernel_;  // outlives every transport: their descriptors close through it
  std::vector<uint8_t> bytes_;
};

TEST_F(SocketTransportTest, Ipv4ProbeCarriesTtlTosAndSourceAsAncillaryData) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  OutgoingProbe probe = Probe(kLocal4, kTarget4, 7);
  probe.tos = 0x20;
  ASSERT_TRUE(transport->Send(probe).ok());

  ASSERT_EQ(kernel_.sent().size(), 2u);  // the timestamp warm-up over loopback, then the probe
  const FakeSysCalls::Sent& sent = kernel_.sent().back();
  EXPECT_EQ(sent.fd, kernel_.FindSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  EXPECT_EQ(sent.to, kTarget4);
  EXPECT_EQ(sent.data, bytes_);
  EXPECT_EQ(sent.IntOf(IPPROTO_IP, IP_TTL), 7);
  EXPECT_EQ(sent.IntOf(IPPROTO_IP, IP_TOS), 0x20);
  std::optional<ControlMessage> pktinfo = sent.Find(IPPROTO_IP, IP_PKTINFO);
  ASSERT_TRUE(pktinfo.has_value());
  ASSERT_TRUE(pktinfo->As<in_pktinfo>().has_value());
  EXPECT_EQ(ntohl(pktinfo->As<in_pktinfo>()->ipi_spec_dst.s_addr), kLocal4.v4_host_order());
  EXPECT_EQ(pktinfo->As<in_pktinfo>()->ipi_ifindex, 0);
  EXPECT_FALSE(sent.Find(SOL_SOCKET, SO_MARK).has_value());
}

TEST_F(SocketTransportTest, Ipv6ProbeCarriesHopLimitClassInterfaceAndMark) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  OutgoingProbe probe = Probe(kLocal6, kTarget6, 3);
  probe.tos = 0x40;
  probe.interface_index = 4;
  probe.mark = 9;
  ASSERT_TRUE(transport->Send(probe).ok());

  const FakeSysCalls::Sent& sent = kernel_.sent().back();
  EXPECT_EQ(sent.fd, kernel_.FindSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
  EXPECT_EQ(sent.IntOf(IPPROTO_IPV6, IPV6_HOPLIMIT), 3);
  EXPECT_EQ(sent.IntOf(IPPROTO_IPV6, IPV6_TCLASS), 0x40);
  std::optional<ControlMessage> pktinfo = sent.Find(IPPROTO_IPV6, IPV6_PKTINFO);
  ASSERT_TRUE(pktinfo.has_value());
  const std::optional<in6_pktinfo> info = pktinfo->As<in6_pktinfo>();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->ipi6_ifindex, 4u);
  EXPECT_EQ(std::memcmp(&info->ipi6_addr, kLocal6.bytes().data(), 16), 0);
  EXPECT_EQ(sent.IntOf(SOL_SOCKET, SO_MARK), 9);
}

TEST_F(SocketTransportTest, NoPktinfoWithoutSourceOrInterfaceAndNoMarkTheSocketsCarry) {
  SocketPlan plan;
  plan.mark = 9;
  std::unique_ptr<SocketTransport> transport = Open(plan);
  ASSERT_NE(transport, nullptr);
  OutgoingProbe probe = Probe(IpAddress::Any(IpFamily::kV4), kTarget4);
  probe.mark = 9;  // the sockets' own mark: not repeated per packet
  ASSERT_TRUE(transport->Send(probe).ok());
  EXPECT_FALSE(kernel_.sent().back().Find(IPPROTO_IP, IP_PKTINFO).has_value());
  EXPECT_FALSE(kernel_.sent().back().Find(SOL_SOCKET, SO_MARK).has_value());
  EXPECT_TRUE(kernel_.sent().back().IntOf(IPPROTO_IP, IP_TTL).has_value());

  probe.mark = 10;  // another trace's mark rides on the packet
  ASSERT_TRUE(transport->Send(probe).ok());
  EXPECT_EQ(kernel_.sent().back().IntOf(SOL_SOCKET, SO_MARK), 10);
}

TEST_F(SocketTransportTest, SendStampFromTheErrorQueueIsMappedOntoTheMonotonicClock) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  absl::StatusOr<SendReport> sent = transport->Send(Probe(kLocal4, kTarget4));
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->source, TimestampSource::kKernel);
  // The kernel stamped the packet during sendmsg; mapped through the sampled offset it lands
  // within a clock tick of that moment, though the wall clock is 1.7e9 s ahead.
  const MonoTime at = kernel_.sent().back().at;
  EXPECT_LE(absl::AbsDuration(sent->sent_at - at), absl::Microseconds(1));
  EXPECT_EQ(transport->timestamp_counters().send_kernel, 1u);
  EXPECT_EQ(transport->timestamp_counters().send_user, 0u);
  EXPECT_GT(transport->timestamp_counters().send_kernel_lead, absl::ZeroDuration());
}

TEST_F(SocketTransportTest, WallClockStepDuringTheSendFallsBackToTheTimeBeforeIt) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  // The stamp is taken with the old wall clock, the offset sampled with the new one.
  kernel_.set_on_send([this](const FakeSysCalls::Sent&) { kernel_.StepWallClock(absl::Hours(1)); });
  absl::StatusOr<SendReport> sent = transport->Send(Probe(kLocal4, kTarget4));
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->source, TimestampSource::kUserSpace);
  // The reading taken before sendmsg: never later than the packet left.
  const MonoTime at = kernel_.sent().back().at;
  EXPECT_LT(sent->sent_at, at);
  EXPECT_GE(sent->sent_at, at - absl::Microseconds(1));
  EXPECT_EQ(transport->timestamp_counters().send_user, 1u);
}

TEST_F(SocketTransportTest, MissingSendStampFallsBackToUserSpace) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  kernel_.set_send_stamps(false);
  absl::StatusOr<SendReport> sent = transport->Send(Probe(kLocal4, kTarget4));
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->source, TimestampSource::kUserSpace);
  EXPECT_LT(sent->sent_at, kernel_.sent().back().at);
}

// A stamp that comes late belongs to an earlier send: its OPT_ID says so, and the next send
// skips it rather than taking the earlier send's time.
TEST_F(SocketTransportTest, LateStampOfAnEarlierSendIsSkippedByItsId) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  const int icmp4 = kernel_.FindSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  kernel_.set_send_stamps(false);
  ASSERT_EQ(transport->Send(Probe(kLocal4, kTarget4))->source, TimestampSource::kUserSpace);
  const absl::Time first_send_wall = kernel_.WallAt(kernel_.sent().back().at);
  kernel_.Advance(absl::Milliseconds(10));
  kernel_.QueueError(icmp4, FakeSysCalls::SendStamp(AF_INET, 0, first_send_wall));
  kernel_.set_send_stamps(true);  // send 1 is stamped as it leaves, behind the late stamp

  absl::StatusOr<SendReport> second = transport->Send(Probe(kLocal4, kTarget4));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->source, TimestampSource::kKernel);
  EXPECT_LE(absl::AbsDuration(second->sent_at - kernel_.sent().back().at), absl::Microseconds(1));
  EXPECT_EQ(transport->timestamp_counters().send_kernel, 1u);
}

// When the kernel's count is ahead of the transport's (a stamp with a higher id), the transport
// takes it and counts on from there, so the next send again skips stale ids.
TEST_F(SocketTransportTest, StampAheadOfTheCountResynchronisesIt) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  const int icmp4 = kernel_.FindSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  kernel_.set_send_stamps(false);
  // (id, how far the stamp's wall time is from the send): queued by the next send, as it leaves.
  std::vector<std::pair<uint32_t, absl::Duration>> stamps_to_queue;
  kernel_.set_on_send([&](const FakeSysCalls::Sent& sent) {
    for (const auto& [id, off] : stamps_to_queue) {
      kernel_.QueueError(sent.fd, FakeSysCalls::SendStamp(AF_INET, id, kernel_.wall() + off));
    }
    stamps_to_queue.clear();
  });
  stamps_to_queue = {{3, absl::ZeroDuration()}};
  ASSERT_EQ(transport->Send(Probe(kLocal4, kTarget4))->source, TimestampSource::kKernel);

  // Now the transport expects 4: id 2 is stale (its time is far off), id 4 is this send's.
  stamps_to_queue = {{2, -absl::Seconds(10)}, {4, absl::ZeroDuration()}};
  absl::StatusOr<SendReport> second = transport->Send(Probe(kLocal4, kTarget4));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->source, TimestampSource::kKernel);
  EXPECT_EQ(transport->timestamp_counters().send_kernel, 2u);
  EXPECT_EQ(kernel_.socket_state(icmp4)->error_queue.size(), 0u);
}

TEST_F(SocketTransportTest, SendFailureNamesTheDestinationAndTheErrno) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  kernel_.FailSends(ENETUNREACH);
  absl::StatusOr<SendReport> sent = transport->Send(Probe(kLocal4, kTarget4));
  EXPECT_EQ(sent.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(sent.status().message(), HasSubstr("203.0.113.9"));
  EXPECT_THAT(sent.status().message(), HasSubstr("Network is unreachable"));
}

TEST_F(SocketTransportTest, ReceivedPacketTakesItsKernelStampAndAddresses) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  kernel_.Advance(absl::Milliseconds(10));
  const MonoTime arrived = kernel_.mono() - absl::Milliseconds(2);
  kernel_.QueueReceive(kernel_.FindSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP),
                       {RawIpv4Packet(kTarget4, kLocal4), kTarget4,
                        FakeSysCalls::ReceiveStamp(kernel_.WallAt(arrived))});
  const std::vector<ReceivedPacket> packets = Receive(*transport);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].format, PacketFormat::kIpv4Packet);
  EXPECT_EQ(packets[0].source, kTarget4);
  EXPECT_EQ(packets[0].destination, kLocal4);  // from the IPv4 header
  EXPECT_EQ(packets[0].bytes, RawIpv4Packet(kTarget4, kLocal4));
  EXPECT_EQ(packets[0].timestamp_source, TimestampSource::kKernel);
  EXPECT_LE(absl::AbsDuration(packets[0].received_at - arrived), absl::Microseconds(1));
  EXPECT_EQ(transport->timestamp_counters().receive_kernel, 1u);
  EXPECT_GE(transport->timestamp_counters().receive_kernel_lead, absl::Milliseconds(2));
  EXPECT_TRUE(Receive(*transport).empty());
}

TEST_F(SocketTransportTest, UnstampedPacketUsesTheTimeAfterRecvmsg) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  kernel_.QueueReceive(kernel_.FindSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP),
                       {RawIpv4Packet(kTarget4, kLocal4), kTarget4, {}});
  const MonoTime before = kernel_.mono();
  const std::vector<ReceivedPacket> packets = Receive(*transport);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].timestamp_source, TimestampSource::kUserSpace);
  EXPECT_GT(packets[0].received_at, before);
  EXPECT_LE(packets[0].received_at, kernel_.mono());
  EXPECT_EQ(transport->timestamp_counters().receive_user, 1u);
  EXPECT_EQ(transport->timestamp_counters().receive_unstamped, 1u);
}

// A stamp from well before the socket was last seen empty cannot be this packet's: the wall
// clock must have stepped. The user-space reading is used instead.
TEST_F(SocketTransportTest, StampFromBeforeTheQueueWasLastEmptyIsRejected) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  const MonoTime watched_since = kernel_.mono();  // the socket's queue was empty then
  kernel_.Advance(absl::Seconds(1));
  kernel_.QueueReceive(
      kernel_.FindSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP),
      {RawIpv4Packet(kTarget4, kLocal4), kTarget4,
       FakeSysCalls::ReceiveStamp(kernel_.WallAt(watched_since - absl::Milliseconds(500)))});
  const std::vector<ReceivedPacket> packets = Receive(*transport);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].timestamp_source, TimestampSource::kUserSpace);
  EXPECT_GE(packets[0].received_at, kernel_.mono() - absl::Microseconds(10));
  EXPECT_EQ(transport->timestamp_counters().receive_unstamped, 0u);
}

TEST_F(SocketTransportTest, Ipv6PacketTakesItsDestinationFromPktinfo) {
  std::unique_ptr<SocketTransport> transport = Open();
  ASSERT_NE(transport, nullptr);
  ControlBuffer<ControlSpace(sizeof(in6_pktinfo))> control;
  ControlMessageWriter writer(control.bytes);
  in6_pktinfo info{};
  std::memcpy(&info.ipi6_addr, kLocal6.bytes().data(), 16);
  writer.Add(IPPROTO_IPV6, IPV6_PKTINFO, info);
  const std::vector<uint8_t> message = {129, 0, 0, 0, 0x42, 0x42, 0, 1};  // an echo reply
  kernel_.QueueReceive(kernel_.FindSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6),
                       {message, kTarget6, {writer.written().begin(), writer.written().end()}});
  const std::vector<ReceivedPacket> packets = Receive(*transport);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].format, PacketFormat::kIcmpv6Message);
  EXPECT_EQ(packets[0].source, kTarget6);
  EXPECT_EQ(packets[0].destination, kLocal6);
  EXPECT_EQ(packets[0].bytes, message);
}

TEST_F(SocketTransportTest, CreateWaitsForStampedLoopbackAndClosesWhatItOpened) {
  {
    std::unique_ptr<SocketTransport> transport = Open();
    ASSERT_NE(transport, nullptr);
    // The warm-up datagram came back stamped at once: no 100 ms wait.
    ASSERT_EQ(kernel_.sent().size(), 1u);
    EXPECT_EQ(kernel_.sent()[0].to, Addr("127.0.0.1"));
    EXPECT_LT(kernel_.mono() - MonoTime::FromEpochDuration(absl::Seconds(5000)),
              absl::Milliseconds(1));
    // Sockets, epoll and eventfd; the warm-up socket is closed again.
    EXPECT_EQ(kernel_.open_descriptors(), 4u);
  }
  EXPECT_EQ(kernel_.open_descriptors(), 0u);
  EXPECT_EQ(kernel_.bad_closes(), 0);
}

TEST_F(SocketTransportTest, UnprivilegedSocketOpensPerEchoIdAndClosesOnRelease) {
  std::unique_ptr<SocketTransport> transport = OpenUnprivileged();
  ASSERT_NE(transport, nullptr);
  EXPECT_TRUE(transport->capabilities().unprivileged);
  const size_t before = kernel_.open_descriptors();
  ASSERT_TRUE(transport->ClaimIcmpIdentifier(IpFamily::kV4, 0x4242).ok());
  ASSERT_TRUE(transport->ClaimIcmpIdentifier(IpFamily::kV4, 0x4242).ok());  // already held
  EXPECT_EQ(kernel_.open_descriptors(), before + 1);
  const int fd = kernel_.FindSocket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  EXPECT_EQ(kernel_.socket_state(fd)->port, 0x4242);

  kernel_.TakePort(0x4343);  // another process pings with this id
  EXPECT_EQ(transport->ClaimIcmpIdentifier(IpFamily::kV4, 0x4343).code(),
            absl::StatusCode::kUnavailable);

  transport->ReleaseIcmpIdentifier(IpFamily::kV4, 0x4242);
  EXPECT_EQ(kernel_.open_descriptors(), before);
  EXPECT_EQ(kernel_.bad_closes(), 0);
}

// An ICMP datagram socket reports a router's Time Exceeded on its error queue, where the send
// stamps are too. One met while looking for a send stamp is kept, rebuilt as the IPv4 packet a
// raw socket would have delivered, and handed out by the next Receive.
TEST_F(SocketTransportTest, IcmpErrorMetWhileTakingASendStampIsKeptForReceive) {
  std::unique_ptr<SocketTransport> transport = OpenUnprivileged();
  ASSERT_NE(transport, nullptr);
  ASSERT_TRUE(transport->ClaimIcmpIdentifier(IpFamily::kV4, 0x4242).ok());
  const int fd = kernel_.FindSocket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  const OutgoingProbe probe = Probe(kLocal4, kTarget4, 1);

  // The error (about an earlier probe) is queued ahead of this send's stamp.
  ControlBuffer<ControlSpace(sizeof(sock_extended_err) + sizeof(sockaddr_in)) +
                ControlSpace(3 * sizeof(timespec))>
      control;
  ControlMessageWriter writer(control.bytes);
  uint8_t error_and_offender[sizeof(sock_extended_err) + sizeof(sockaddr_in)] = {};
  sock_extended_err error{};
  error.ee_errno = EHOSTUNREACH;
  error.ee_origin = SO_EE_ORIGIN_ICMP;
  error.ee_type = 11;  // Time Exceeded
  error.ee_code = 0;
  std::memcpy(error_and_offender, &error, sizeof(error));
  sockaddr_storage offender{};
  kRouter4.ToSockaddr(0, &offender);
  std::memcpy(error_and_offender + sizeof(error), &offender, sizeof(sockaddr_in));
  writer.Add(IPPROTO_IP, IP_RECVERR, error_and_offender);
  const MonoTime arrived = kernel_.mono();
  timespec stamps[3] = {absl::ToTimespec(kernel_.WallAt(arrived)), {}, {}};
  writer.Add(SOL_SOCKET, SO_TIMESTAMPING, stamps);
  kernel_.QueueError(fd, {std::vector<uint8_t>(probe.bytes.begin(), probe.bytes.end()),
                          kTarget4,
                          {writer.written().begin(), writer.written().end()}});

  absl::StatusOr<SendReport> sent = transport->Send(probe);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->source, TimestampSource::kKernel);  // the stamp behind the error was found

  const std::vector<ReceivedPacket> packets = Receive(*transport);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].format, PacketFormat::kIpv4Packet);
  EXPECT_EQ(packets[0].source, kRouter4);
  EXPECT_EQ(packets[0].destination, kLocal4);
  EXPECT_EQ(packets[0].timestamp_source, TimestampSource::kKernel);
  absl::StatusOr<packet::ParsedReply> reply = packet::ParseIpv4Packet(packets[0].bytes);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, packet::ReplyKind::kTimeExceeded);
  EXPECT_EQ(reply->responder, kRouter4);
  ASSERT_TRUE(reply->quote.has_value());
  EXPECT_EQ(reply->quote->destination, kTarget4);
  EXPECT_EQ(reply->quote->icmp_id, 0x4242);
  EXPECT_EQ(reply->quote->icmp_sequence, 1);
  EXPECT_TRUE(Receive(*transport).empty());
}

TEST_F(SocketTransportTest, UnprivilegedSendClearsAPendingSocketError) {
  std::unique_ptr<SocketTransport> transport = OpenUnprivileged();
  ASSERT_NE(transport, nullptr);
  ASSERT_TRUE(transport->ClaimIcmpIdentifier(IpFamily::kV4, 0x4242).ok());
  const int fd = kernel_.FindSocket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  kernel_.SetPendingError(fd, EHOSTUNREACH);
  ASSERT_TRUE(transport->Send(Probe(kLocal4, kTarget4)).ok());
  EXPECT_EQ(kernel_.socket_state(fd)->pending_error, 0);
}

// An ICMP error that arrives between clearing and sending fails the send; it is cleared and the
// send retried, once.
TEST_F(SocketTransportTest, UnprivilegedSendRetriesOnceAfterAnErrorArrivedInBetween) {
  std::unique_ptr<SocketTransport> transport = OpenUnprivileged();
  ASSERT_NE(transport, nullptr);
  ASSERT_TRUE(transport->ClaimIcmpIdentifier(IpFamily::kV4, 0x4242).ok());
  const size_t sends_before = kernel_.sent().size();
  kernel_.FailSends(EHOSTUNREACH, 1, /*leave_pending=*/true);
  absl::StatusOr<SendReport> retried = transport->Send(Probe(kLocal4, kTarget4));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(kernel_.sent().size(), sends_before + 1);

  kernel_.FailSends(EHOSTUNREACH, 2, /*leave_pending=*/true);
  EXPECT_EQ(transport->Send(Probe(kLocal4, kTarget4)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(kernel_.sent().size(), sends_before + 1);
}

// recvmsg reports a pending error once (and clears it); the replies queued behind it still come.
TEST_F(SocketTransportTest, PendingErrorDoesNotHideQueuedReplies) {
  std::unique_ptr<SocketTransport> transport = OpenUnprivileged();
  ASSERT_NE(transport, nullptr);
  ASSERT_TRUE(transport->ClaimIcmpIdentifier(IpFamily::kV4, 0x4242).ok());
  const int fd = kernel_.FindSocket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  ASSERT_TRUE(transport->Send(Probe(kLocal4, kTarget4)).ok());
  std::vector<uint8_t> echo_reply = bytes_;
  echo_reply[0] = 0;  // type: echo reply
  kernel_.SetPendingError(fd, EHOSTUNREACH);
  kernel_.QueueReceive(fd, {echo_reply, kTarget4, {}});
  const std::vector<ReceivedPacket> packets = Receive(*transport);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].format, PacketFormat::kIpv4Packet);  // the IPv4 header put back
  EXPECT_EQ(packets[0].source, kTarget4);
  EXPECT_EQ(packets[0].destination, kLocal4);  // the probes' source, as no PKTINFO came
  ASSERT_EQ(packets[0].bytes.size(), 20 + echo_reply.size());
  EXPECT_TRUE(std::equal(echo_reply.begin(), echo_reply.end(), packets[0].bytes.begin() + 20));
}

}  // namespace
}  // namespace pathpair::net
