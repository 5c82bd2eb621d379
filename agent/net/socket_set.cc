#include "agent/net/socket_set.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <span>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/net/ip_address.h"
#include "common/status/status_macros.h"

namespace pathpair::net {
namespace {

// Software receive and transmit stamps, reported as software stamps; transmit stamps come back
// on the error queue with only the stamp (TSONLY) and a per-socket counter (OPT_ID), which is how
// SocketTransport pairs a stamp with the packet it just sent.
constexpr int kTimestampingFlags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
                                   SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
                                   SOF_TIMESTAMPING_OPT_TSONLY;
constexpr int kReceiveBufferBytes = 4 << 20;
constexpr int kSendBufferBytes = 4 << 20;

absl::Status SetOption(OsSysCalls& sys, int fd, int level, int name, const void* value,
                       socklen_t len, absl::string_view what) {
  const SysCallIntResult result = sys.SetSockOpt(fd, level, name, value, len);
  if (result.value != 0) {
    return absl::InternalError(absl::StrCat("setsockopt(", what, "): ", ErrnoText(result.error)));
  }
  return absl::OkStatus();
}

absl::Status SetIntOption(OsSysCalls& sys, int fd, int level, int name, int value,
                          absl::string_view what) {
  return SetOption(sys, fd, level, name, &value, sizeof(value), what);
}

// Options every pathpair socket gets: timestamps, a large receive buffer, and the plan's
// interface and mark.
absl::Status ApplyCommonOptions(OsSysCalls& sys, int fd, const SocketPlan& plan) {
  if (!SetIntOption(sys, fd, SOL_SOCKET, SO_TIMESTAMPING, kTimestampingFlags, "SO_TIMESTAMPING")
           .ok()) {
    // Older kernels: receive stamps only. Send times then come from user space.
    PATHPAIR_RETURN_IF_ERROR(
        SetIntOption(sys, fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS"));
  }
  // SO_RCVBUFFORCE exceeds rmem_max but needs CAP_NET_ADMIN; the plain option is capped.
  if (!SetIntOption(sys, fd, SOL_SOCKET, SO_RCVBUFFORCE, kReceiveBufferBytes, "SO_RCVBUFFORCE")
           .ok()) {
    (void)SetIntOption(sys, fd, SOL_SOCKET, SO_RCVBUF, kReceiveBufferBytes, "SO_RCVBUF");
  }
  // Round 0 of many traces leaves in one burst; a larger send buffer avoids EAGAIN on it.
  if (!SetIntOption(sys, fd, SOL_SOCKET, SO_SNDBUFFORCE, kSendBufferBytes, "SO_SNDBUFFORCE").ok()) {
    (void)SetIntOption(sys, fd, SOL_SOCKET, SO_SNDBUF, kSendBufferBytes, "SO_SNDBUF");
  }
  if (!plan.interface.empty()) {
    const SysCallIntResult bound =
        sys.SetSockOpt(fd, SOL_SOCKET, SO_BINDTODEVICE, plan.interface.data(),
                       static_cast<socklen_t>(plan.interface.size()));
    if (bound.value != 0) {
      return absl::InvalidArgumentError(absl::StrCat("cannot bind to interface '", plan.interface,
                                                     "': ", ErrnoText(bound.error)));
    }
  }
  if (plan.mark != 0) {
    const int mark = static_cast<int>(plan.mark);
    const SysCallIntResult marked = sys.SetSockOpt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
    if (marked.value != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot set mark ", plan.mark,
                       " (SO_MARK needs CAP_NET_ADMIN): ", ErrnoText(marked.error)));
    }
  }
  return absl::OkStatus();
}

absl::Status AttachFilter(OsSysCalls& sys, int fd, std::span<sock_filter> program_code) {
  struct sock_fprog program = {static_cast<unsigned short>(program_code.size()),
                               program_code.data()};
  return SetOption(sys, fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program),
                   "SO_ATTACH_FILTER");
}

// A socket that only sends: a filter that accepts nothing keeps its receive queue empty (a raw
// UDP socket would otherwise get a copy of every UDP datagram the host receives).
absl::Status DropEverythingReceived(OsSysCalls& sys, int fd) {
  sock_filter reject_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  return AttachFilter(sys, fd, reject_all);
}

// Raw sockets see every packet of their protocol that reaches the host; these filters keep only
// the kinds that can answer a probe, so the event loop is not woken by the rest.
//
// IPv4 raw sockets see the IP header: X = header length, then the ICMP type must be echo reply
// (0), destination unreachable (3) or time exceeded (11).
absl::Status KeepIcmpv4Replies(OsSysCalls& sys, int fd) {
  sock_filter code[] = {
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),        BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0),  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 11, 1, 0), BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
  };
  return AttachFilter(sys, fd, code);
}

