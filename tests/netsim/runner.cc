#include "tests/netsim/runner.h"

#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
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

// One segment: its engine, the two TUN devices it reads and writes, its event log.
class Runner::Lane : public PacketSink {
 public:
  explicit Lane(const Segment& segment)
      : client_fd_(segment.client_fd), server_fd_(segment.server_fd), log_(segment.log) {
    const MonoTime start = MonotonicNow();
    engine_ = std::make_unique<PathEngine>(segment.scenario, start, this);
    if (log_) log_->Start(segment.scenario, start);
  }

  void Deliver(Side to, std::span<const uint8_t> packet, PacketRecord& record) override {
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

  void Dropped(const PacketRecord& record) override {
    ++stats_.dropped;
    if (log_) log_->Write(record, std::nullopt);
  }

  void Drain(Side side) {
    const int fd = side == Side::kClient ? client_fd_ : server_fd_;
    uint8_t buffer[65536];
    for (int i = 0; i < 256; ++i) {
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) return;  // EAGAIN, or the device went away
      ++stats_.received;
      engine_->Receive(side, std::span<const uint8_t>(buffer, static_cast<size_t>(n)),
                       MonotonicNow());
    }
  }

  void Flush() {
    if (log_) log_->Flush();
  }

  PathEngine& engine() { return *engine_; }
  int fd(Side side) const { return side == Side::kClient ? client_fd_ : server_fd_; }
  const Stats& stats() const { return stats_; }

 private:
  int client_fd_;
  int server_fd_;
  EventLog* log_;
  std::unique_ptr<PathEngine> engine_;
  Stats stats_;
};

Runner::Runner(std::vector<Segment> segments) {
  if (const char* spin = getenv("NETSIM_SPIN_US"); spin != nullptr) {
    spin_ = absl::Microseconds(atoi(spin));
  }
  for (const Segment& s : segments) lanes_.push_back(std::make_unique<Lane>(s));
}

Runner::~Runner() = default;

Runner::Stats Runner::stats() const {
  Stats sum;
  for (const auto& lane : lanes_) {
    sum.received += lane->stats().received;
    sum.delivered += lane->stats().delivered;
    sum.dropped += lane->stats().dropped;
    sum.write_errors += lane->stats().write_errors;
  }
  return sum;
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
  // Two TUN devices per lane, then the signals.
  std::vector<pollfd> fds;
  for (const auto& lane : lanes_) {
    fds.push_back({lane->fd(Side::kClient), POLLIN, 0});
    fds.push_back({lane->fd(Side::kServer), POLLIN, 0});
  }
  fds.push_back({signal_fd, POLLIN, 0});
  auto flush_all = [&] {
    for (const auto& lane : lanes_) lane->Flush();
  };
  for (;;) {
    MonoTime now = MonotonicNow();
    MonoTime next = MonoTime::Infinite();
    for (const auto& lane : lanes_) {
      lane->engine().RunUntil(now);
      next = std::min(next, lane->engine().NextEventTime());
    }
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
      if (wait > absl::Milliseconds(2)) flush_all();
    } else {
      flush_all();
    }
    const int ready = ppoll(fds.data(), fds.size(), timeout_ptr, nullptr);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (ready == 0) continue;
    for (size_t i = 0; i < lanes_.size(); ++i) {
      if (fds[2 * i].revents & POLLIN) lanes_[i]->Drain(Side::kClient);
      if (fds[2 * i + 1].revents & POLLIN) lanes_[i]->Drain(Side::kServer);
    }
    if (fds.back().revents & POLLIN) {
      signalfd_siginfo si;
      if (read(signal_fd, &si, sizeof si) == sizeof si && on_signal(si)) {
        flush_all();
        return 0;
      }
    }
  }
}

}  // namespace pathpair::netsim
