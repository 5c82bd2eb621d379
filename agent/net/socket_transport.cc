#include "agent/net/socket_transport.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/net/control_message.h"
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
constexpr size_t kReceiveControlSize = 512;
// Stale send stamps (from sends whose stamp came late) are skipped up to this many per send.
constexpr int kMaxErrorQueueReadsPerSend = 16;
// What a probe's ancillary data can take: TTL, TOS, PKTINFO (the larger, IPv6 one) and a mark.
constexpr size_t kSendControlSize = 2 * ControlSpace(sizeof(int)) +
                                    ControlSpace(sizeof(in6_pktinfo)) +
                                    ControlSpace(sizeof(uint32_t));
constexpr int kMaxEpollEvents = 64;

uint32_t UnprivilegedKey(IpFamily family, uint16_t echo_id) {
  return (family == IpFamily::kV6 ? 1u << 16 : 0u) | echo_id;
}

// TTL, TOS and source ride along with each packet (ancillary data), so one socket serves every
// trace. A mark the sockets do not already carry (SocketPlan::mark) goes on the packet too.
void WriteProbeControl(const OutgoingProbe& probe, uint32_t socket_mark,
                       ControlMessageWriter& writer) {
  const bool v6 = probe.destination.is_v6();
  const int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  writer.Add(level, v6 ? IPV6_HOPLIMIT : IP_TTL, int{probe.ttl});
  writer.Add(level, v6 ? IPV6_TCLASS : IP_TOS, int{probe.tos});
  if (!probe.source.IsUnspecified() || probe.interface_index != 0) {
    if (v6) {
      in6_pktinfo info{};
      if (!probe.source.IsUnspecified()) {
        std::memcpy(&info.ipi6_addr, probe.source.bytes().data(), sizeof(info.ipi6_addr));
      }
      info.ipi6_ifindex = probe.interface_index;
      writer.Add(IPPROTO_IPV6, IPV6_PKTINFO, info);
    } else {
      in_pktinfo info{};
      info.ipi_spec_dst.s_addr = htonl(probe.source.v4_host_order());
      info.ipi_ifindex = static_cast<int>(probe.interface_index);
      writer.Add(IPPROTO_IP, IP_PKTINFO, info);
    }
  }
  if (probe.mark != 0 && probe.mark != socket_mark) writer.Add(SOL_SOCKET, SO_MARK, probe.mark);
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

// Fills `message` from the control messages pathpair asks for: receive or send timestamps, the
// packet's destination, and the extended error (with its offender) of error-queue entries.
void ReadControlMessages(const msghdr& header, Message& message) {
  ControlMessageReader reader(header);
  while (std::optional<ControlMessage> c = reader.Next()) {
    if (c->Is(SOL_SOCKET, SO_TIMESTAMPING) || c->Is(SOL_SOCKET, SO_TIMESTAMPNS)) {
      // SO_TIMESTAMPING carries three stamps; the first is the software one.
      if (const std::optional<timespec> stamp = c->As<timespec>()) {
        message.kernel_stamp = KernelStampFromTimespec(*stamp);
      }
    } else if (c->Is(IPPROTO_IP, IP_PKTINFO)) {
      if (const std::optional<in_pktinfo> info = c->As<in_pktinfo>()) {
        message.packet_destination = IpAddress::V4(ntohl(info->ipi_addr.s_addr));
      }
    } else if (c->Is(IPPROTO_IPV6, IPV6_PKTINFO)) {
      if (const std::optional<in6_pktinfo> info = c->As<in6_pktinfo>()) {
        message.packet_destination = IpAddress::V6Bytes(
            std::span<const uint8_t, 16>(reinterpret_cast<const uint8_t*>(&info->ipi6_addr), 16));
      }
    } else if (c->Is(IPPROTO_IP, IP_RECVERR) || c->Is(IPPROTO_IPV6, IPV6_RECVERR)) {
      message.extended_error = c->As<sock_extended_err>();
      if (!message.extended_error.has_value()) continue;
      // The offender's sockaddr follows the structure (SO_EE_OFFENDER).
      const std::span<const uint8_t> offender = c->data.subspan(sizeof(sock_extended_err));
      if (offender.size() < sizeof(sockaddr_in)) continue;
      sockaddr_storage address{};
      const size_t length = std::min(offender.size(), sizeof(address));
      std::memcpy(&address, offender.data(), length);
      absl::StatusOr<IpAddress> parsed = IpAddress::FromSockaddr(
          reinterpret_cast<const sockaddr*>(&address), static_cast<socklen_t>(length));
      if (parsed.ok()) message.offender = *parsed;
    }
  }
}

// Whether every address is of `family`. recvmsg's addresses come from the kernel, but the
// rebuilt headers have room for one family only, so a message that mixes them is dropped rather
// than trusted (found by tests/fuzz/socket_message).
bool AllOfFamily(IpFamily family, std::initializer_list<IpAddress> addresses) {
  return std::all_of(addresses.begin(), addresses.end(),
                     [family](const IpAddress& a) { return a.family() == family; });
}

enum class ReadResult { kMessage, kEmpty, kError };

ReadResult ReadMessage(OsSysCalls& sys, int fd, bool error_queue, Message& message) {
  uint8_t buffer[kReceiveBufferSize];
  ControlBuffer<kReceiveControlSize> control;
  sockaddr_storage from{};
  iovec iov{buffer, sizeof(buffer)};
  msghdr header{};
  header.msg_name = &from;
  header.msg_namelen = sizeof(from);
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  header.msg_control = control.bytes;
  header.msg_controllen = sizeof(control.bytes);
  const SysCallSizeResult n =
      sys.RecvMsg(fd, &header, MSG_DONTWAIT | (error_queue ? MSG_ERRQUEUE : 0));
  message.offset = SampleClockOffset(sys);
  if (n.value < 0) {
    return (n.error == EAGAIN || n.error == EWOULDBLOCK) ? ReadResult::kEmpty : ReadResult::kError;
  }
  message.data.assign(buffer,
                      buffer + std::min<size_t>(static_cast<size_t>(n.value), sizeof(buffer)));
  if (header.msg_namelen > 0) {
    absl::StatusOr<IpAddress> address =
        IpAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&from), header.msg_namelen);
    if (address.ok()) message.from = *address;
  }
  ReadControlMessages(header, message);
  return ReadResult::kMessage;
}

