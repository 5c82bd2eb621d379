// FakeSysCalls: a scripted kernel behind the OsSysCalls seam, so the socket layer (OpenSocketSet,
// SocketTransport, FindSourceAddress) runs in unit tests without root, sockets or sleeping.
//
// What it models, as far as pathpair relies on it:
// - descriptors: socket, eventfd and epoll descriptors with numbers of their own (never real
//   ones), socket options as set, close (closing an unknown descriptor is counted);
// - queues: a receive queue and an error queue per socket that recvmsg (MSG_ERRQUEUE) reads,
//   with msg_name and ancillary data; a pending socket error (SO_ERROR);
// - send timestamps: like Linux with SOF_TIMESTAMPING_TX_SOFTWARE | OPT_ID | OPT_TSONLY, every
//   send queues a stamp on the error queue whose ee_data counts the socket's sends from 0;
// - loopback for UDP sockets (a datagram sent to the socket's own address comes back, stamped);
// - epoll (level-triggered: EPOLLIN for a non-empty receive queue, EPOLLERR for a non-empty error
//   queue or a pending error), interfaces by name, and the two clocks. Every CLOCK_MONOTONIC
//   read advances both clocks by a tick (1 us by default), so readings around a call differ;
//   SleepFor advances them without waiting.
//
//   FakeSysCalls kernel;
//   absl::StatusOr<SocketSet> sockets = OpenSocketSet(plan, kernel);
//   auto transport = SocketTransport::Create(*std::move(sockets));
//   kernel.QueueReceive(kernel.FindSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP), reply);
#ifndef PATHPAIR_TESTS_AGENT_NET_FAKE_SYS_CALLS_H_
#define PATHPAIR_TESTS_AGENT_NET_FAKE_SYS_CALLS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "agent/net/control_message.h"
#include "agent/net/os_sys_calls.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"

namespace pathpair::net {

class FakeSysCalls final : public OsSysCalls {
 public:
  // One datagram (or error-queue entry) as recvmsg hands it out.
  struct Datagram {
    std::vector<uint8_t> data;
    std::optional<IpAddress> from;  // msg_name
    std::vector<uint8_t> control;   // ancillary data, e.g. ControlMessageWriter::written()
  };

  // One sendmsg call the code under test made.
  struct Sent {
    int fd = -1;
    std::vector<uint8_t> data;
    std::optional<IpAddress> to;
    std::vector<uint8_t> control;
    MonoTime at;  // the monotonic clock during the call
    // The control message (level, type) of this send, if it carried one.
    std::optional<ControlMessage> Find(int level, int type) const;
    std::optional<int> IntOf(int level, int type) const;
  };

  struct FakeSocket {
    int domain = 0;
    int type = 0;  // without SOCK_NONBLOCK / SOCK_CLOEXEC
    int protocol = 0;
    std::map<std::pair<int, int>, std::vector<uint8_t>> options;  // (level, name) -> last value
    std::optional<IpAddress> bound;
    uint16_t port = 0;
    bool connected = false;
    std::deque<Datagram> receive_queue;
    std::deque<Datagram> error_queue;
    int pending_error = 0;
    uint32_t sends = 0;  // the next send's OPT_ID
  };

  FakeSysCalls();

  // --- Scripting the kernel ---
  // socket(domain, type, protocol) fails with `error` (EPERM: no CAP_NET_RAW).
  void FailSocket(int domain, int type, int protocol, int error);
  // setsockopt(level, name) fails with `error`, on every socket.
  void FailSetSockOpt(int level, int name, int error);
  // The next `count` sendmsg calls fail with `error`; with `leave_pending`, each also leaves it
  // as the socket's pending error (SO_ERROR), as an ICMP error reported to a datagram socket does.
  void FailSends(int error, int count = 1, bool leave_pending = false);
  // bind() to this port (an ICMP echo id, for datagram ICMP sockets) fails with EADDRINUSE.
  void TakePort(uint16_t port) { taken_ports_.insert(port); }
  // connect() fails with `error` (ENETUNREACH: no route).
  void FailConnect(int error) { connect_error_ = error; }
  // The address the routing decision gives a connected socket of its family.
  void SetRouteSource(const IpAddress& source);
  void AddInterface(const std::string& name, unsigned int index) { interfaces_[name] = index; }
  void QueueReceive(int fd, Datagram datagram);
  void QueueError(int fd, Datagram datagram);
  void SetPendingError(int fd, int error);
  // Whether sends queue their TX stamp (on by default; off: stamps are lost or come later,
  // queued by the test with SendStamp).
  void set_send_stamps(bool on) { send_stamps_ = on; }
  // Runs after each successful sendmsg (e.g. to step the wall clock before the caller reads it).
  void set_on_send(std::function<void(const Sent&)> hook) { on_send_ = std::move(hook); }

