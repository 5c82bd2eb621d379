// Root tests of SocketTransport alone, over loopback in a network namespace of the test's own
// (unshare): raw and unprivileged ICMP, IPv4 and IPv6, the receive filters and the timestamps.
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "agent/net/socket_set.h"
#include "agent/net/socket_transport.h"
#include "common/packet/packet.h"
#include "gtest/gtest.h"
#include "tests/agent/net/echo_request.h"

namespace pathpair::net {
namespace {

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

MonoTime Now() { return SystemClock::Get().Now(); }

class TransportRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    // A namespace of our own: only its loopback exists, nothing outside is ever probed.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0);
    ASSERT_EQ(std::system("ip link set lo up"), 0);
  }

  // Waits up to a second for packets, then returns all of them.
  static std::vector<ReceivedPacket> ReceiveSome(SocketTransport& transport) {
    std::vector<ReceivedPacket> out;
    for (int i = 0; i < 100 && out.empty(); ++i) {
      pollfd fd{transport.wait_fd(), POLLIN, 0};
      poll(&fd, 1, 10);
      transport.Receive(out);
    }
    return out;
  }

  static absl::StatusOr<packet::ParsedReply> Parse(const ReceivedPacket& p) {
    return p.format == PacketFormat::kIpv4Packet
               ? packet::ParseIpv4Packet(p.bytes)
               : packet::ParseIcmpv6Message(p.bytes, p.source, p.destination);
  }

  void EchoOverLoopback(const IpAddress& loopback, bool unprivileged) {
    SocketPlan plan;
    plan.ipv4 = loopback.is_v4();
    plan.ipv6 = loopback.is_v6();
    plan.force_unprivileged = unprivileged;
    absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan);
    ASSERT_TRUE(sockets.ok()) << sockets.status();
    absl::StatusOr<std::unique_ptr<SocketTransport>> transport =
        SocketTransport::Create(*std::move(sockets));
    ASSERT_TRUE(transport.ok()) << transport.status();
    EXPECT_EQ((*transport)->capabilities().unprivileged, unprivileged);
    const uint16_t id = 0x4242;
    ASSERT_TRUE((*transport)->ClaimIcmpIdentifier(loopback.family(), id).ok());

    const std::vector<uint8_t> request = EchoRequest(loopback, loopback, id, 7);
    OutgoingProbe probe{.protocol = packet::ProbeProtocol::kIcmp,
                        .source = loopback,
                        .destination = loopback,
                        .ttl = 5,
                        .tos = 0,
                        .interface_index = 0,
                        .mark = 0,
                        .bytes = request};
    const MonoTime before = Now();
    absl::StatusOr<SendReport> sent = (*transport)->Send(probe);
    const MonoTime after = Now();
    ASSERT_TRUE(sent.ok()) << sent.status();
    EXPECT_GE(sent->sent_at, before);
    EXPECT_LE(sent->sent_at, after);
    EXPECT_EQ(sent->source, TimestampSource::kKernel);

    // Only the reply: our own request, which loopback also delivers, is filtered out (raw) or
    // never seen (datagram sockets).
    const std::vector<ReceivedPacket> packets = ReceiveSome(**transport);
    ASSERT_EQ(packets.size(), 1u);
    const ReceivedPacket& reply_packet = packets[0];
    EXPECT_EQ(reply_packet.format,
              loopback.is_v4() ? PacketFormat::kIpv4Packet : PacketFormat::kIcmpv6Message);
    EXPECT_EQ(reply_packet.source, loopback);
    EXPECT_EQ(reply_packet.destination, loopback);
    EXPECT_EQ(reply_packet.timestamp_source, TimestampSource::kKernel);
    EXPECT_GE(reply_packet.received_at, sent->sent_at);
    EXPECT_LT(reply_packet.received_at - sent->sent_at, absl::Milliseconds(100));
    absl::StatusOr<packet::ParsedReply> reply = Parse(reply_packet);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->kind, packet::ReplyKind::kEchoReply);
    EXPECT_EQ(reply->echo_id, id);
    EXPECT_EQ(reply->echo_sequence, 7);
    EXPECT_EQ((*transport)->timestamp_counters().send_kernel, 1u);
    EXPECT_EQ((*transport)->timestamp_counters().receive_kernel, 1u);
  }
};

TEST_F(TransportRootTest, RawEchoOverIpv4Loopback) { EchoOverLoopback(Addr("127.0.0.1"), false); }
TEST_F(TransportRootTest, RawEchoOverIpv6Loopback) { EchoOverLoopback(Addr("::1"), false); }

TEST_F(TransportRootTest, UnprivilegedEchoOverIpv4Loopback) {
  ASSERT_EQ(std::system("sysctl -qw net.ipv4.ping_group_range='0 2147483647'"), 0);
  EchoOverLoopback(Addr("127.0.0.1"), true);
}

TEST_F(TransportRootTest, UnprivilegedEchoOverIpv6Loopback) {
  ASSERT_EQ(std::system("sysctl -qw net.ipv4.ping_group_range='0 2147483647'"), 0);
  EchoOverLoopback(Addr("::1"), true);
}

TEST_F(TransportRootTest, UnprivilegedRefusedNamesTheSysctl) {
  ASSERT_EQ(std::system("sysctl -qw net.ipv4.ping_group_range='1 0'"), 0);
  SocketPlan plan;
  plan.force_unprivileged = true;
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan);
  ASSERT_FALSE(sockets.ok());
  EXPECT_EQ(sockets.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(sockets.status().message().find("ping_group_range is \"1\t0\""),
            absl::string_view::npos)
      << sockets.status().message();
}

TEST_F(TransportRootTest, UdpOnlyPlanWithoutRawSocketsFails) {
  SocketPlan plan;
  plan.icmp = false;
  plan.udp = true;
  plan.force_unprivileged = true;
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan);
  ASSERT_FALSE(sockets.ok());
  EXPECT_NE(sockets.status().message().find("CAP_NET_RAW"), absl::string_view::npos);
}

TEST_F(TransportRootTest, BadInterfaceIsAClearError) {
  SocketPlan plan;
  plan.interface = "nosuchif0";
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan);
  ASSERT_FALSE(sockets.ok());
  EXPECT_NE(sockets.status().message().find("nosuchif0"), absl::string_view::npos);
}

}  // namespace
}  // namespace pathpair::net
