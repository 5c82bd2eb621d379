// The privileged seam of pathpair: the only code that opens raw sockets. A process asks once, up
// front, for every socket it will need (SocketPlan); OpenSocketSet opens them all and applies the
// socket-wide options. After that nothing needs CAP_NET_RAW, so the caller drops every privilege
// (privileges.h) and keeps tracing. TCP probes are SYNs sent on the raw TCP socket, so no probe
// ever needs a new privileged socket. (One exception: a per-trace mark different from
// SocketPlan::mark is set per packet, which the kernel allows only with CAP_NET_RAW or
// CAP_NET_ADMIN; programs that drop privileges open the set with the mark they will use.)
// A program that runs several traces one after another over one set hands each a duplicate
// (DuplicateSocketSet).
//
// Without CAP_NET_RAW the set falls back to unprivileged ICMP datagram ("ping") sockets when
// net.ipv4.ping_group_range admits the process's group; UDP and TCP probes then are unavailable.
//
//   SocketPlan plan{.ipv4 = true, .ipv6 = true, .icmp = true, .udp = true, .tcp = true};
//   absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan);
//   if (!sockets.ok()) { std::cerr << sockets.status().message(); }   // names what is missing
//   PATHPAIR_RETURN_IF_ERROR(DropPrivileges().status());            // privileges.h
//   auto transport = SocketTransport::Create(*std::move(sockets));   // socket_transport.h
//
// Every socket call goes through an OsSysCalls (os_sys_calls.h): the real one by default, a
// fake kernel in unit tests. The set remembers it, and the transport uses the same.
#ifndef PATHPAIR_AGENT_NET_SOCKET_SET_H_
#define PATHPAIR_AGENT_NET_SOCKET_SET_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/net/os_sys_calls.h"

namespace pathpair::net {

// An owned file descriptor, closed on destruction through the system calls that opened it.
// Move-only.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd, OsSysCalls& sys = OsSysCalls::Real()) : fd_(fd), sys_(&sys) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()), sys_(other.sys_) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
  OsSysCalls* sys_ = nullptr;  // set whenever fd_ is valid
};

// Which sockets to open, and the options that apply to every probe sent through them.
struct SocketPlan {
  bool ipv4 = true;
  bool ipv6 = true;
  bool icmp = true;
  bool udp = false;
  bool tcp = false;
  std::string interface;  // -I: SO_BINDTODEVICE on every socket (empty: none)
  uint32_t mark = 0;      // -M: SO_MARK on every socket (0: none; needs CAP_NET_ADMIN)
  // When raw sockets cannot be opened, try unprivileged ICMP datagram sockets (ICMP only).
  bool allow_unprivileged = true;
  // For tests: skip raw sockets and go straight to the unprivileged ones.
  bool force_unprivileged = false;
};

enum class SocketMode : uint8_t {
  kRaw,               // raw sockets (CAP_NET_RAW): ICMP, UDP and TCP
  kUnprivilegedIcmp,  // ICMP datagram sockets, one per echo identifier, opened on demand
};

// Every socket a process uses, opened by OpenSocketSet. Missing ones are invalid descriptors.
struct SocketSet {
  // The system calls the sockets were opened with; the transport makes its own through them too.
  OsSysCalls* sys = &OsSysCalls::Real();
  SocketMode mode = SocketMode::kRaw;
  SocketPlan plan;
  // Raw mode. ICMP sockets send echo requests and receive every ICMP message (echo replies and
  // the errors quoting UDP/TCP probes too). UDP sockets only send (a filter drops what they
  // would receive). TCP sockets send SYNs and receive SYN-ACK/RST.
  FileDescriptor icmp4, udp4, tcp4;
  FileDescriptor icmp6, udp6, tcp6;
  // Unprivileged mode opens ICMP datagram sockets later (they need no privilege); these record
  // which families passed the up-front check.
  bool unprivileged_ipv4 = false;
  bool unprivileged_ipv6 = false;
};

// Opens every socket the plan asks for. Without CAP_NET_RAW (and with allow_unprivileged), a
// plan that includes ICMP falls back to unprivileged ICMP sockets: mode kUnprivilegedIcmp, and
// UDP/TCP are then unavailable even if the plan asked for them (a prober refuses such traces
// with a message naming CAP_NET_RAW). A plan of UDP/TCP only fails instead. On failure the
// message names exactly what is missing: CAP_NET_RAW, or net.ipv4.ping_group_range with its
// current value and the process's group.
absl::StatusOr<SocketSet> OpenSocketSet(const SocketPlan& plan,
                                        OsSysCalls& sys = OsSysCalls::Real());

// Every protocol over both families (the plan's interface and mark kept), or over IPv4 alone on
// a host without IPv6: what a process that may trace any target opens before it drops its
// privileges (pathpair-agent, pathpair trace). The error is the dual-stack attempt's.
absl::StatusOr<SocketSet> OpenEverySocket(SocketPlan plan = {});

// Opens one unprivileged ICMP datagram socket for `ipv6` or IPv4, bound so that the kernel uses
// `echo_id` as the echo identifier, with error-queue and timestamp options set. Needs no
// privilege (only ping_group_range); used by SocketTransport in kUnprivilegedIcmp mode.
absl::StatusOr<FileDescriptor> OpenUnprivilegedIcmpSocket(bool ipv6, uint16_t echo_id,
                                                          const SocketPlan& plan,
                                                          OsSysCalls& sys = OsSysCalls::Real());

// A copy of `set` for one trace whose needs are `plan` (a subset of set.plan: its families and
// protocols; the same interface and mark): the sockets it needs are duplicated (dup), so the copy
// can be consumed by a transport while `set` stays open for the next trace. The sockets are
// shared with `set`: only one transport may read them at a time. Needs no privilege.
// FailedPrecondition when the plan asks for what `set` lacks (naming it).
absl::StatusOr<SocketSet> DuplicateSocketSet(const SocketSet& set, const SocketPlan& plan);

// The current net.ipv4.ping_group_range as text ("1\t0"), or a note that it could not be read.
std::string ReadPingGroupRange();

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_SOCKET_SET_H_
