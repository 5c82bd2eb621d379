// OsSysCalls: the system calls of the socket layer (agent/net: sockets, descriptors, epoll,
// interface names, clocks) behind one small interface, in the style of Envoy's Api::OsSysCalls.
// Production code uses OsSysCalls::Real(), a set of thin stateless wrappers; unit tests pass a
// fake (tests/agent/net/fake_sys_calls.h) that scripts the kernel, so the error queue, the
// timestamps and the ancillary data are tested without root. (Dropping capabilities, in
// socket_set.h, stays with libcap: it has nothing to script.)
//
// A call costs one virtual dispatch and nothing else: no allocation, no extra system call. Each
// result carries the call's errno, so callers never read the global errno after something else
// may have changed it.
//
//   OsSysCalls& sys = OsSysCalls::Real();
//   SysCallIntResult fd = sys.Socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
//   if (fd.value < 0) return ErrnoText(fd.error);
//   SysCallSizeResult sent = sys.SendMsg(fd.value, &header, 0);
#ifndef PATHPAIR_AGENT_NET_OS_SYS_CALLS_H_
#define PATHPAIR_AGENT_NET_OS_SYS_CALLS_H_

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace pathpair::net {

// A system call's return value and, when it failed (value < 0), its errno; 0 otherwise.
template <typename T>
struct SysCallResult {
  T value;
  int error = 0;
};
using SysCallIntResult = SysCallResult<int>;
using SysCallSizeResult = SysCallResult<ssize_t>;

// "Operation not permitted (errno 1)": how pathpair's messages show an errno.
std::string ErrnoText(int error);

class OsSysCalls {
 public:
  virtual ~OsSysCalls() = default;

  // The real system calls. Stateless and thread-safe; lives as long as the process.
  static OsSysCalls& Real();

  // Sockets.
  virtual SysCallIntResult Socket(int domain, int type, int protocol) = 0;
  virtual SysCallIntResult SetSockOpt(int fd, int level, int name, const void* value,
                                      socklen_t length) = 0;
  virtual SysCallIntResult GetSockOpt(int fd, int level, int name, void* value,
                                      socklen_t* length) = 0;
  virtual SysCallIntResult Bind(int fd, const sockaddr* address, socklen_t length) = 0;
  virtual SysCallIntResult Connect(int fd, const sockaddr* address, socklen_t length) = 0;
  virtual SysCallIntResult GetSockName(int fd, sockaddr* address, socklen_t* length) = 0;
  virtual SysCallSizeResult SendMsg(int fd, const msghdr* message, int flags) = 0;
  // flags may include MSG_ERRQUEUE (send timestamps, ICMP errors of datagram sockets).
  virtual SysCallSizeResult RecvMsg(int fd, msghdr* message, int flags) = 0;

  // Descriptors, eventfd and epoll.
  virtual SysCallIntResult Close(int fd) = 0;
  // fcntl(fd, F_DUPFD_CLOEXEC, 0): a second descriptor of the same open socket.
  virtual SysCallIntResult DupCloexec(int fd) = 0;
  virtual SysCallSizeResult Read(int fd, void* buffer, size_t length) = 0;
  virtual SysCallSizeResult Write(int fd, const void* buffer, size_t length) = 0;
  virtual SysCallIntResult EventFd(unsigned int initial_value, int flags) = 0;
  virtual SysCallIntResult EpollCreate(int flags) = 0;
  virtual SysCallIntResult EpollCtl(int epoll_fd, int operation, int fd, epoll_event* event) = 0;
  virtual SysCallIntResult EpollWait(int epoll_fd, epoll_event* events, int max_events,
                                     int timeout_ms) = 0;

  // Interfaces: the index of the interface called `name` (if_nametoindex), 0 if none.
  virtual unsigned int IfNameToIndex(const char* name) = 0;

  // Clocks (vDSO reads in the real one) and sleeping.
  virtual timespec ClockGetTime(clockid_t clock) = 0;
  virtual void SleepFor(absl::Duration duration) = 0;
};

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_OS_SYS_CALLS_H_
