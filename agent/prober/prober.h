// The prober: one event loop that serves many traces from one shared set of sockets. Each trace
// is a TraceEngine (a pure state machine) plus an identity from the TraceRegistry; the loop
// sends the probes the engines ask for, parses every received packet once with the codec,
// routes it to the one trace it answers, and reports snapshots and final results through
// callbacks. Timers are kept in an ordered set (O(log n) per trace), there is no thread or
// socket per trace, so a single loop serves thousands of concurrent traces.
//
// Used by the agent (traces commanded over gRPC) and by `pathpair trace` (in-process, through
// RunTrace in run_trace.h). Not thread-safe: every call except Post() and RequestStop() must come
// from the loop's thread; other threads hand work to the loop with Post().
//
//   Prober prober(transport, SystemClock::Get());
//   TraceRequest request{.options = options, .target = target};
//   PATHPAIR_RETURN_IF_ERROR(ResolveLocalEnd(request));   // system calls: not in the loop
//   TraceCallbacks callbacks{.on_snapshot = Print, .on_finished = Store};
//   absl::StatusOr<Prober::TraceId> id = prober.AddTrace(request, std::move(callbacks));
//   PATHPAIR_RETURN_IF_ERROR(prober.Run());   // returns when no trace is left
//
// Tests drive Step() with a FakeClock and a fake ProbeTransport instead of Run().
#ifndef PATHPAIR_AGENT_PROBER_PROBER_H_
#define PATHPAIR_AGENT_PROBER_PROBER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/engine/probe_matcher.h"
#include "agent/engine/trace_engine.h"
#include "agent/engine/trace_result.h"
#include "agent/net/os_sys_calls.h"
#include "agent/net/probe_transport.h"
#include "agent/net/socket_set.h"
#include "common/net/ip_address.h"
#include "common/packet/packet.h"
#include "common/time/clock.h"
#include "common/trace/probe_events.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::prober {

// A trace to run: the user's options and the already resolved target.
struct TraceRequest {
  v1::ProbeOptions options;
  IpAddress target;
  // The local end, which only the OS knows: the address probes leave from, and the index of
  // options.interface() (-I; 0 when none), which rides on each probe since the sockets are
  // shared. ResolveLocalEnd looks both up on the caller's thread; AddTrace runs in the event
  // loop, makes no system call, and refuses a request whose local end is not known.
  std::optional<IpAddress> source;
  uint32_t interface_index = 0;
};

// Fills request.source, when empty, from the kernel's routing decision (net::FindSourceAddress,
// honouring options.source_address (-a) and options.interface (-I)), and request.interface_index
// from options.interface. Errors: InvalidArgument for an unparsable -a or an unknown -I,
// Unavailable when there is no route. Call before AddTrace, off the event loop.
absl::Status ResolveLocalEnd(TraceRequest& request, net::OsSysCalls& sys = net::OsSysCalls::Real());

struct TraceCallbacks {
  // After each round starts: the trace so far (final == false).
  std::function<void(const engine::TraceResult&)> on_snapshot;
  // Exactly once: the final result (final == true; error set if the trace failed or was
  // cancelled). The trace is gone from the prober when this runs.
  std::function<void(const engine::TraceResult&)> on_finished;
  // Optional, not owned (must outlive the trace): every probe sent (after its send time is
  // known) and every reply the engine accepted, with the probe's on-wire sequence (mtr -l).
  ProbeEventSink* probe_events = nullptr;
};

// Counters for tests, benchmarks and diagnostics.
struct ProberCounters {
  uint64_t probes_sent = 0;
  uint64_t send_failures = 0;
  uint64_t packets_received = 0;
  uint64_t packets_unparsed = 0;  // not a reply the codec understands (e.g. our own requests)
  uint64_t packets_foreign = 0;   // parsed, but no live trace's
  uint64_t replies_routed = 0;
};

// Optional observers of the whole loop, for process-wide counters (the agent's metrics). They
// run on the loop thread: keep them cheap and non-blocking.
struct ProberHooks {
  std::function<void()> on_probe_sent;
  // A reply routed to a live trace's probe.
  std::function<void(packet::ReplyKind)> on_reply_routed;
};

class Prober {
 public:
  using TraceId = engine::TraceRegistry::TraceId;

