#include "tests/agent/net/fake_sys_calls.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace pathpair::net {
namespace {

constexpr int kTypeFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;

SysCallIntResult Fail(int error) { return {-1, error}; }
SysCallSizeResult FailSize(int error) { return {-1, error}; }

IpFamily FamilyOf(int domain) { return domain == AF_INET6 ? IpFamily::kV6 : IpFamily::kV4; }

uint16_t PortOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
}

template <typename T>
std::vector<uint8_t> BytesOf(const T& value) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
  return std::vector<uint8_t>(bytes, bytes + sizeof(T));
}

}  // namespace

std::optional<ControlMessage> FakeSysCalls::Sent::Find(int level, int type) const {
  ControlMessageReader reader(control);
  while (std::optional<ControlMessage> c = reader.Next()) {
    if (c->Is(level, type)) return c;
  }
  return std::nullopt;
}

std::optional<int> FakeSysCalls::Sent::IntOf(int level, int type) const {
  const std::optional<ControlMessage> c = Find(level, type);
  return c.has_value() ? c->As<int>() : std::nullopt;
}

FakeSysCalls::FakeSysCalls() = default;

void FakeSysCalls::FailSocket(int domain, int type, int protocol, int error) {
  socket_errors_[{domain, type & ~kTypeFlags, protocol}] = error;
}

void FakeSysCalls::FailSetSockOpt(int level, int name, int error) {
  option_errors_[{level, name}] = error;
}

void FakeSysCalls::FailSends(int error, int count, bool leave_pending) {
  send_error_ = error;
  send_errors_left_ = count;
  send_errors_leave_pending_ = leave_pending;
}

void FakeSysCalls::SetRouteSource(const IpAddress& source) {
  route_sources_[source.family()] = source;
}

void FakeSysCalls::QueueReceive(int fd, Datagram datagram) {
  FakeSocket* s = MutableSocket(fd);
  if (s != nullptr) s->receive_queue.push_back(std::move(datagram));
}

void FakeSysCalls::QueueError(int fd, Datagram datagram) {
  FakeSocket* s = MutableSocket(fd);
  if (s != nullptr) s->error_queue.push_back(std::move(datagram));
}

void FakeSysCalls::SetPendingError(int fd, int error) {
  FakeSocket* s = MutableSocket(fd);
  if (s != nullptr) s->pending_error = error;
}

FakeSysCalls::Datagram FakeSysCalls::SendStamp(int domain, uint32_t id, absl::Time wall) {
  ControlBuffer<ControlSpace(3 * sizeof(timespec)) + ControlSpace(sizeof(sock_extended_err))>
      control;
  ControlMessageWriter writer(control.bytes);
  timespec stamps[3] = {absl::ToTimespec(wall), {}, {}};
  writer.Add(SOL_SOCKET, SO_TIMESTAMPING, stamps);
  sock_extended_err error{};
  error.ee_errno = ENOMSG;
  error.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
  error.ee_info = SCM_TSTAMP_SND;
  error.ee_data = id;
  writer.Add(domain == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
             domain == AF_INET6 ? IPV6_RECVERR : IP_RECVERR, error);
  Datagram datagram;
  datagram.control.assign(writer.written().begin(), writer.written().end());
  return datagram;
}

std::vector<uint8_t> FakeSysCalls::ReceiveStamp(absl::Time wall) {
  ControlBuffer<ControlSpace(3 * sizeof(timespec))> control;
  ControlMessageWriter writer(control.bytes);
  timespec stamps[3] = {absl::ToTimespec(wall), {}, {}};
  writer.Add(SOL_SOCKET, SO_TIMESTAMPING, stamps);
  return std::vector<uint8_t>(writer.written().begin(), writer.written().end());
}

const FakeSysCalls::FakeSocket* FakeSysCalls::socket_state(int fd) const {
  auto it = descriptors_.find(fd);
  return it == descriptors_.end() || it->second.kind != Kind::kSocket ? nullptr
                                                                      : &it->second.socket;
}

FakeSysCalls::FakeSocket* FakeSysCalls::MutableSocket(int fd) {
  return const_cast<FakeSocket*>(std::as_const(*this).socket_state(fd));
}

int FakeSysCalls::FindSocket(int domain, int type, int protocol) const {
  for (auto it = descriptors_.rbegin(); it != descriptors_.rend(); ++it) {
    const Descriptor& d = it->second;
    if (d.kind == Kind::kSocket && d.socket.domain == domain &&
        d.socket.type == (type & ~kTypeFlags) && d.socket.protocol == protocol) {
      return it->first;
    }
  }
  return -1;
}

