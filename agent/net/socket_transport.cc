#include "agent/net/socket_transport.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/net/kernel_timestamp.h"
#include "agent/net/rebuilt_packets.h"
#include "common/status/status_macros.h"

namespace pathpair::net {
namespace {

using internal::Message;
using packet::ProbeProtocol;

// Software receive stamps are taken when a packet enters the stack (for veth and loopback:
// when it is queued to the per-CPU backlog), before the softirq that delivers it to the socket
// runs. On a loaded machine that can be milliseconds, so a genuine stamp may precede the moment
// we last saw the socket's queue empty. Wall-clock steps smaller than this slack go undetected
// (NTP slews such small corrections rather than stepping).
constexpr absl::Duration kQueueingSlack = absl::Milliseconds(100);
// Bounds the work per socket per Receive so that one flooded socket cannot starve the others.
constexpr int kMaxReadsPerSocket = 512;
constexpr size_t kReceiveBufferSize = 4096;
// Stale send stamps (from sends whose stamp came late) are skipped up to this many per send.
constexpr int kMaxErrorQueueReadsPerSend = 16;

MonoTime MonoNow() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return MonoTime::FromTimespec(ts);
}

std::string ErrnoText(int err) { return absl::StrCat(std::strerror(err), " (errno ", err, ")"); }

uint32_t UnprivilegedKey(IpFamily family, uint16_t echo_id) {
  return (family == IpFamily::kV6 ? 1u << 16 : 0u) | echo_id;
}

}  // namespace

namespace internal {
// One message as recvmsg returned it, with the ancillary data pathpair uses.
struct Message {
  std::vector<uint8_t> data;
  std::optional<IpAddress> from;
  std::optional<IpAddress> packet_destination;  // IP_PKTINFO / IPV6_PKTINFO
  std::optional<absl::Time> kernel_stamp;
  std::optional<sock_extended_err> extended_error;
  std::optional<IpAddress> offender;
  ClockOffset offset;  // sampled right after recvmsg returned
};
}  // namespace internal

namespace {

enum class ReadResult { kMessage, kEmpty, kError };

ReadResult ReadMessage(int fd, bool error_queue, Message& message) {
  uint8_t buffer[kReceiveBufferSize];
  alignas(cmsghdr) uint8_t control[512];
  sockaddr_storage from{};
  iovec iov{buffer, sizeof(buffer)};
  msghdr header{};
  header.msg_name = &from;
  header.msg_namelen = sizeof(from);
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof(control);
  const ssize_t n = recvmsg(fd, &header, MSG_DONTWAIT | (error_queue ? MSG_ERRQUEUE : 0));
  message.offset = SampleClockOffset();
  if (n < 0)
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? ReadResult::kEmpty : ReadResult::kError;
  message.data.assign(buffer, buffer + n);
  if (header.msg_namelen > 0) {
    absl::StatusOr<IpAddress> address =
        IpAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&from), header.msg_namelen);
    if (address.ok()) message.from = *address;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
    const uint8_t* data = CMSG_DATA(c);
    const size_t data_len = c->cmsg_len - CMSG_LEN(0);
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING &&
        data_len >= sizeof(timespec)) {
      timespec software;
      std::memcpy(&software, data, sizeof(software));  // ts[0] is the software stamp
      message.kernel_stamp = KernelStampFromTimespec(software);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS &&
               data_len >= sizeof(timespec)) {
      timespec stamp;
      std::memcpy(&stamp, data, sizeof(stamp));
      message.kernel_stamp = KernelStampFromTimespec(stamp);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
               data_len >= sizeof(in_pktinfo)) {
      in_pktinfo info;
      std::memcpy(&info, data, sizeof(info));
      message.packet_destination = IpAddress::V4(ntohl(info.ipi_addr.s_addr));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               data_len >= sizeof(in6_pktinfo)) {
      in6_pktinfo info;
      std::memcpy(&info, data, sizeof(info));
      message.packet_destination = IpAddress::V6Bytes(
          std::span<const uint8_t, 16>(reinterpret_cast<const uint8_t*>(&info.ipi6_addr), 16));
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
      if (data_len < sizeof(sock_extended_err)) continue;
      sock_extended_err ee;
      std::memcpy(&ee, data, sizeof(ee));
      message.extended_error = ee;
      // The offender's sockaddr follows the structure (SO_EE_OFFENDER).
      const size_t offender_len = data_len - sizeof(sock_extended_err);
      if (offender_len >= sizeof(sockaddr_in)) {
        sockaddr_storage offender{};
        std::memcpy(&offender, data + sizeof(sock_extended_err),
                    std::min(offender_len, sizeof(offender)));
        absl::StatusOr<IpAddress> address = IpAddress::FromSockaddr(
            reinterpret_cast<const sockaddr*>(&offender),
            static_cast<socklen_t>(std::min(offender_len, sizeof(offender))));
        if (address.ok()) message.offender = *address;
      }
    }
  }
  return ReadResult::kMessage;
}