// Reads and clears the socket's pending asynchronous error (SO_ERROR); returns it (0: none).
int ClearPendingSocketError(OsSysCalls& sys, int fd) {
  int error = 0;
  socklen_t len = sizeof(error);
  if (sys.GetSockOpt(fd, SOL_SOCKET, SO_ERROR, &error, &len).value != 0) return 0;
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
void AwaitReceiveTimestamps(OsSysCalls& sys, absl::Duration max_wait) {
  constexpr absl::Duration kWithoutLoopback = absl::Milliseconds(20);
  const MonoTime deadline = MonotonicNow(sys) + max_wait;
  const SysCallIntResult opened = sys.Socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (opened.value < 0) {
    sys.SleepFor(kWithoutLoopback);
    return;
  }
  FileDescriptor fd(opened.value, sys);
  const int flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE;
  sockaddr_in self{};
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t self_len = sizeof(self);
  if (sys.SetSockOpt(fd.get(), SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)).value != 0 ||
      sys.Bind(fd.get(), reinterpret_cast<sockaddr*>(&self), sizeof(self)).value != 0 ||
      sys.GetSockName(fd.get(), reinterpret_cast<sockaddr*>(&self), &self_len).value != 0) {
    sys.SleepFor(kWithoutLoopback);
    return;
  }
  char ping = 0;
  iovec iov{&ping, 1};
  msghdr to_self{};
  to_self.msg_name = &self;
  to_self.msg_namelen = self_len;
  to_self.msg_iov = &iov;
  to_self.msg_iovlen = 1;
  while (MonotonicNow(sys) < deadline) {
    if (sys.SendMsg(fd.get(), &to_self, 0).value != 1) {
      sys.SleepFor(kWithoutLoopback);
      return;
    }
    sys.SleepFor(absl::Microseconds(200));
    for (;;) {
      Message message;
      if (ReadMessage(sys, fd.get(), /*error_queue=*/false, message) != ReadResult::kMessage) break;
      if (message.kernel_stamp.has_value()) return;
    }
  }
}

}  // namespace

