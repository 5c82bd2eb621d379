// The real-time loop of pathpair-netsim: one thread reads packets from the two TUN devices,
// hands them to the PathEngine with their receive time, sleeps with nanosecond timeouts (timer
// slack 1 ns) until shortly before the next scheduled event, polls without sleeping for the
// last stretch (NETSIM_SPIN_US, default 150 us), and writes packets out when they are due. Stops
// when the caller's signal handler says so.
//
//   Runner runner(scenario, client_fd, server_fd, &event_log);
//   int sig = runner.Run(signal_fd, [](const signalfd_siginfo& si) { return true; });
#ifndef PATHPAIR_TESTS_NETSIM_RUNNER_H_
#define PATHPAIR_TESTS_NETSIM_RUNNER_H_

#include <sys/signalfd.h>

#include <functional>
#include <memory>

#include "pathpair/v1/netsim.pb.h"
#include "tests/netsim/event_log.h"
#include "tests/netsim/path_engine.h"

namespace pathpair::netsim {

class Runner : public PacketSink {
 public:
  Runner(const pathpair::v1::Scenario& scenario, int client_fd, int server_fd, EventLog* log);

  // Loops until `on_signal` returns true for a signal read from `signal_fd` (a signalfd).
  // Returns 0, or an error number if polling failed.
  int Run(int signal_fd, const std::function<bool(const signalfd_siginfo&)>& on_signal);

  void Deliver(Side to, std::span<const uint8_t> packet, PacketRecord& record) override;
  void Dropped(const PacketRecord& record) override;

  struct Stats {
    uint64_t received = 0, delivered = 0, dropped = 0, write_errors = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  void DrainTun(Side side);

  int client_fd_;
  int server_fd_;
  EventLog* log_;
  std::unique_ptr<PathEngine> engine_;
  Stats stats_;
  // How long before an event the loop stops sleeping and polls (NETSIM_SPIN_US overrides).
  absl::Duration spin_ = absl::Microseconds(150);
};

// CLOCK_MONOTONIC now.
MonoTime MonotonicNow();

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_RUNNER_H_