// Reads and clears the socket's pending asynchronous error (SO_ERROR); returns it (0: none).
int ClearPendingSocketError(int fd) {
  int error = 0;
  socklen_t len = sizeof(error);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return 0;
  return error;
}

bool IsSendStamp(const Message& message) {
  return message.extended_error.has_value() &&
         message.extended_error->ee_origin == SO_EE_ORIGIN_TIMESTAMPING;
}

// Linux switches receive timestamping on for the whole system lazily: the first socket that
// asks for it schedules a work item, and until that has run, packets arrive unstamped (so the
// first round of a fresh process would fall back to user-space times). This waits, up to
// `max_wait`, until a datagram sent to ourselves over loopback comes back stamped. Without a
// usable loopback it just waits a little.
void AwaitReceiveTimestamps(absl::Duration max_wait) {
  const MonoTime deadline = MonoNow() + max_wait;
  FileDescriptor fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const int flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE;
  sockaddr_in self{};
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t self_len = sizeof(self);
  if (!fd.valid() || setsockopt(fd.get(), SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) ||
      bind(fd.get(), reinterpret_cast<sockaddr*>(&self), sizeof(self)) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&self), &self_len) != 0) {
    absl::SleepFor(absl::Milliseconds(20));
    return;
  }
  while (MonoNow() < deadline) {
    const char ping = 0;
    if (sendto(fd.get(), &ping, 1, 0, reinterpret_cast<sockaddr*>(&self), sizeof(self)) != 1) {
      absl::SleepFor(absl::Milliseconds(20));
      return;
    }
    absl::SleepFor(absl::Microseconds(200));
    Message message;
    while (ReadMessage(fd.get(), /*error_queue=*/false, message) == ReadResult::kMessage) {
      if (message.kernel_stamp.has_value()) return;
    }
  }
}

}  // namespace

SocketTransport::SocketTransport(SocketSet sockets) : sockets_(std::move(sockets)) {}