SocketTransport::SocketTransport(SocketSet sockets)
    : sys_(*sockets.sys), sockets_(std::move(sockets)) {}

absl::StatusOr<std::unique_ptr<SocketTransport>> SocketTransport::Create(SocketSet sockets) {
  std::unique_ptr<SocketTransport> transport(new SocketTransport(std::move(sockets)));
  OsSysCalls& sys = transport->sys_;
  const SysCallIntResult epoll = sys.EpollCreate(EPOLL_CLOEXEC);
  if (epoll.value < 0) {
    return absl::InternalError(absl::StrCat("epoll_create1: ", ErrnoText(epoll.error)));
  }
  transport->epoll_ = FileDescriptor(epoll.value, sys);
  const SysCallIntResult pending_event = sys.EventFd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (pending_event.value < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", ErrnoText(pending_event.error)));
  }
  transport->pending_event_ = FileDescriptor(pending_event.value, sys);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = transport->pending_event_.get();
  const SysCallIntResult added =
      sys.EpollCtl(transport->epoll_.get(), EPOLL_CTL_ADD, event.data.fd, &event);
  if (added.value != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl: ", ErrnoText(added.error)));
  }
  SocketSet& s = transport->sockets_;
  const std::pair<const FileDescriptor*, Role> sockets_and_roles[] = {
      {&s.icmp4, Role::kRawIpv4},   {&s.tcp4, Role::kRawIpv4},  {&s.udp4, Role::kSendOnly},
      {&s.icmp6, Role::kRawIcmpv6}, {&s.tcp6, Role::kRawTcpv6}, {&s.udp6, Role::kSendOnly},
  };
  for (const auto& [fd, role] : sockets_and_roles) {
    if (fd->valid()) PATHPAIR_RETURN_IF_ERROR(transport->Watch(fd->get(), role));
  }
  AwaitReceiveTimestamps(sys, absl::Milliseconds(100));
  return transport;
}

absl::Status SocketTransport::Watch(int fd, Role role) {
  epoll_event event{};
  event.events = EPOLLIN;  // EPOLLERR (error queue not empty) is always reported
  event.data.fd = fd;
  const SysCallIntResult added = sys_.EpollCtl(epoll_.get(), EPOLL_CTL_ADD, fd, &event);
  if (added.value != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl: ", ErrnoText(added.error)));
  }
  Watched watched;
  watched.role = role;
  watched.last_empty = MonotonicNow(sys_);
  watched.last_error_queue_empty = watched.last_empty;
  watched_[fd] = watched;
  return absl::OkStatus();
}

