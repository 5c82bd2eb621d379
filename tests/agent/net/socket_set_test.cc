// OpenSocketSet and the local-end lookups over a fake kernel: which sockets are opened with
// which options, the fallbacks, and the messages that name what is missing. (The same over real
// sockets, as root: socket_transport_root_test.cc.)
#include "agent/net/socket_set.h"

#include <errno.h>
#include <linux/net_tstamp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>

#include "agent/net/source_address.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/net/fake_sys_calls.h"

namespace pathpair::net {
namespace {

using ::testing::HasSubstr;

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

SocketPlan AllSockets() {
  SocketPlan plan;
  plan.ipv4 = true;
  plan.ipv6 = true;
  plan.icmp = true;
  plan.udp = true;
  plan.tcp = true;
  return plan;
}

TEST(SocketSetTest, RawPlanOpensEverySocketWithItsOptions) {
  FakeSysCalls kernel;
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(AllSockets(), kernel);
  ASSERT_TRUE(sockets.ok()) << sockets.status();
  EXPECT_EQ(sockets->mode, SocketMode::kRaw);
  EXPECT_EQ(sockets->sys, &kernel);
  EXPECT_EQ(sockets->icmp4.get(), kernel.FindSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  EXPECT_EQ(sockets->udp4.get(), kernel.FindSocket(AF_INET, SOCK_RAW, IPPROTO_UDP));
  EXPECT_EQ(sockets->tcp4.get(), kernel.FindSocket(AF_INET, SOCK_RAW, IPPROTO_TCP));
  EXPECT_EQ(sockets->icmp6.get(), kernel.FindSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
  EXPECT_EQ(sockets->udp6.get(), kernel.FindSocket(AF_INET6, SOCK_RAW, IPPROTO_UDP));
  EXPECT_EQ(sockets->tcp6.get(), kernel.FindSocket(AF_INET6, SOCK_RAW, IPPROTO_TCP));
  EXPECT_EQ(kernel.sockets_opened(), 6);

  // Software stamps both ways, send stamps paired by OPT_ID and carrying no packet.
  const int flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
                    SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
                    SOF_TIMESTAMPING_OPT_TSONLY;
  for (const FileDescriptor* fd : {&sockets->icmp4, &sockets->udp4, &sockets->tcp4, &sockets->icmp6,
                                   &sockets->udp6, &sockets->tcp6}) {
    EXPECT_EQ(kernel.IntOption(fd->get(), SOL_SOCKET, SO_TIMESTAMPING), flags);
    EXPECT_TRUE(kernel.HasOption(fd->get(), SOL_SOCKET, SO_RCVBUFFORCE));
  }
  // Receive filters: BPF on IPv4 ICMP, UDP and TCP, the ICMPv6 filter on ICMPv6.
  EXPECT_TRUE(kernel.HasOption(sockets->icmp4.get(), SOL_SOCKET, SO_ATTACH_FILTER));
  EXPECT_TRUE(kernel.HasOption(sockets->udp4.get(), SOL_SOCKET, SO_ATTACH_FILTER));
  EXPECT_TRUE(kernel.HasOption(sockets->tcp6.get(), SOL_SOCKET, SO_ATTACH_FILTER));
  EXPECT_TRUE(kernel.HasOption(sockets->icmp6.get(), IPPROTO_ICMPV6, ICMP6_FILTER));
  EXPECT_EQ(kernel.IntOption(sockets->icmp6.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO), 1);
  EXPECT_FALSE(kernel.HasOption(sockets->icmp4.get(), SOL_SOCKET, SO_BINDTODEVICE));
}

TEST(SocketSetTest, ClosingTheSetClosesItsSockets) {
  FakeSysCalls kernel;
  {
    absl::StatusOr<SocketSet> sockets = OpenSocketSet(AllSockets(), kernel);
    ASSERT_TRUE(sockets.ok());
    EXPECT_EQ(kernel.open_descriptors(), 6u);
  }
  EXPECT_EQ(kernel.open_descriptors(), 0u);
  EXPECT_EQ(kernel.bad_closes(), 0);
}

TEST(SocketSetTest, InterfaceAndMarkApplyToEverySocket) {
  FakeSysCalls kernel;
  SocketPlan plan = AllSockets();
  plan.interface = "eth1";
  plan.mark = 42;
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan, kernel);
  ASSERT_TRUE(sockets.ok());
  for (const FileDescriptor* fd : {&sockets->icmp4, &sockets->tcp6}) {
    EXPECT_TRUE(kernel.HasOption(fd->get(), SOL_SOCKET, SO_BINDTODEVICE));
    EXPECT_EQ(kernel.IntOption(fd->get(), SOL_SOCKET, SO_MARK), 42);
  }
}

TEST(SocketSetTest, BadInterfaceIsAClearError) {
  FakeSysCalls kernel;
  kernel.FailSetSockOpt(SOL_SOCKET, SO_BINDTODEVICE, ENODEV);
  SocketPlan plan;
  plan.interface = "nosuchif0";
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan, kernel);
  EXPECT_EQ(sockets.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sockets.status().message(), HasSubstr("nosuchif0"));
  EXPECT_EQ(kernel.open_descriptors(), 0u);
}

TEST(SocketSetTest, KernelWithoutSoTimestampingStillGetsReceiveStamps) {
  FakeSysCalls kernel;
  kernel.FailSetSockOpt(SOL_SOCKET, SO_TIMESTAMPING, EINVAL);
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(SocketPlan(), kernel);
  ASSERT_TRUE(sockets.ok());
  EXPECT_EQ(kernel.IntOption(sockets->icmp4.get(), SOL_SOCKET, SO_TIMESTAMPNS), 1);
}

TEST(SocketSetTest, DisabledIpv6IsLeftOut) {
  FakeSysCalls kernel;
  kernel.FailSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, EAFNOSUPPORT);
  SocketPlan plan;
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan, kernel);
  ASSERT_TRUE(sockets.ok());
  EXPECT_TRUE(sockets->icmp4.valid());
  EXPECT_FALSE(sockets->icmp6.valid());
}