// TCP segments with RST, or with SYN and ACK: the answers to a SYN probe. IPv4 raw sockets see
// the IP header first; IPv6 ones start at the TCP header.
absl::Status KeepTcpAnswers(OsSysCalls& sys, int fd, bool ipv6) {
  constexpr uint32_t kRst = 0x04;
  constexpr uint32_t kSynAck = 0x12;
  if (ipv6) {
    sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kRst, 3, 0),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, kSynAck),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kSynAck, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, 0),
        BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
    };
    return AttachFilter(sys, fd, code);
  }
  sock_filter code[] = {
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
      BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kRst, 3, 0),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, kSynAck),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kSynAck, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
  };
  return AttachFilter(sys, fd, code);
}

absl::Status ConfigureRaw(OsSysCalls& sys, int fd, int family, int protocol,
                          const SocketPlan& plan) {
  PATHPAIR_RETURN_IF_ERROR(ApplyCommonOptions(sys, fd, plan));
  if (protocol == IPPROTO_UDP) return DropEverythingReceived(sys, fd);
  if (protocol == IPPROTO_TCP) {
    PATHPAIR_RETURN_IF_ERROR(KeepTcpAnswers(sys, fd, family == AF_INET6));
  }
  if (family == AF_INET && protocol == IPPROTO_ICMP) {
    PATHPAIR_RETURN_IF_ERROR(KeepIcmpv4Replies(sys, fd));
  }
  if (family == AF_INET6) {
    PATHPAIR_RETURN_IF_ERROR(
        SetIntOption(sys, fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"));
    if (protocol == IPPROTO_ICMPV6) {
      struct icmp6_filter filter;
      ICMP6_FILTER_SETBLOCKALL(&filter);
      ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
      ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filter);
      ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filter);
      PATHPAIR_RETURN_IF_ERROR(SetOption(sys, fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter,
                                         sizeof(filter), "ICMP6_FILTER"));
    }
  }
  return absl::OkStatus();
}

bool IsPermissionError(int err) { return err == EPERM || err == EACCES; }

std::string MissingRawMessage() {
  return "raw sockets need CAP_NET_RAW (run as root, or grant it: setcap cap_net_raw+ep "
         "<binary>)";
}

std::string PingRangeMessage() {
  return absl::StrFormat(
      "unprivileged ICMP sockets are not allowed for group %d: net.ipv4.ping_group_range is "
      "\"%s\" (allow it with: sysctl -w net.ipv4.ping_group_range=\"0 2147483647\")",
      static_cast<int>(getegid()), ReadPingGroupRange());
}

absl::Status OpenRawSockets(OsSysCalls& sys, const SocketPlan& plan, SocketSet& set) {
  struct Want {
    bool wanted;
    int family;
    int protocol;
    FileDescriptor* slot;
  };
  const Want wants[] = {
      {plan.ipv4 && plan.icmp, AF_INET, IPPROTO_ICMP, &set.icmp4},
      // ICMP errors quoting UDP/TCP probes arrive on the ICMP socket, so it is opened for those
      // protocols too.
      {plan.ipv4 && (plan.udp || plan.tcp), AF_INET, IPPROTO_ICMP, &set.icmp4},
      {plan.ipv4 && plan.udp, AF_INET, IPPROTO_UDP, &set.udp4},
      {plan.ipv4 && plan.tcp, AF_INET, IPPROTO_TCP, &set.tcp4},
      {plan.ipv6 && (plan.icmp || plan.udp || plan.tcp), AF_INET6, IPPROTO_ICMPV6, &set.icmp6},
      {plan.ipv6 && plan.udp, AF_INET6, IPPROTO_UDP, &set.udp6},
      {plan.ipv6 && plan.tcp, AF_INET6, IPPROTO_TCP, &set.tcp6},
  };
  for (const Want& want : wants) {
    if (!want.wanted || want.slot->valid()) continue;
    const SysCallIntResult opened =
        sys.Socket(want.family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, want.protocol);
    if (opened.value < 0) {
      if (IsPermissionError(opened.error)) return absl::PermissionDeniedError(MissingRawMessage());
      if (opened.error == EAFNOSUPPORT) continue;  // family disabled: capabilities say so
      return absl::InternalError(
          absl::StrCat("socket(raw, protocol ", want.protocol, "): ", ErrnoText(opened.error)));
    }
    FileDescriptor fd(opened.value, sys);
    PATHPAIR_RETURN_IF_ERROR(ConfigureRaw(sys, fd.get(), want.family, want.protocol, plan));
    *want.slot = std::move(fd);
  }
  return absl::OkStatus();
}

}  // namespace

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) sys_->Close(fd_);
    sys_ = other.sys_;
    fd_ = other.release();
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) sys_->Close(fd_);
}

