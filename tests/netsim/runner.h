// The real-time loop of the emulator: one thread reads packets from the TUN devices of one or more
// segments, hands each to its segment's PathEngine with its receive time, sleeps with nanosecond
// timeouts (timer slack 1 ns) until shortly before the next scheduled event, polls without
// sleeping for the last stretch (NETSIM_SPIN_US, default 150 us), and writes packets out when
// they are due. Stops when the caller's signal handler says so. A segment is a scenario's path
// between the endpoints' namespaces (pathpair-netsim) or a wire between two routers
// (pathpair-topo, WireScenario).
//
//   Runner runner({Segment{scenario, client_fd, server_fd, &event_log}});
//   int error = runner.Run(signal_fd, [](const signalfd_siginfo& si) { return true; });
#ifndef PATHPAIR_TESTS_NETSIM_RUNNER_H_
#define PATHPAIR_TESTS_NETSIM_RUNNER_H_

#include <sys/signalfd.h>

#include <functional>
#include <memory>
#include <vector>

#include "tests/netsim/event_log.h"
#include "tests/netsim/netsim.pb.h"
#include "tests/netsim/path_engine.h"

namespace pathpair::netsim {

struct Segment {
  v1::Scenario scenario;  // validated
  int client_fd = -1;     // the TUN at the client end (a wire's a end)
  int server_fd = -1;
  EventLog* log = nullptr;  // may be null
};

class Runner {
 public:
  explicit Runner(std::vector<Segment> segments);
  ~Runner();

  // Loops until `on_signal` returns true for a signal read from `signal_fd` (a signalfd).
  // Returns 0, or an error number if polling failed.
  int Run(int signal_fd, const std::function<bool(const signalfd_siginfo&)>& on_signal);

  struct Stats {
    uint64_t received = 0, delivered = 0, dropped = 0, write_errors = 0;
  };
  Stats stats() const;  // over all segments

 private:
  class Lane;
  std::vector<std::unique_ptr<Lane>> lanes_;
  // How long before an event the loop stops sleeping and polls (NETSIM_SPIN_US overrides).
  absl::Duration spin_ = absl::Microseconds(150);
};

// CLOCK_MONOTONIC now.
MonoTime MonotonicNow();

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_RUNNER_H_