  // A send-timestamp error-queue entry as Linux queues it for a socket of `domain`: the stamp
  // (SO_TIMESTAMPING, software) and a sock_extended_err of origin TIMESTAMPING with ee_data `id`.
  static Datagram SendStamp(int domain, uint32_t id, absl::Time wall);
  // Control data carrying a software receive stamp (SO_TIMESTAMPING).
  static std::vector<uint8_t> ReceiveStamp(absl::Time wall);

  // --- Clocks ---
  MonoTime mono() const { return mono_; }
  absl::Time wall() const { return WallAt(mono_); }
  absl::Time WallAt(MonoTime t) const {
    return absl::UnixEpoch() + (t.SinceEpoch() + wall_offset_);
  }
  void Advance(absl::Duration d) { mono_ += d; }
  void StepWallClock(absl::Duration d) { wall_offset_ += d; }
  void set_tick(absl::Duration tick) { tick_ = tick; }

  // --- Inspection ---
  const std::vector<Sent>& sent() const { return sent_; }
  const FakeSocket* socket_state(int fd) const;
  // The newest open socket of this kind (type without flags), or -1.
  int FindSocket(int domain, int type, int protocol) const;
  std::optional<int> IntOption(int fd, int level, int name) const;
  bool HasOption(int fd, int level, int name) const;
  size_t open_descriptors() const { return descriptors_.size(); }
  // Sockets as they were when closed, oldest first (e.g. to see the options of a lookup socket).
  const std::vector<FakeSocket>& closed_sockets() const { return closed_sockets_; }
  int bad_closes() const { return bad_closes_; }
  int sockets_opened() const { return sockets_opened_; }

  // --- OsSysCalls ---
  SysCallIntResult Socket(int domain, int type, int protocol) override;
  SysCallIntResult SetSockOpt(int fd, int level, int name, const void* value,
                              socklen_t length) override;
  SysCallIntResult GetSockOpt(int fd, int level, int name, void* value, socklen_t* length) override;
  SysCallIntResult Bind(int fd, const sockaddr* address, socklen_t length) override;
  SysCallIntResult Connect(int fd, const sockaddr* address, socklen_t length) override;
  SysCallIntResult GetSockName(int fd, sockaddr* address, socklen_t* length) override;
  SysCallSizeResult SendMsg(int fd, const msghdr* message, int flags) override;
  SysCallSizeResult RecvMsg(int fd, msghdr* message, int flags) override;
  SysCallIntResult Close(int fd) override;
  // Not modelled (a duplicate would share the socket's queues): fails with ENOSYS.
  SysCallIntResult DupCloexec(int) override { return {-1, ENOSYS}; }
  SysCallSizeResult Read(int fd, void* buffer, size_t length) override;
  SysCallSizeResult Write(int fd, const void* buffer, size_t length) override;
  SysCallIntResult EventFd(unsigned int initial_value, int flags) override;
  SysCallIntResult EpollCreate(int flags) override;
  SysCallIntResult EpollCtl(int epoll_fd, int operation, int fd, epoll_event* event) override;
  SysCallIntResult EpollWait(int epoll_fd, epoll_event* events, int max_events,
                             int timeout_ms) override;
  unsigned int IfNameToIndex(const char* name) override;
  timespec ClockGetTime(clockid_t clock) override;
  void SleepFor(absl::Duration duration) override { mono_ += duration; }

 private:
  enum class Kind { kSocket, kEventFd, kEpoll };
  struct Descriptor {
    Kind kind = Kind::kSocket;
    FakeSocket socket;
    uint64_t counter = 0;                              // eventfd
    std::vector<std::pair<int, epoll_event>> watched;  // epoll: (fd, event), in order added
  };
  int Open(Descriptor descriptor);
  FakeSocket* MutableSocket(int fd);
  uint32_t ReadyEvents(int fd) const;

  std::map<int, Descriptor> descriptors_;
  int next_fd_ = 1000;
  uint16_t next_port_ = 40000;
  int bad_closes_ = 0;
  int sockets_opened_ = 0;
  std::map<std::tuple<int, int, int>, int> socket_errors_;
  std::map<std::pair<int, int>, int> option_errors_;
  int send_error_ = 0;
  int send_errors_left_ = 0;
  bool send_errors_leave_pending_ = false;
  std::set<uint16_t> taken_ports_;
  int connect_error_ = 0;
  std::map<IpFamily, IpAddress> route_sources_;
  std::map<std::string, unsigned int> interfaces_;
  bool send_stamps_ = true;
  std::function<void(const Sent&)> on_send_;
  std::vector<Sent> sent_;
  std::vector<FakeSocket> closed_sockets_;
  MonoTime mono_ = MonoTime::FromEpochDuration(absl::Seconds(5000));
  absl::Duration wall_offset_ = absl::Seconds(1'700'000'000);
  absl::Duration tick_ = absl::Microseconds(1);
};

}  // namespace pathpair::net

#endif  // PATHPAIR_TESTS_AGENT_NET_FAKE_SYS_CALLS_H_
