#include "agent/oneway/runner.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::oneway {
namespace {

// How often a blocked Run looks at its cancellation callback.
constexpr absl::Duration kCancelPollInterval = absl::Milliseconds(50);
constexpr int kReceiveBufferBytes = 4 << 20;
constexpr int kMaxDatagramsPerWakeup = 64;

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// The SCM_TIMESTAMPNS control message of a received datagram, if the kernel attached one.
std::optional<absl::Time> KernelStamp(msghdr* msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
        c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      if (ts.tv_sec == 0 && ts.tv_nsec == 0) return std::nullopt;
      return absl::TimeFromTimespec(ts);
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OneWayRunner>> OneWayRunner::Bind(const IpAddress& local,
                                                                 uint16_t port) {
  int domain = local.is_v4() ? AF_INET : AF_INET6;
  int fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return ErrnoStatus("one-way socket");
  if (local.is_v6()) {
    int on = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  }
  sockaddr_storage address;
  socklen_t length = local.ToSockaddr(port, &address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    absl::Status status =
        ErrnoStatus(absl::StrCat("one-way bind to ", local.ToString(), ":", port));
    close(fd);
    return status;
  }
  length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    absl::Status status = ErrnoStatus("one-way getsockname");
    close(fd);
    return status;
  }
  uint16_t bound_port =
      ntohs(address.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  int on = 1;
  bool stamps = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == 0;
  // A larger receive queue rides out scheduling stalls of a busy agent without dropping test
  // packets that the network delivered (the kernel caps it at net.core.rmem_max).
  int receive_buffer = kReceiveBufferBytes;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  return std::unique_ptr<OneWayRunner>(new OneWayRunner(fd, local.family(), bound_port, stamps));
}

OneWayRunner::~OneWayRunner() { close(fd_); }

absl::StatusOr<OneWayResult> OneWayRunner::Run(const IpAddress& peer, uint16_t peer_port,
                                               const OneWayConfig& config,
                                               const std::function<bool()>& cancelled,
                                               const RunOptions& options, const Clock& clock) {
  if (absl::Status valid = ValidateConfig(config); !valid.ok()) return valid;
  if (peer.family() != family_) {
    return absl::InvalidArgumentError(
        absl::StrCat("one-way peer ", peer.ToString(), " is not of the socket's address family"));
  }
  if (peer_port == 0) return absl::InvalidArgumentError("one-way peer port is 0");
  sockaddr_storage destination;
  socklen_t destination_length = peer.ToSockaddr(peer_port, &destination);
  bool followed = false;

  // Whatever is already queued on the socket is read as usual: packets of this session that
  // arrived before Run began (the peer started first) count, and those of earlier sessions are
  // rejected by their session id.
  std::vector<uint8_t> buffer(kMaxPacketSize + 1);

  OneWaySession session(config, clock.Now());
  int64_t send_errors = 0;
  std::string last_send_error;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec)) * 2];
  bool interrupted = false;
  while (!session.Done(clock.Now())) {
    if (cancelled && cancelled()) {
      interrupted = true;  // what arrived so far is kept (issue 15)
      break;
    }
    while (std::optional<std::vector<uint8_t>> packet =
               session.PacketToSend(clock.Now(), clock.WallNow() + options.test_clock_offset)) {
      // A lost send is a lost packet, which is what the peer measures; errors such as
      // ECONNREFUSED from an earlier ICMP error or ENOBUFS are counted, not fatal.
      if (sendto(fd_, packet->data(), packet->size(), MSG_DONTWAIT,
                 reinterpret_cast<sockaddr*>(&destination), destination_length) < 0) {
        ++send_errors;
        last_send_error = std::strerror(errno);
      }
    }
    absl::Duration wait =
        std::clamp(session.NextWakeup() - clock.Now(), absl::ZeroDuration(), kCancelPollInterval);
    pollfd poll_fd{fd_, POLLIN, 0};
    timespec timeout = absl::ToTimespec(wait);
    int ready = ppoll(&poll_fd, 1, &timeout, nullptr);
    if (ready < 0 && errno != EINTR) return ErrnoStatus("one-way poll");
    if (ready <= 0) continue;
    // Bounded, so that a flood of datagrams cannot hold off our own sending schedule.
    for (int drained = 0; drained < kMaxDatagramsPerWakeup; ++drained) {
      sockaddr_storage source;
      iovec io{buffer.data(), buffer.size()};
      msghdr msg{};
      msg.msg_name = &source;
      msg.msg_namelen = sizeof(source);
      msg.msg_iov = &io;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      ssize_t size = recvmsg(fd_, &msg, MSG_DONTWAIT);
      if (size < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
        // ICMP errors for earlier sends surface here on some kernels; they are not fatal.
        if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) continue;
        return ErrnoStatus("one-way recvmsg");
      }
      absl::Time received = KernelStamp(&msg).value_or(clock.WallNow()) + options.test_clock_offset;
      absl::Status accepted =
          session.OnDatagram(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(size)),
                             clock.Now(), received);
      if (accepted.ok() && options.follow_peer_source && !followed) {
        absl::StatusOr<IpAddress> from =
            IpAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&source), msg.msg_namelen);
        if (from.ok() && *from == peer) {
          followed = true;
          std::memcpy(&destination, &source, sizeof(source));
          destination_length = msg.msg_namelen;
        }
      }
    }
  }
  OneWayResult result = session.Result();
  result.send_errors = send_errors;
  result.last_send_error = std::move(last_send_error);
  result.interrupted = interrupted;
  return result;
}

}  // namespace pathpair::oneway