std::optional<int> FakeSysCalls::IntOption(int fd, int level, int name) const {
  const FakeSocket* s = socket_state(fd);
  if (s == nullptr) return std::nullopt;
  auto it = s->options.find({level, name});
  if (it == s->options.end() || it->second.size() < sizeof(int)) return std::nullopt;
  int value;
  std::memcpy(&value, it->second.data(), sizeof(value));
  return value;
}

bool FakeSysCalls::HasOption(int fd, int level, int name) const {
  const FakeSocket* s = socket_state(fd);
  return s != nullptr && s->options.contains({level, name});
}

int FakeSysCalls::Open(Descriptor descriptor) {
  const int fd = next_fd_++;
  descriptors_[fd] = std::move(descriptor);
  return fd;
}

SysCallIntResult FakeSysCalls::Socket(int domain, int type, int protocol) {
  auto error = socket_errors_.find({domain, type & ~kTypeFlags, protocol});
  if (error != socket_errors_.end()) return Fail(error->second);
  Descriptor d;
  d.kind = Kind::kSocket;
  d.socket.domain = domain;
  d.socket.type = type & ~kTypeFlags;
  d.socket.protocol = protocol;
  ++sockets_opened_;
  return {Open(std::move(d)), 0};
}

SysCallIntResult FakeSysCalls::SetSockOpt(int fd, int level, int name, const void* value,
                                          socklen_t length) {
  FakeSocket* s = MutableSocket(fd);
  if (s == nullptr) return Fail(EBADF);
  auto error = option_errors_.find({level, name});
  if (error != option_errors_.end()) return Fail(error->second);
  const auto* bytes = static_cast<const uint8_t*>(value);
  s->options[{level, name}] = std::vector<uint8_t>(bytes, bytes + length);
  return {0, 0};
}

SysCallIntResult FakeSysCalls::GetSockOpt(int fd, int level, int name, void* value,
                                          socklen_t* length) {
  FakeSocket* s = MutableSocket(fd);
  if (s == nullptr) return Fail(EBADF);
  if (level == SOL_SOCKET && name == SO_ERROR && *length >= sizeof(int)) {
    std::memcpy(value, &s->pending_error, sizeof(int));
    *length = sizeof(int);
    s->pending_error = 0;
    return {0, 0};
  }
  return Fail(ENOPROTOOPT);
}

SysCallIntResult FakeSysCalls::Bind(int fd, const sockaddr* address, socklen_t length) {
  FakeSocket* s = MutableSocket(fd);
  if (s == nullptr) return Fail(EBADF);
  absl::StatusOr<IpAddress> parsed = IpAddress::FromSockaddr(address, length);
  if (!parsed.ok()) return Fail(EINVAL);
  sockaddr_storage storage{};
  std::memcpy(&storage, address, std::min<size_t>(length, sizeof(storage)));
  const uint16_t port = PortOf(storage);
  if (taken_ports_.contains(port)) return Fail(EADDRINUSE);
  s->bound = *parsed;
  s->port = port != 0 ? port : next_port_++;
  return {0, 0};
}

SysCallIntResult FakeSysCalls::Connect(int fd, const sockaddr*, socklen_t) {
  FakeSocket* s = MutableSocket(fd);
  if (s == nullptr) return Fail(EBADF);
  if (connect_error_ != 0) return Fail(connect_error_);
  s->connected = true;
  if (s->port == 0) s->port = next_port_++;
  return {0, 0};
}

SysCallIntResult FakeSysCalls::GetSockName(int fd, sockaddr* address, socklen_t* length) {
  const FakeSocket* s = socket_state(fd);
  if (s == nullptr) return Fail(EBADF);
  IpAddress local = s->bound.value_or(IpAddress::Any(FamilyOf(s->domain)));
  auto route = route_sources_.find(FamilyOf(s->domain));
  if (local.IsUnspecified() && s->connected && route != route_sources_.end()) {
    local = route->second;
  }
  sockaddr_storage storage{};
  const socklen_t full = local.ToSockaddr(s->port, &storage);
  std::memcpy(address, &storage, std::min(full, *length));
  *length = full;
  return {0, 0};
}

