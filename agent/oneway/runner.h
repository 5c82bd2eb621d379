// OneWayRunner: runs a OneWaySession over one real UDP socket. Receive times come from the
// kernel (SO_TIMESTAMPNS, CLOCK_REALTIME) when it provides them and from clock_gettime
// otherwise; send times are CLOCK_REALTIME read just before sendto. CLOCK_REALTIME is used on
// purpose: one-way delay compares stamps of two hosts, whose wall clocks are either one kernel
// clock, disciplined (NTP, chrony, PTP), or reconciled by the session's round-trip offset
// estimate (session.h); the controller decides which (controller/paired/oneway_clock.h).
//
// Binding is separate from running so that an agent can report its port before the test starts
// (bind with port 0 for an ephemeral one):
//
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<oneway::OneWayRunner> runner,
//                             oneway::OneWayRunner::Bind(local_address, /*port=*/0));
//   reply.set_port(runner->local_port());                  // tell the controller
//   ... later, with the peer's address and the shared config:
//   absl::StatusOr<oneway::OneWayResult> result = runner->Run(
//       peer_address, peer_port, config, [&] { return context->IsCancelled(); });
#ifndef PATHPAIR_AGENT_ONEWAY_RUNNER_H_
#define PATHPAIR_AGENT_ONEWAY_RUNNER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "agent/oneway/session.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"

namespace pathpair::oneway {

struct RunOptions {
  // Send to the port the peer's packets actually come from (a NAT may map it), once the first
  // authenticated packet of the session (wire.h: MAC under the session key) arrives from the
  // peer's own address. The address never changes: a packet from any other address, even an
  // authenticated one (replayed by someone else), never redirects where we send.
  bool follow_peer_source = false;
  // TEST ONLY (pathpair-agent --test-clock-offset-ms): added to every wall-clock stamp, sent
  // and received, as if this host's clock were off by this much. Lets tests on one host show
  // what each one-way clock method does with a clock that is wrong. Zero in production.
  absl::Duration test_clock_offset = absl::ZeroDuration();
};

class OneWayRunner {
 public:
  // A UDP socket bound to local:port (port 0 = ephemeral). `local` may be IpAddress::Any(family).
  static absl::StatusOr<std::unique_ptr<OneWayRunner>> Bind(const IpAddress& local, uint16_t port);
  ~OneWayRunner();
  OneWayRunner(const OneWayRunner&) = delete;
  OneWayRunner& operator=(const OneWayRunner&) = delete;

  uint16_t local_port() const { return local_port_; }
  // Whether the kernel accepted SO_TIMESTAMPNS (receive stamps then come from the kernel).
  bool kernel_timestamps() const { return kernel_timestamps_; }

  // Runs one session with the peer until it is done (one Run at a time per runner). Blocks for
  // about start wait + packet_count * interval + linger. Once `cancelled` returns true it stops
  // sending within 50 ms and returns what it measured so far, with `interrupted` set;
  // InvalidArgument for a bad config or a peer of another address family. `clock` gives the
  // monotonic schedule and the wall-clock send stamps.
  absl::StatusOr<OneWayResult> Run(const IpAddress& peer, uint16_t peer_port,
                                   const OneWayConfig& config,
                                   const std::function<bool()>& cancelled,
                                   const RunOptions& options = {},
                                   const Clock& clock = SystemClock::Get());

 private:
  OneWayRunner(int fd, IpFamily family, uint16_t port, bool kernel_timestamps)
      : fd_(fd), family_(family), local_port_(port), kernel_timestamps_(kernel_timestamps) {}

  int fd_;
  IpFamily family_;
  uint16_t local_port_;
  bool kernel_timestamps_;
};

}  // namespace pathpair::oneway

#endif  // PATHPAIR_AGENT_ONEWAY_RUNNER_H_
