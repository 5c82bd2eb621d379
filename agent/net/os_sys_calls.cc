#include "agent/net/os_sys_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace pathpair::net {
namespace {

template <typename T>
SysCallResult<T> Result(T value) {
  return {value, value < 0 ? errno : 0};
}

class RealSysCalls final : public OsSysCalls {
 public:
  SysCallIntResult Socket(int domain, int type, int protocol) override {
    return Result(::socket(domain, type, protocol));
  }
  SysCallIntResult SetSockOpt(int fd, int level, int name, const void* value,
                              socklen_t length) override {
    return Result(::setsockopt(fd, level, name, value, length));
  }
  SysCallIntResult GetSockOpt(int fd, int level, int name, void* value,
                              socklen_t* length) override {
    return Result(::getsockopt(fd, level, name, value, length));
  }
  SysCallIntResult Bind(int fd, const sockaddr* address, socklen_t length) override {
    return Result(::bind(fd, address, length));
  }
  SysCallIntResult Connect(int fd, const sockaddr* address, socklen_t length) override {
    return Result(::connect(fd, address, length));
  }
  SysCallIntResult GetSockName(int fd, sockaddr* address, socklen_t* length) override {
    return Result(::getsockname(fd, address, length));
  }
  SysCallSizeResult SendMsg(int fd, const msghdr* message, int flags) override {
    return Result(::sendmsg(fd, message, flags));
  }
  SysCallSizeResult RecvMsg(int fd, msghdr* message, int flags) override {
    return Result(::recvmsg(fd, message, flags));
  }
  SysCallIntResult Close(int fd) override { return Result(::close(fd)); }
  SysCallIntResult DupCloexec(int fd) override { return Result(::fcntl(fd, F_DUPFD_CLOEXEC, 0)); }
  SysCallSizeResult Read(int fd, void* buffer, size_t length) override {
    return Result(::read(fd, buffer, length));
  }
  SysCallSizeResult Write(int fd, const void* buffer, size_t length) override {
    return Result(::write(fd, buffer, length));
  }
  SysCallIntResult EventFd(unsigned int initial_value, int flags) override {
    return Result(::eventfd(initial_value, flags));
  }
  SysCallIntResult EpollCreate(int flags) override { return Result(::epoll_create1(flags)); }
  SysCallIntResult EpollCtl(int epoll_fd, int operation, int fd, epoll_event* event) override {
    return Result(::epoll_ctl(epoll_fd, operation, fd, event));
  }
  SysCallIntResult EpollWait(int epoll_fd, epoll_event* events, int max_events,
                             int timeout_ms) override {
    return Result(::epoll_wait(epoll_fd, events, max_events, timeout_ms));
  }
  unsigned int IfNameToIndex(const char* name) override { return ::if_nametoindex(name); }
  timespec ClockGetTime(clockid_t clock) override {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return ts;
  }
  void SleepFor(absl::Duration duration) override { absl::SleepFor(duration); }
};

}  // namespace

std::string ErrnoText(int error) {
  return absl::StrCat(std::strerror(error), " (errno ", error, ")");
}

OsSysCalls& OsSysCalls::Real() {
  static RealSysCalls* const real = new RealSysCalls();
  return *real;
}

}  // namespace pathpair::net