std::string ReadPingGroupRange() {
  std::ifstream in("/proc/sys/net/ipv4/ping_group_range");
  std::string text;
  if (!in || !std::getline(in, text)) return "unreadable";
  return text;
}

absl::StatusOr<FileDescriptor> OpenUnprivilegedIcmpSocket(bool ipv6, uint16_t echo_id,
                                                          const SocketPlan& plan, OsSysCalls& sys) {
  const int family = ipv6 ? AF_INET6 : AF_INET;
  const int protocol = ipv6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  const SysCallIntResult opened =
      sys.Socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (opened.value < 0) {
    if (IsPermissionError(opened.error)) return absl::PermissionDeniedError(PingRangeMessage());
    return absl::UnavailableError(absl::StrCat("socket(ICMP datagram, ", ipv6 ? "IPv6" : "IPv4",
                                               "): ", ErrnoText(opened.error)));
  }
  FileDescriptor owned(opened.value, sys);
  const int fd = owned.get();
  PATHPAIR_RETURN_IF_ERROR(ApplyCommonOptions(sys, fd, plan));
  // Errors (Time Exceeded, Unreachable) about our echo requests arrive on the error queue.
  if (ipv6) {
    PATHPAIR_RETURN_IF_ERROR(SetIntOption(sys, fd, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR"));
    PATHPAIR_RETURN_IF_ERROR(
        SetIntOption(sys, fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"));
  } else {
    PATHPAIR_RETURN_IF_ERROR(SetIntOption(sys, fd, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR"));
    PATHPAIR_RETURN_IF_ERROR(SetIntOption(sys, fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO"));
  }
  // The "port" of an ICMP datagram socket is the echo identifier the kernel writes.
  sockaddr_storage local{};
  socklen_t local_len =
      IpAddress::Any(ipv6 ? IpFamily::kV6 : IpFamily::kV4).ToSockaddr(echo_id, &local);
  const SysCallIntResult bound = sys.Bind(fd, reinterpret_cast<const sockaddr*>(&local), local_len);
  if (bound.value != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot claim ICMP echo identifier ", echo_id, ": ", ErrnoText(bound.error)));
  }
  return owned;
}

absl::StatusOr<SocketSet> OpenSocketSet(const SocketPlan& plan, OsSysCalls& sys) {
  SocketSet set;
  set.sys = &sys;
  set.plan = plan;
  if (!plan.ipv4 && !plan.ipv6) return absl::InvalidArgumentError("no address family requested");
  if (!plan.icmp && !plan.udp && !plan.tcp)
    return absl::InvalidArgumentError("no protocol requested");
  absl::Status raw = plan.force_unprivileged ? absl::PermissionDeniedError(MissingRawMessage())
                                             : OpenRawSockets(sys, plan, set);
  if (raw.ok()) {
    set.mode = SocketMode::kRaw;
    if (!set.icmp4.valid() && !set.icmp6.valid()) {
      return absl::UnavailableError(
          absl::StrCat("this kernel does not support ", plan.ipv4 && plan.ipv6 ? "IPv4 or IPv6"
                                                        : plan.ipv4            ? "IPv4"
                                                                               : "IPv6"));
    }
    return set;
  }
  if (raw.code() != absl::StatusCode::kPermissionDenied || !plan.allow_unprivileged) return raw;
  if (!plan.icmp) {
    return absl::PermissionDeniedError(
        absl::StrCat("UDP and TCP probes need raw sockets, and ", MissingRawMessage(),
                     "; without it only ICMP probes work (unprivileged ICMP sockets)"));
  }
  // Try the unprivileged sockets now, so the caller learns at once whether they work.
  set = SocketSet();
  set.sys = &sys;
  set.plan = plan;
  set.mode = SocketMode::kUnprivilegedIcmp;
  absl::Status last_error = absl::OkStatus();
  for (const bool ipv6 : {false, true}) {
    if (ipv6 ? !plan.ipv6 : !plan.ipv4) continue;
    // Port 0: the kernel picks a free identifier; the socket is only a probe of permission.
    absl::StatusOr<FileDescriptor> probe = OpenUnprivilegedIcmpSocket(ipv6, 0, plan, sys);
    if (probe.ok()) {
      (ipv6 ? set.unprivileged_ipv6 : set.unprivileged_ipv4) = true;
    } else {
      last_error = probe.status();
    }
  }
  if (!set.unprivileged_ipv4 && !set.unprivileged_ipv6) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot open ICMP sockets: ", MissingRawMessage(), "; and ", last_error.message()));
  }
  return set;
}

absl::StatusOr<SocketSet> DuplicateSocketSet(const SocketSet& set, const SocketPlan& plan) {
  if (plan.interface != set.plan.interface || plan.mark != set.plan.mark) {
    return absl::FailedPreconditionError(
        "this trace's interface (-I) or mark (-M) differs from the sockets opened at start");
  }
  SocketSet copy;
  copy.sys = set.sys;
  copy.mode = set.mode;
  copy.plan = plan;
  copy.unprivileged_ipv4 = set.unprivileged_ipv4 && plan.ipv4;
  copy.unprivileged_ipv6 = set.unprivileged_ipv6 && plan.ipv6;
  struct Slot {
    bool wanted;
    const FileDescriptor* from;
    FileDescriptor* to;
    const char* what;
  };
  const bool any4 = plan.ipv4 && (plan.icmp || plan.udp || plan.tcp);
  const bool any6 = plan.ipv6 && (plan.icmp || plan.udp || plan.tcp);
  const Slot slots[] = {
      {any4, &set.icmp4, &copy.icmp4, "IPv4 ICMP"},
      {plan.ipv4 && plan.udp, &set.udp4, &copy.udp4, "IPv4 UDP"},
      {plan.ipv4 && plan.tcp, &set.tcp4, &copy.tcp4, "IPv4 TCP"},
      {any6, &set.icmp6, &copy.icmp6, "IPv6 ICMP"},
      {plan.ipv6 && plan.udp, &set.udp6, &copy.udp6, "IPv6 UDP"},
      {plan.ipv6 && plan.tcp, &set.tcp6, &copy.tcp6, "IPv6 TCP"},
  };
  if (set.mode == SocketMode::kRaw) {
    for (const Slot& slot : slots) {
      if (!slot.wanted) continue;
      if (!slot.from->valid()) {
        // The family may be missing on this host: the transport reports that as it would.
        if (slot.from == &set.icmp4 || slot.from == &set.icmp6) continue;
        return absl::FailedPreconditionError(
            absl::StrCat("no ", slot.what, " socket was opened at start"));
      }
      const SysCallIntResult duplicate = set.sys->DupCloexec(slot.from->get());
      if (duplicate.value < 0) {
        return absl::InternalError(absl::StrCat("dup: ", ErrnoText(duplicate.error)));
      }
      *slot.to = FileDescriptor(duplicate.value, *set.sys);
    }
  }
  return copy;
}

absl::StatusOr<SocketSet> OpenEverySocket(SocketPlan plan) {
  plan.ipv4 = plan.ipv6 = plan.icmp = plan.udp = plan.tcp = true;
  absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan);
  if (sockets.ok()) return sockets;
  plan.ipv6 = false;
  absl::StatusOr<SocketSet> v4_only = OpenSocketSet(plan);
  if (v4_only.ok()) return v4_only;
  return sockets;
}

}  // namespace pathpair::net