absl::StatusOr<std::unique_ptr<SocketTransport>> SocketTransport::Create(SocketSet sockets) {
  std::unique_ptr<SocketTransport> transport(new SocketTransport(std::move(sockets)));
  transport->epoll_ = FileDescriptor(epoll_create1(EPOLL_CLOEXEC));
  if (!transport->epoll_.valid()) {
    return absl::InternalError(absl::StrCat("epoll_create1: ", ErrnoText(errno)));
  }
  transport->pending_event_ = FileDescriptor(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!transport->pending_event_.valid()) {
    return absl::InternalError(absl::StrCat("eventfd: ", ErrnoText(errno)));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = transport->pending_event_.get();
  if (epoll_ctl(transport->epoll_.get(), EPOLL_CTL_ADD, event.data.fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl: ", ErrnoText(errno)));
  }
  SocketSet& s = transport->sockets_;
  const std::pair<const FileDescriptor*, Role> sockets_and_roles[] = {
      {&s.icmp4, Role::kRawIpv4},   {&s.tcp4, Role::kRawIpv4},  {&s.udp4, Role::kSendOnly},
      {&s.icmp6, Role::kRawIcmpv6}, {&s.tcp6, Role::kRawTcpv6}, {&s.udp6, Role::kSendOnly},
  };
  for (const auto& [fd, role] : sockets_and_roles) {
    if (fd->valid()) PATHPAIR_RETURN_IF_ERROR(transport->Watch(fd->get(), role));
  }
  AwaitReceiveTimestamps(absl::Milliseconds(100));
  return transport;
}

absl::Status SocketTransport::Watch(int fd, Role role) {
  epoll_event event{};
  event.events = EPOLLIN;  // EPOLLERR (error queue not empty) is always reported
  event.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl: ", ErrnoText(errno)));
  }
  Watched watched;
  watched.role = role;
  watched.last_empty = MonoNow();
  watched.last_error_queue_empty = watched.last_empty;
  watched_[fd] = watched;
  return absl::OkStatus();
}

void SocketTransport::Unwatch(int fd) {
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  watched_.erase(fd);
}

TransportCapabilities SocketTransport::capabilities() const {
  TransportCapabilities caps;
  if (sockets_.mode == SocketMode::kUnprivilegedIcmp) {
    caps.ipv4 = sockets_.unprivileged_ipv4;
    caps.ipv6 = sockets_.unprivileged_ipv6;
    caps.icmp = true;
    caps.unprivileged = true;
    return caps;
  }
  caps.ipv4 = sockets_.icmp4.valid();
  caps.ipv6 = sockets_.icmp6.valid();
  caps.icmp = sockets_.plan.icmp && (caps.ipv4 || caps.ipv6);
  caps.udp = sockets_.udp4.valid() || sockets_.udp6.valid();
  caps.tcp = sockets_.tcp4.valid() || sockets_.tcp6.valid();
  return caps;
}

absl::Status SocketTransport::ClaimIcmpIdentifier(IpFamily family, uint16_t echo_id) {
  if (sockets_.mode != SocketMode::kUnprivilegedIcmp) return absl::OkStatus();
  const uint32_t key = UnprivilegedKey(family, echo_id);
  if (unprivileged_.contains(key)) return absl::OkStatus();
  PATHPAIR_ASSIGN_OR_RETURN(FileDescriptor fd, OpenUnprivilegedIcmpSocket(family == IpFamily::kV6,
                                                                          echo_id, sockets_.plan));
  PATHPAIR_RETURN_IF_ERROR(
      Watch(fd.get(), family == IpFamily::kV6 ? Role::kUnprivileged6 : Role::kUnprivileged4));
  unprivileged_[key] = std::move(fd);
  return absl::OkStatus();
}

void SocketTransport::ReleaseIcmpIdentifier(IpFamily family, uint16_t echo_id) {
  auto it = unprivileged_.find(UnprivilegedKey(family, echo_id));
  if (it == unprivileged_.end()) return;
  Unwatch(it->second.get());
  unprivileged_.erase(it);  // closes the socket
}

absl::StatusOr<int> SocketTransport::SendSocketFor(const OutgoingProbe& probe) {
  const bool v6 = probe.destination.is_v6();
  if (sockets_.mode == SocketMode::kUnprivilegedIcmp) {
    if (probe.protocol != ProbeProtocol::kIcmp) {
      return absl::FailedPreconditionError(
          "UDP and TCP probes need raw sockets (CAP_NET_RAW); only ICMP works unprivileged");
    }
    if (probe.bytes.size() < 8) return absl::InvalidArgumentError("ICMP probe too short");
    const uint16_t echo_id = static_cast<uint16_t>((probe.bytes[4] << 8) | probe.bytes[5]);
    PATHPAIR_RETURN_IF_ERROR(ClaimIcmpIdentifier(probe.destination.family(), echo_id));
    return unprivileged_[UnprivilegedKey(probe.destination.family(), echo_id)].get();
  }
  const FileDescriptor* fd = nullptr;
  switch (probe.protocol) {
    case ProbeProtocol::kIcmp:
      fd = v6 ? &sockets_.icmp6 : &sockets_.icmp4;
      break;
    case ProbeProtocol::kUdp:
      fd = v6 ? &sockets_.udp6 : &sockets_.udp4;
      break;
    case ProbeProtocol::kTcp:
      fd = v6 ? &sockets_.tcp6 : &sockets_.tcp4;
      break;
  }
  if (fd == nullptr || !fd->valid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no socket was opened for this protocol over ", v6 ? "IPv6" : "IPv4"));
  }
  return fd->get();
}

absl::StatusOr<SendReport> SocketTransport::Send(const OutgoingProbe& probe) {
  if (probe.source.family() != probe.destination.family() && !probe.source.IsUnspecified()) {
    return absl::InvalidArgumentError("source and destination families differ");
  }
  PATHPAIR_ASSIGN_OR_RETURN(const int fd, SendSocketFor(probe));
  Watched& watched = watched_[fd];
  if (!probe.source.IsUnspecified()) watched.local = probe.source;

  sockaddr_storage destination{};
  const socklen_t destination_len = probe.destination.ToSockaddr(0, &destination);
  alignas(cmsghdr) uint8_t control[2 * CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(in6_pktinfo)) +
                                   CMSG_SPACE(sizeof(uint32_t))];
  std::memset(control, 0, sizeof(control));
  iovec iov{const_cast<uint8_t*>(probe.bytes.data()), probe.bytes.size()};
  msghdr header{};
  header.msg_name = &destination;
  header.msg_namelen = destination_len;
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof(control);

  // TTL, TOS and source ride along with each packet, so one socket serves every trace.
  const bool v6 = probe.destination.is_v6();
  cmsghdr* c = CMSG_FIRSTHDR(&header);
  const int ttl = probe.ttl;
  c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  c->cmsg_type = v6 ? IPV6_HOPLIMIT : IP_TTL;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &ttl, sizeof(ttl));
  size_t used = CMSG_SPACE(sizeof(int));
  c = CMSG_NXTHDR(&header, c);
  const int tos = probe.tos;
  c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  c->cmsg_type = v6 ? IPV6_TCLASS : IP_TOS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &tos, sizeof(tos));
  used += CMSG_SPACE(sizeof(int));
  if (!probe.source.IsUnspecified() || probe.interface_index != 0) {
    c = CMSG_NXTHDR(&header, c);
    if (v6) {
      in6_pktinfo info{};
      if (!probe.source.IsUnspecified()) {
        std::memcpy(&info.ipi6_addr, probe.source.bytes().data(), 16);
      }
      info.ipi6_ifindex = probe.interface_index;
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(info));
      std::memcpy(CMSG_DATA(c), &info, sizeof(info));
      used += CMSG_SPACE(sizeof(info));
    } else {
      in_pktinfo info{};
      info.ipi_spec_dst.s_addr = htonl(probe.source.v4_host_order());
      info.ipi_ifindex = static_cast<int>(probe.interface_index);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(info));
      std::memcpy(CMSG_DATA(c), &info, sizeof(info));
      used += CMSG_SPACE(sizeof(info));
    }
  }
  // A mark the sockets do not already carry (SocketPlan::mark) goes on the packet itself.
  if (probe.mark != 0 && probe.mark != sockets_.plan.mark) {
    c = CMSG_NXTHDR(&header, c);
    const uint32_t mark = probe.mark;
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SO_MARK;
    c->cmsg_len = CMSG_LEN(sizeof(mark));
    std::memcpy(CMSG_DATA(c), &mark, sizeof(mark));
    used += CMSG_SPACE(sizeof(mark));
  }
  header.msg_controllen = used;

  const bool unprivileged = sockets_.mode == SocketMode::kUnprivilegedIcmp;
  // An ICMP datagram socket with IP_RECVERR also records each ICMP error (the Time Exceeded we
  // are after) as a pending socket error, which would fail the next send. Clear it first, and
  // retry once if one arrived in between.
  if (unprivileged) ClearPendingSocketError(fd);
  MonoTime before = MonoNow();
  ssize_t sent = sendmsg(fd, &header, 0);
  if (sent < 0 && unprivileged && ClearPendingSocketError(fd) != 0) {
    before = MonoNow();
    sent = sendmsg(fd, &header, 0);
  }
  if (sent < 0) {
    const int err = errno;
    return absl::UnavailableError(
        absl::StrCat("send to ", probe.destination.ToString(), ": ", ErrnoText(err)));
  }
  const ClockOffset offset = SampleClockOffset();
  const MonoTime after_send = offset.mono_before;
  const std::optional<absl::Time> stamp = TakeSendStamp(fd, watched);
  const MappedTime mapped = MapSendTimestamp(stamp, offset, before, MonoNow());
  (mapped.from_kernel ? counters_.send_kernel : counters_.send_user)++;
  if (mapped.from_kernel) counters_.send_kernel_lead += after_send - mapped.time;
  return SendReport{mapped.time,
                    mapped.from_kernel ? TimestampSource::kKernel : TimestampSource::kUserSpace};
}