TEST(SocketSetTest, WithoutCapNetRawFallsBackToUnprivilegedIcmp) {
  FakeSysCalls kernel;
  kernel.FailSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP, EPERM);
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(SocketPlan(), kernel);
  ASSERT_TRUE(sockets.ok()) << sockets.status();
  EXPECT_EQ(sockets->mode, SocketMode::kUnprivilegedIcmp);
  EXPECT_TRUE(sockets->unprivileged_ipv4);
  EXPECT_TRUE(sockets->unprivileged_ipv6);
  // The datagram sockets that tried the permission are closed again; they open per echo id.
  EXPECT_EQ(kernel.open_descriptors(), 0u);
}

TEST(SocketSetTest, UdpOnlyPlanWithoutCapNetRawNamesIt) {
  FakeSysCalls kernel;
  SocketPlan plan;
  plan.icmp = false;
  plan.udp = true;
  plan.force_unprivileged = true;
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan, kernel);
  EXPECT_EQ(sockets.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(sockets.status().message(), HasSubstr("CAP_NET_RAW"));
}

TEST(SocketSetTest, RefusedPingSocketsNameTheSysctl) {
  FakeSysCalls kernel;
  kernel.FailSocket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, EACCES);
  kernel.FailSocket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, EACCES);
  SocketPlan plan;
  plan.force_unprivileged = true;
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan, kernel);
  EXPECT_EQ(sockets.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(sockets.status().message(), HasSubstr("CAP_NET_RAW"));
  EXPECT_THAT(sockets.status().message(), HasSubstr("net.ipv4.ping_group_range"));
}

TEST(SocketSetTest, UnprivilegedSocketClaimsItsEchoIdentifier) {
  FakeSysCalls kernel;
  absl::StatusOr<FileDescriptor> fd =
      OpenUnprivilegedIcmpSocket(/*ipv6=*/false, 0x4242, SocketPlan(), kernel);
  ASSERT_TRUE(fd.ok()) << fd.status();
  const FakeSysCalls::FakeSocket* state = kernel.socket_state(fd->get());
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->type, SOCK_DGRAM);
  EXPECT_EQ(state->port, 0x4242);  // the ICMP datagram socket's "port" is the echo id
  EXPECT_EQ(kernel.IntOption(fd->get(), IPPROTO_IP, IP_RECVERR), 1);
  EXPECT_EQ(kernel.IntOption(fd->get(), IPPROTO_IP, IP_PKTINFO), 1);

  kernel.TakePort(0x4343);
  absl::StatusOr<FileDescriptor> taken =
      OpenUnprivilegedIcmpSocket(/*ipv6=*/true, 0x4343, SocketPlan(), kernel);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(taken.status().message(), HasSubstr("17219"));  // 0x4343
}

TEST(SourceAddressTest, AsksTheRoutingDecisionAndHonoursTheInterface) {
  FakeSysCalls kernel;
  kernel.SetRouteSource(Addr("198.51.100.42"));
  absl::StatusOr<IpAddress> source =
      FindSourceAddress(Addr("203.0.113.9"), std::nullopt, "eth1", kernel);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(*source, Addr("198.51.100.42"));
  EXPECT_EQ(kernel.sockets_opened(), 1);
  EXPECT_EQ(kernel.open_descriptors(), 0u);  // the lookup socket is closed again
}

TEST(SourceAddressTest, RequestedAddressIsBoundAndKept) {
  FakeSysCalls kernel;
  kernel.SetRouteSource(Addr("198.51.100.42"));
  absl::StatusOr<IpAddress> source =
      FindSourceAddress(Addr("203.0.113.9"), Addr("198.51.100.7"), "", kernel);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(*source, Addr("198.51.100.7"));

  absl::StatusOr<IpAddress> other_family =
      FindSourceAddress(Addr("203.0.113.9"), Addr("2001:db8::7"), "", kernel);
  EXPECT_EQ(other_family.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SourceAddressTest, NoRouteIsUnavailable) {
  FakeSysCalls kernel;
  kernel.FailConnect(ENETUNREACH);
  absl::StatusOr<IpAddress> source =
      FindSourceAddress(Addr("2001:db8::9"), std::nullopt, "", kernel);
  EXPECT_EQ(source.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(source.status().message(), HasSubstr("no route to 2001:db8::9"));
}

TEST(SourceAddressTest, InterfaceIndexByName) {
  FakeSysCalls kernel;
  kernel.AddInterface("eth1", 7);
  EXPECT_EQ(FindInterfaceIndex("eth1", kernel).value_or(0), 7u);
  absl::StatusOr<uint32_t> unknown = FindInterfaceIndex("no-such-if0", kernel);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("no-such-if0"));
  EXPECT_FALSE(FindInterfaceIndex("", kernel).ok());
}

}  // namespace
}  // namespace pathpair::net