SysCallSizeResult FakeSysCalls::SendMsg(int fd, const msghdr* message, int) {
  FakeSocket* s = MutableSocket(fd);
  if (s == nullptr) return FailSize(EBADF);
  if (send_errors_left_ > 0) {
    --send_errors_left_;
    if (send_errors_leave_pending_) s->pending_error = send_error_;
    return FailSize(send_error_);
  }
  Sent sent;
  sent.fd = fd;
  sent.at = mono_;
  for (size_t i = 0; i < message->msg_iovlen; ++i) {
    const auto* bytes = static_cast<const uint8_t*>(message->msg_iov[i].iov_base);
    sent.data.insert(sent.data.end(), bytes, bytes + message->msg_iov[i].iov_len);
  }
  if (message->msg_name != nullptr) {
    absl::StatusOr<IpAddress> to = IpAddress::FromSockaddr(
        static_cast<const sockaddr*>(message->msg_name), message->msg_namelen);
    if (to.ok()) sent.to = *to;
  }
  if (message->msg_control != nullptr) {
    const auto* bytes = static_cast<const uint8_t*>(message->msg_control);
    sent.control.assign(bytes, bytes + message->msg_controllen);
  }
  const uint32_t send_id = s->sends++;
  const std::optional<int> timestamping = IntOption(fd, SOL_SOCKET, SO_TIMESTAMPING);
  // Loopback for UDP sockets: a datagram to the socket's own address comes straight back.
  if (s->type == SOCK_DGRAM && (s->protocol == 0 || s->protocol == IPPROTO_UDP) &&
      sent.to.has_value() && s->bound == sent.to && message->msg_name != nullptr) {
    sockaddr_storage to{};
    std::memcpy(&to, message->msg_name,
                std::min<size_t>(message->msg_namelen, sizeof(sockaddr_storage)));
    if (PortOf(to) == s->port) {
      Datagram echo{sent.data, sent.to, {}};
      if (timestamping.has_value() && (*timestamping & SOF_TIMESTAMPING_RX_SOFTWARE)) {
        echo.control = ReceiveStamp(wall());
      }
      s->receive_queue.push_back(std::move(echo));
    }
  }
  if (send_stamps_ && timestamping.has_value() && (*timestamping & SOF_TIMESTAMPING_TX_SOFTWARE)) {
    s->error_queue.push_back(SendStamp(s->domain, send_id, wall()));
  }
  const ssize_t length = static_cast<ssize_t>(sent.data.size());
  sent_.push_back(std::move(sent));
  if (on_send_) on_send_(sent_.back());
  return {length, 0};
}

SysCallSizeResult FakeSysCalls::RecvMsg(int fd, msghdr* message, int flags) {
  FakeSocket* s = MutableSocket(fd);
  if (s == nullptr) return FailSize(EBADF);
  const bool error_queue = (flags & MSG_ERRQUEUE) != 0;
  if (!error_queue && s->pending_error != 0) {
    const int error = s->pending_error;
    s->pending_error = 0;
    return FailSize(error);
  }
  std::deque<Datagram>& queue = error_queue ? s->error_queue : s->receive_queue;
  if (queue.empty()) return FailSize(EAGAIN);
  Datagram datagram = std::move(queue.front());
  queue.pop_front();
  message->msg_flags = 0;
  size_t copied = 0;
  if (message->msg_iovlen > 0) {
    copied = std::min(datagram.data.size(), message->msg_iov[0].iov_len);
    if (copied > 0) std::memcpy(message->msg_iov[0].iov_base, datagram.data.data(), copied);
    if (copied < datagram.data.size()) message->msg_flags |= MSG_TRUNC;
  }
  if (message->msg_name != nullptr) {
    if (datagram.from.has_value()) {
      sockaddr_storage storage{};
      const socklen_t full = datagram.from->ToSockaddr(0, &storage);
      std::memcpy(message->msg_name, &storage, std::min(full, message->msg_namelen));
      message->msg_namelen = full;
    } else {
      message->msg_namelen = 0;
    }
  }
  if (message->msg_control != nullptr) {
    const size_t control = std::min(datagram.control.size(), message->msg_controllen);
    if (control > 0) std::memcpy(message->msg_control, datagram.control.data(), control);
    if (control < datagram.control.size()) message->msg_flags |= MSG_CTRUNC;
    message->msg_controllen = control;
  }
  return {static_cast<ssize_t>(copied), 0};
}

SysCallIntResult FakeSysCalls::Close(int fd) {
  auto it = descriptors_.find(fd);
  if (it == descriptors_.end()) {
    ++bad_closes_;
    return Fail(EBADF);
  }
  if (it->second.kind == Kind::kSocket) closed_sockets_.push_back(std::move(it->second.socket));
  descriptors_.erase(it);
  // Closed descriptors leave every epoll set, as in Linux.
  for (auto& [number, descriptor] : descriptors_) {
    std::erase_if(descriptor.watched, [fd](const auto& w) { return w.first == fd; });
  }
  return {0, 0};
}