void SocketTransport::Unwatch(int fd) {
  sys_.EpollCtl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
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
  PATHPAIR_ASSIGN_OR_RETURN(
      FileDescriptor fd,
      OpenUnprivilegedIcmpSocket(family == IpFamily::kV6, echo_id, sockets_.plan, sys_));
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
  ControlBuffer<kSendControlSize> control;
  ControlMessageWriter writer(control.bytes);
  WriteProbeControl(probe, sockets_.plan.mark, writer);
  iovec iov{const_cast<uint8_t*>(probe.bytes.data()), probe.bytes.size()};
  msghdr header{};
  header.msg_name = &destination;
  header.msg_namelen = destination_len;
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  writer.AttachTo(header);

  const bool unprivileged = sockets_.mode == SocketMode::kUnprivilegedIcmp;
  // An ICMP datagram socket with IP_RECVERR also records each ICMP error (the Time Exceeded we
  // are after) as a pending socket error, which would fail the next send. Clear it first, and
  // retry once if one arrived in between.
  if (unprivileged) ClearPendingSocketError(sys_, fd);
  MonoTime before = MonotonicNow(sys_);
  SysCallSizeResult sent = sys_.SendMsg(fd, &header, 0);
  if (sent.value < 0 && unprivileged && ClearPendingSocketError(sys_, fd) != 0) {
    before = MonotonicNow(sys_);
    sent = sys_.SendMsg(fd, &header, 0);
  }
  if (sent.value < 0) {
    return absl::UnavailableError(
        absl::StrCat("send to ", probe.destination.ToString(), ": ", ErrnoText(sent.error)));
  }
  const ClockOffset offset = SampleClockOffset(sys_);
  const MonoTime after_send = offset.mono_before;
  const std::optional<absl::Time> stamp = TakeSendStamp(fd, watched);
  const MappedTime mapped = MapSendTimestamp(stamp, offset, before, MonotonicNow(sys_));
  (mapped.from_kernel ? counters_.send_kernel : counters_.send_user)++;
  if (mapped.from_kernel) counters_.send_kernel_lead += after_send - mapped.time;
  return SendReport{mapped.time,
                    mapped.from_kernel ? TimestampSource::kKernel : TimestampSource::kUserSpace};
}

std::optional<absl::Time> SocketTransport::TakeSendStamp(int fd, Watched& watched) {
  const uint32_t expected = watched.next_send_id++;
  for (int i = 0; i < kMaxErrorQueueReadsPerSend; ++i) {
    Message message;
    if (ReadMessage(sys_, fd, /*error_queue=*/true, message) != ReadResult::kMessage) break;
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
  sys_.Write(pending_event_.get(), &one, sizeof(one));
  pending_signalled_ = true;
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
  if (!AllOfFamily(v4 ? IpFamily::kV4 : IpFamily::kV6, {*message.offender, local, *message.from})) {
    return;
  }
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
      if (!AllOfFamily(IpFamily::kV6, {packet.source, packet.destination})) return;
      packet.bytes = std::move(message.data);
      break;
    case Role::kUnprivileged4:
      packet.format = PacketFormat::kIpv4Packet;
      packet.source = from;
      packet.destination = message.packet_destination.value_or(watched.local);
      if (!AllOfFamily(IpFamily::kV4, {packet.source, packet.destination})) return;
      packet.bytes = RebuildIpv4Packet(packet.source, packet.destination, message.data);
      break;
    case Role::kUnprivileged6:
      packet.format = PacketFormat::kIcmpv6Message;
      packet.source = from;
      packet.destination = message.packet_destination.value_or(watched.local);
      if (!AllOfFamily(IpFamily::kV6, {packet.source, packet.destination})) return;
      packet.bytes = std::move(message.data);
      break;
  }
  StampReceived(message, watched.last_empty, packet);
  out.push_back(std::move(packet));
}

void SocketTransport::DrainSocket(int fd, Watched& watched, bool error_queue,
                                  std::vector<ReceivedPacket>& out) {
  for (int i = 0; i < kMaxReadsPerSocket; ++i) {
    const MonoTime before = MonotonicNow(sys_);
    Message message;
    const ReadResult result = ReadMessage(sys_, fd, error_queue, message);
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
  if (pending_signalled_) {  // else there is nothing to reset: no system call
    uint64_t ignored;
    sys_.Read(pending_event_.get(), &ignored, sizeof(ignored));
    pending_signalled_ = false;
  }
  epoll_event events[kMaxEpollEvents];
  int rounds = 0;
  for (;;) {
    const int n = sys_.EpollWait(epoll_.get(), events, kMaxEpollEvents, 0).value;
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      auto it = watched_.find(fd);
      if (it == watched_.end()) continue;  // the eventfd, handled above
      if (events[i].events & EPOLLIN) DrainSocket(fd, it->second, false, out);
      if (events[i].events & EPOLLERR) DrainSocket(fd, it->second, true, out);
    }
    if (n < kMaxEpollEvents) return;
    if (++rounds == 4) return;  // the rest waits for the next call
  }
}

}  // namespace pathpair::net