std::optional<absl::Time> SocketTransport::TakeSendStamp(int fd, Watched& watched) {
  const uint32_t expected = watched.next_send_id++;
  for (int i = 0; i < kMaxErrorQueueReadsPerSend; ++i) {
    Message message;
    if (ReadMessage(fd, /*error_queue=*/true, message) != ReadResult::kMessage) break;
    if (!IsSendStamp(message)) {
      // An ICMP error for an unprivileged socket: keep it for the next Receive.
      std::vector<ReceivedPacket> converted;
      ConvertErrorQueueMessage(watched, std::move(message), converted);
      if (!converted.empty()) {
        for (ReceivedPacket& p : converted) pending_.push_back(std::move(p));
        SignalPending();
      }
      continue;
    }
    const uint32_t id = message.extended_error->ee_data;
    // Wrap-safe: a stamp of an earlier send (late) is skipped; a later id means our count slipped.
    if (static_cast<int32_t>(id - expected) < 0) continue;
    watched.next_send_id = id + 1;
    return message.kernel_stamp;
  }
  return std::nullopt;
}

void SocketTransport::SignalPending() {
  const uint64_t one = 1;
  (void)!write(pending_event_.get(), &one, sizeof(one));
}

void SocketTransport::StampReceived(const Message& message, MonoTime queue_empty_at,
                                    ReceivedPacket& packet) {
  const MappedTime mapped =
      MapKernelTimestamp(message.kernel_stamp, message.offset, queue_empty_at - kQueueingSlack,
                         message.offset.mono_after, message.offset.mono_after);
  packet.received_at = mapped.time;
  packet.timestamp_source =
      mapped.from_kernel ? TimestampSource::kKernel : TimestampSource::kUserSpace;
  (mapped.from_kernel ? counters_.receive_kernel : counters_.receive_user)++;
  if (!message.kernel_stamp.has_value()) ++counters_.receive_unstamped;
  if (mapped.from_kernel) {
    counters_.receive_kernel_lead += message.offset.mono_after - mapped.time;
  }
}