SysCallSizeResult FakeSysCalls::Read(int fd, void* buffer, size_t length) {
  auto it = descriptors_.find(fd);
  if (it == descriptors_.end() || it->second.kind != Kind::kEventFd) return FailSize(EBADF);
  if (length < sizeof(uint64_t)) return FailSize(EINVAL);
  if (it->second.counter == 0) return FailSize(EAGAIN);
  std::memcpy(buffer, &it->second.counter, sizeof(uint64_t));
  it->second.counter = 0;
  return {sizeof(uint64_t), 0};
}

SysCallSizeResult FakeSysCalls::Write(int fd, const void* buffer, size_t length) {
  auto it = descriptors_.find(fd);
  if (it == descriptors_.end() || it->second.kind != Kind::kEventFd) return FailSize(EBADF);
  if (length < sizeof(uint64_t)) return FailSize(EINVAL);
  uint64_t value;
  std::memcpy(&value, buffer, sizeof(value));
  it->second.counter += value;
  return {sizeof(uint64_t), 0};
}

SysCallIntResult FakeSysCalls::EventFd(unsigned int initial_value, int) {
  Descriptor d;
  d.kind = Kind::kEventFd;
  d.counter = initial_value;
  return {Open(std::move(d)), 0};
}

SysCallIntResult FakeSysCalls::EpollCreate(int) {
  Descriptor d;
  d.kind = Kind::kEpoll;
  return {Open(std::move(d)), 0};
}

SysCallIntResult FakeSysCalls::EpollCtl(int epoll_fd, int operation, int fd, epoll_event* event) {
  auto it = descriptors_.find(epoll_fd);
  if (it == descriptors_.end() || it->second.kind != Kind::kEpoll) return Fail(EBADF);
  if (!descriptors_.contains(fd)) return Fail(EBADF);
  auto& watched = it->second.watched;
  auto found =
      std::find_if(watched.begin(), watched.end(), [fd](const auto& w) { return w.first == fd; });
  switch (operation) {
    case EPOLL_CTL_ADD:
      if (found != watched.end()) return Fail(EEXIST);
      watched.emplace_back(fd, *event);
      return {0, 0};
    case EPOLL_CTL_DEL:
      if (found == watched.end()) return Fail(ENOENT);
      watched.erase(found);
      return {0, 0};
    case EPOLL_CTL_MOD:
      if (found == watched.end()) return Fail(ENOENT);
      found->second = *event;
      return {0, 0};
  }
  return Fail(EINVAL);
}

uint32_t FakeSysCalls::ReadyEvents(int fd) const {
  auto it = descriptors_.find(fd);
  if (it == descriptors_.end()) return 0;
  const Descriptor& d = it->second;
  if (d.kind == Kind::kEventFd) return d.counter > 0 ? uint32_t{EPOLLIN} : 0u;
  if (d.kind != Kind::kSocket) return 0;
  uint32_t events = 0;
  if (!d.socket.receive_queue.empty()) events |= EPOLLIN;
  if (!d.socket.error_queue.empty() || d.socket.pending_error != 0) events |= EPOLLERR;
  return events;
}

SysCallIntResult FakeSysCalls::EpollWait(int epoll_fd, epoll_event* events, int max_events, int) {
  auto it = descriptors_.find(epoll_fd);
  if (it == descriptors_.end() || it->second.kind != Kind::kEpoll) return Fail(EBADF);
  int n = 0;
  for (const auto& [fd, wanted] : it->second.watched) {
    if (n == max_events) break;
    // EPOLLERR is reported whether asked for or not.
    const uint32_t ready = ReadyEvents(fd) & (wanted.events | EPOLLERR);
    if (ready == 0) continue;
    events[n] = wanted;
    events[n].events = ready;
    ++n;
  }
  return {n, 0};
}

unsigned int FakeSysCalls::IfNameToIndex(const char* name) {
  auto it = interfaces_.find(name);
  return it == interfaces_.end() ? 0 : it->second;
}

timespec FakeSysCalls::ClockGetTime(clockid_t clock) {
  if (clock == CLOCK_REALTIME) return absl::ToTimespec(wall());
  const MonoTime now = mono_;
  mono_ += tick_;
  return now.ToTimespec();
}

}  // namespace pathpair::net
