// The paired test's orchestration (`pathpair test`): check both ends, learn the reverse
// target, start the forward trace, the reverse trace and both halves of the one-way
// measurement together, follow them to the end (or to Ctrl-C), collect a PairedRun (the
// one-way delays put on one time base by both ends' clocks: oneway_clock.h), and then have each
// end resolve the router aliases of the other direction's hops (so that the merge matches
// routers, not addresses). A side that fails mid-test never stops the other: its error is
// recorded and the run is partial.
//
// It only talks to the two Endpoints (endpoint.h), so tests drive it with fakes.
//
//   PairedTestPlan plan;
//   plan.probe = parsed_options;                 // count > 0
//   plan.server_endpoint = "203.0.113.80:8620";
//   plan.forward_target = "203.0.113.80";
//   PairedDeps deps = SystemPairedDeps();
//   absl::StatusOr<v1::PairedRun> run = RunPairedTest(plan, client, server, deps, cancel,
//   progress); if (!run.ok()) ...            // nothing started: an end is unreachable, Reflect
//   failed ...
#ifndef PATHPAIR_CONTROLLER_PAIRED_ORCHESTRATOR_H_
#define PATHPAIR_CONTROLLER_PAIRED_ORCHESTRATOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/paired/endpoint.h"
#include "pathpair/v1/agent.pb.h"
#include "pathpair/v1/paired.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::paired {

struct PairedTestPlan {
  // Probe options for both traces (target ignored). The reverse trace gets the same options
  // without the client-only ones (-a source address, -I interface).
  v1::ProbeOptions probe;
  // The server agent as the user gave it ("HOST:PORT"); its port is where the client side
  // reaches the server agent over the path (Reflect).
  std::string server_endpoint;
  std::string forward_target;  // address literal
  // The forward target is the server agent's own address (no --target): when the server cannot
  // be reached over it, the error says to give --target.
  bool forward_target_is_server = false;
  std::string reverse_target;  // address literal, or empty: learned through Reflect
  // The agents are reached in plaintext (--insecure): how a connection failure is explained
  // (a TLS mismatch gets a one-line hint, not gRPC's words).
  bool insecure = false;
  // An end that cannot be reached from the other (behind NAT, or a firewall that admits no new
  // inbound connection: a dial-in agent, controller/fleet). Nothing ever connects to it:
  // - server_behind_nat: the server calls Reflect on the client agent at client_endpoint
  //   (ADDRESS:PORT), and the forward target is the address the client saw it come from (the
  //   NAT's public address; forward_target may then be empty); the reverse target is the
  //   client's ADDRESS (or reverse_target).
  // - client_behind_nat: as usual (the client calls Reflect on the server; the reverse target
  //   is the NAT's public address).
  // The one-way measurement needs nothing more: the end behind NAT sends too, which opens the
  // NAT's mapping; the outside end's hellos are dropped until then, and it sends to the source
  // port the inside end's packets come from (agent/oneway: hello phase, follow_peer_source).
  bool client_behind_nat = false;
  bool server_behind_nat = false;
  // The client agent over the path ("HOST:PORT"): where the server reaches it when
  // server_behind_nat.
  std::string client_endpoint;
  bool oneway = true;
  // One-way packets each way; 0: as many as fit in the traces' duration at oneway_interval,
  // at least kMinOneWayPackets (oneway_schedule.h).
  int64_t oneway_count = 0;
  // The longest interval between one-way packets: they are closer together (down to
  // kMinOneWayInterval) when that is what fits them in the traces' duration.
  absl::Duration oneway_interval = absl::Milliseconds(5);
  int32_t oneway_packet_size = 0;  // 0: the smallest test packet
  absl::Duration lease = absl::Seconds(10);
  // When an agent's limits refuse the test (RESOURCE_EXHAUSTED: it is busy with other
  // measurements or controllers), Reflect and the start of the sessions are tried again, with
  // jittered exponential backoff from busy_backoff, until busy_wait has passed; then the refusal
  // stands (the run records it). Zero: no retry.
  absl::Duration busy_wait = absl::ZeroDuration();
  absl::Duration busy_backoff = absl::Milliseconds(250);
  // After the traces, each end resolves the other direction's hop addresses (a few seconds).
  bool resolve_aliases = true;
};

struct PairedDeps {
  std::function<int64_t()> now_unix_us;
  std::function<std::string(absl::Time start)> new_run_id;
  std::function<std::string()> new_pairing_id;  // 8..128 characters
  std::function<uint64_t()> new_test_id;        // not 0
  // The one-way session key both agents get: 32 bytes from a cryptographic random source.
  std::function<std::string()> new_session_key;
};

// Wall clock, history::NewRunId, random ids.
PairedDeps SystemPairedDeps();

// What is known while the test runs, for live progress.
struct LiveState {
  std::optional<v1::TraceResult> forward;  // latest snapshot
  std::optional<v1::TraceResult> reverse;
  std::optional<v1::AgentOneWayResult> client_oneway;
  std::optional<v1::AgentOneWayResult> server_oneway;
  int32_t rounds_wanted = 0;
  int64_t oneway_packets_wanted = 0;
};
// Called with every new live state. The sessions report from their own threads, but calls never
// overlap and arrive in the order the states were made, so the callback needs no lock of its own.
using ProgressFn = std::function<void(const LiveState&)>;

// "ADDRESS:PORT" / "[V6]:PORT" / "HOST:PORT" split into host and port. InvalidArgument with a
// message for the user when the port is missing or out of range.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(absl::string_view endpoint);
// The inverse, bracketing IPv6 literals.
std::string JoinHostPort(absl::string_view host, int port);

// Runs the test in six phases: check both ends (Info), learn the reverse target (Reflect),
// start the four sessions together, follow them to their end (or `cancel`), collect the run,
// and (when both traces ended and nobody interrupted) resolve router aliases on both ends at
// once (run.client_aliases / server_aliases; a failure there is an error string in them, never
// a failed run). Errors only when nothing could start (Info or Reflect failed, bad plan); the
// message says which end and why. Once started, every failure lands in the PairedRun.
absl::StatusOr<v1::PairedRun> RunPairedTest(const PairedTestPlan& plan, Endpoint& client,
                                            Endpoint& server, const PairedDeps& deps,
                                            const CancelToken& cancel, const ProgressFn& progress);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_ORCHESTRATOR_H_
