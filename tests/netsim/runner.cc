#include "tests/netsim/runner.h"

#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <string>

namespace pathpair::netsim {

MonoTime MonotonicNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return MonoTime::FromTimespec(ts);
}

Runner::Runner(const pathpair::v1::Scenario& scenario, int client_fd, int server_fd, EventLog* log)
    : client_fd_(client_fd), server_fd_(server_fd), log_(log) {
  if (const char* spin = getenv("NETSIM_SPIN_US"); spin != nullptr) {
    spin_ = absl::Microseconds(atoi(spin));
  }
  const MonoTime start = MonotonicNow();
  engine_ = std::make_unique<PathEngine>(scenario, start, this);
  if (log_) log_->Start(scenario, start);
}

void Runner::Deliver(Side to, std::span<const uint8_t> packet, PacketRecord& record) {
  const int fd = to == Side::kClient ? client_fd_ : server_fd_;
  ssize_t n;
  do {
    n = write(fd, packet.data(), packet.size());
  } while (n < 0 && errno == EINTR);
  const MonoTime tx = MonotonicNow();
  if (n < 0) {
    ++stats_.write_errors;
    record.fate = "write_failed";
    if (log_) log_->Write(record, std::nullopt);
    return;
  }
  ++stats_.delivered;
  if (log_) log_->Write(record, tx);
}

void Runner::Dropped(const PacketRecord& record) {
  ++stats_.dropped;
  if (log_) log_->Write(record, std::nullopt);
}

void Runner::DrainTun(Side side) {
  const int fd = side == Side::kClient ? client_fd_ : server_fd_;
  uint8_t buffer[65536];
  for (int i = 0; i < 256; ++i) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return;  // EAGAIN, or the device went away
    ++stats_.received;
    engine_->Receive(side, std::span<const uint8_t>(buffer, static_cast<size_t>(n)),
                     MonotonicNow());
  }
}

int Runner::Run(int signal_fd, const std::function<bool(const signalfd_siginfo&)>& on_signal) {
  // Nanosecond timers: the default 50 us slack would be added to every emulated delay.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  // On a busy machine a normal thread waits for a CPU for milliseconds, which would be added to
  // RTTs; a real-time priority avoids that. The loop sleeps whenever no packet is due, and the
  // kernel's RT throttling bounds it anyway. NETSIM_REALTIME=0 turns this off.
  const char* realtime = getenv("NETSIM_REALTIME");
  if (realtime == nullptr || std::string(realtime) != "0") {
    sched_param param{};
    param.sched_priority = 10;
    sched_setscheduler(0, SCHED_FIFO, &param);  // best effort: fails without CAP_SYS_NICE
  }
  pollfd fds[3] = {{client_fd_, POLLIN, 0}, {server_fd_, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  for (;;) {
    MonoTime now = MonotonicNow();
    engine_->RunUntil(now);
    const MonoTime next = engine_->NextEventTime();
    timespec timeout;
    timespec* timeout_ptr = nullptr;
    if (next != MonoTime::Infinite()) {
      absl::Duration wait = next - MonotonicNow();
      // Sleep until shortly before the event, then poll without sleeping: a timed wake-up on
      // this kind of machine comes tens of microseconds late, which would be added to RTTs.
      // Also before events that write nothing: while polling, a packet from a TUN is read the
      // moment it arrives, whereas waking from sleep takes ~40 us here, which would be added to
      // its receive time (measured: RTT error 53 us with this, 96 us spinning before deliveries
      // only).
      wait = wait > spin_ ? wait - spin_ : absl::ZeroDuration();
      timeout = absl::ToTimespec(wait);
      timeout_ptr = &timeout;
      if (wait > absl::Milliseconds(2) && log_) log_->Flush();
    } else if (log_) {
      log_->Flush();
    }
    int ready = ppoll(fds, 3, timeout_ptr, nullptr);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (ready == 0) continue;
    if (fds[0].revents & POLLIN) DrainTun(Side::kClient);
    if (fds[1].revents & POLLIN) DrainTun(Side::kServer);
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo si;
      if (read(signal_fd, &si, sizeof si) == sizeof si && on_signal(si)) {
        if (log_) log_->Flush();
        return 0;
      }
    }
  }
}

}  // namespace pathpair::netsim