void SocketTransport::ConvertErrorQueueMessage(Watched& watched, Message&& message,
                                               std::vector<ReceivedPacket>& out) {
  if (!message.extended_error.has_value() || !message.offender.has_value() ||
      !message.from.has_value()) {
    return;
  }
  const sock_extended_err& ee = *message.extended_error;
  const bool v4 = watched.role == Role::kUnprivileged4 && ee.ee_origin == SO_EE_ORIGIN_ICMP;
  const bool v6 = watched.role == Role::kUnprivileged6 && ee.ee_origin == SO_EE_ORIGIN_ICMP6;
  if (!v4 && !v6) return;
  const IpAddress local = message.packet_destination.value_or(watched.local);
  ReceivedPacket packet;
  packet.source = *message.offender;
  packet.destination = local;
  // For errors, msg_name holds the destination of the probe the router quoted.
  if (v4) {
    packet.format = PacketFormat::kIpv4Packet;
    packet.bytes = RebuildIpv4IcmpError(ee.ee_type, ee.ee_code, *message.offender, local,
                                        *message.from, message.data);
  } else {
    packet.format = PacketFormat::kIcmpv6Message;
    packet.bytes = RebuildIcmpv6Error(ee.ee_type, ee.ee_code, *message.offender, local,
                                      *message.from, message.data);
  }
  StampReceived(message, watched.last_error_queue_empty, packet);
  out.push_back(std::move(packet));
}