  // `transport` and `clock` must outlive the prober. `random` feeds the registry's identities
  // (nullptr: non-deterministic).
  Prober(net::ProbeTransport& transport, const Clock& clock,
         std::function<uint32_t()> random = nullptr);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Validates the options (engine::TraceConfig), allocates an identity and schedules round 0
  // now. Errors (InvalidArgument for bad options, FailedPrecondition when the sockets cannot
  // carry the protocol or family or when the local end is not resolved) leave nothing behind.
  absl::StatusOr<TraceId> AddTrace(const TraceRequest& request, TraceCallbacks callbacks);

  // Graceful end: no new rounds; outstanding probes get their grace (mtr -G), then on_finished.
  void Stop(TraceId trace);
  // Immediate end: no further probe is sent, replies in flight are ignored, and on_finished
  // runs now with the result so far (engine::TraceEngine::Interrupt: overdue probes count as
  // lost, younger ones are left out; interrupted and incomplete set) and error "cancelled".
  // Unknown ids are ignored.
  void Cancel(TraceId trace);

  // One turn of the loop at clock.Now(): receive and route replies, run due engines, send their
  // probes, finish traces that are done. Returns when the loop next has something to do
  // (MonoTime::Infinite() when idle).
  MonoTime Step();

  // Runs Step() and waits (ppoll on the transport, nanosecond timeout, 1 ns timer slack) until no
  // trace is left or RequestStop() is called. Requires a transport with a wait_fd.
  absl::Status Run();
  // Like Run, but keeps running while idle, until RequestStop() (the agent's loop).
  absl::Status RunUntilStopped();

  // Thread-safe: runs `work` on the loop's thread at its next turn (wakes a waiting loop).
  void Post(std::function<void()> work);
  // Thread-safe: makes Run/RunUntilStopped return at the next turn. Traces stay as they are.
  void RequestStop();

  // Async-signal-safe cancellation for the CLI: a SIGINT handler sets the flag, ppoll returns
  // EINTR, and the loop cancels every trace (each gets its on_finished). nullptr: none.
  void set_interrupt_flag(const std::atomic<bool>* flag) { interrupt_ = flag; }
  // Pause for the CLI's screen (`p`): while the flag is true no trace starts a round (replies to
  // probes in flight are still counted), and Run wakes every 100 ms to see it cleared. Read at
  // every Step(). nullptr: none.
  void set_pause_flag(const std::atomic<bool>* flag) { pause_ = flag; }

  size_t active_traces() const { return traces_.size(); }
  const ProberCounters& counters() const { return counters_; }
  // Call before the loop runs (not thread-safe against it).
  void set_hooks(ProberHooks hooks) { hooks_ = std::move(hooks); }

 private:
  struct Trace;

  // An identity for a trace of `config` to `target`; with unprivileged sockets also the ICMP
  // socket of its echo id (retrying other ids that another process holds).
  absl::StatusOr<engine::TraceRegistry::Registration> Register(const engine::TraceConfig& config,
                                                               const IpAddress& target,
                                                               bool unprivileged);
  absl::Status RunLoop(bool until_stopped);
  void ReceiveAndRoute();
  void RunDue(TraceId id, MonoTime now);
  void SendProbes(Trace& trace, const std::vector<engine::ProbeRequest>& probes);
  void Reschedule(TraceId id, Trace& trace);
  void Finish(TraceId id, const std::string& error);
  engine::TraceResult ResultOf(const Trace& trace) const;
  void RunPosted();
  void ApplyPauseFlag();

  net::ProbeTransport& transport_;
  const Clock& clock_;
  engine::TraceRegistry registry_;
  absl::flat_hash_map<TraceId, std::unique_ptr<Trace>> traces_;
  std::set<std::pair<MonoTime, TraceId>> timers_;  // (wakeup, trace)
  std::vector<net::ReceivedPacket> received_;      // reused between turns
  std::vector<engine::ProbeRequest> due_;          // likewise
  std::vector<uint8_t> probe_buffer_;
  std::string local_hostname_;
  ProberCounters counters_;
  ProberHooks hooks_;

  const std::atomic<bool>* interrupt_ = nullptr;
  const std::atomic<bool>* pause_ = nullptr;
  bool paused_ = false;             // the pause flag's value as last applied to the engines
  net::FileDescriptor wake_event_;  // eventfd for Post/RequestStop
  absl::Mutex posted_mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(posted_mu_);
  std::atomic<bool> posted_pending_{false};  // posted_ may hold work (set under posted_mu_)
  std::atomic<bool> stop_requested_{false};
};

// The codec entry point for a packet as the transport delivered it.
absl::StatusOr<packet::ParsedReply> ParseReceivedPacket(const net::ReceivedPacket& packet);

}  // namespace pathpair::prober

#endif  // PATHPAIR_AGENT_PROBER_PROBER_H_