void SocketTransport::ConvertMessage(Watched& watched, Message&& message,
                                     std::vector<ReceivedPacket>& out) {
  ReceivedPacket packet;
  const IpAddress from = message.from.value_or(IpAddress());
  switch (watched.role) {
    case Role::kSendOnly:
      return;
    case Role::kRawIpv4:
      if (message.data.size() < 20) return;
      packet.format = PacketFormat::kIpv4Packet;
      packet.source = from;
      packet.destination = IpAddress::V4Bytes(std::span<const uint8_t, 4>(&message.data[16], 4));
      packet.bytes = std::move(message.data);
      break;
    case Role::kRawIcmpv6:
    case Role::kRawTcpv6:
      packet.format = watched.role == Role::kRawIcmpv6 ? PacketFormat::kIcmpv6Message
                                                       : PacketFormat::kTcpSegmentV6;
      packet.source = from;
      packet.destination = message.packet_destination.value_or(IpAddress::Any(IpFamily::kV6));
      packet.bytes = std::move(message.data);
      break;
    case Role::kUnprivileged4:
      packet.format = PacketFormat::kIpv4Packet;
      packet.source = from;
      packet.destination = message.packet_destination.value_or(watched.local);
      packet.bytes = RebuildIpv4Packet(packet.source, packet.destination, message.data);
      break;
    case Role::kUnprivileged6:
      packet.format = PacketFormat::kIcmpv6Message;
      packet.source = from;
      packet.destination = message.packet_destination.value_or(watched.local);
      packet.bytes = std::move(message.data);
      break;
  }
  StampReceived(message, watched.last_empty, packet);
  out.push_back(std::move(packet));
}

void SocketTransport::DrainSocket(int fd, Watched& watched, bool error_queue,
                                  std::vector<ReceivedPacket>& out) {
  for (int i = 0; i < kMaxReadsPerSocket; ++i) {
    const MonoTime before = MonoNow();
    Message message;
    const ReadResult result = ReadMessage(fd, error_queue, message);
    if (result == ReadResult::kEmpty) {
      (error_queue ? watched.last_error_queue_empty : watched.last_empty) = before;
      return;
    }
    // A pending asynchronous error (unprivileged sockets) is reported once by recvmsg, which
    // clears it; the queue behind it is still there.
    if (result == ReadResult::kError) continue;
    if (error_queue) {
      if (!IsSendStamp(message)) ConvertErrorQueueMessage(watched, std::move(message), out);
    } else {
      ConvertMessage(watched, std::move(message), out);
    }
  }
}

void SocketTransport::Receive(std::vector<ReceivedPacket>& out) {
  if (!pending_.empty()) {
    for (ReceivedPacket& p : pending_) out.push_back(std::move(p));
    pending_.clear();
  }
  uint64_t ignored;
  (void)!read(pending_event_.get(), &ignored, sizeof(ignored));
  epoll_event events[64];
  int rounds = 0;
  for (;;) {
    const int n = epoll_wait(epoll_.get(), events, 64, 0);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      auto it = watched_.find(fd);
      if (it == watched_.end()) continue;  // the eventfd, handled above
      if (events[i].events & EPOLLIN) DrainSocket(fd, it->second, false, out);
      if (events[i].events & EPOLLERR) DrainSocket(fd, it->second, true, out);
    }
    if (n < 64) return;
    if (++rounds == 4) return;  // the rest waits for the next call
  }
}

}  // namespace pathpair::net
