// The probe engine of one trace: a pure state machine that decides which probes to send and
// when, matches their outcomes and keeps mtr's per-hop statistics. It owns no socket, thread or
// clock: the caller (the prober's event loop, which may drive many engines from shared sockets)
// tells it the time and the replies, and it answers with probes to send.
//
//   TraceEngine engine(config, identity, clock.Now());
//   while (!engine.Finished()) {
//     for (ProbeRequest p : engine.Poll(clock.Now())) {
//       ... build and send a probe: FillProbeSpec(identity, p.sequence, p.ttl, &spec, p.flow) ...
//       engine.OnSent(p.sequence, kernel_tx_time_or_now);   // or OnSendFailed(...)
//       // (OnSent must come before that probe's OnReply: the RTT starts from it.)
//     }
//     ... wait for a reply or engine.NextWakeup() ...
//     engine.OnReply(route.sequence, reply, kernel_rx_time);  // after TraceRegistry::RouteReply
//   }
//   TraceResult result = engine.Snapshot();   // result.final == true
//
// Semantics:
// - A round probes TTLs first_ttl..N in parallel: every probe of a round is due at the round's
//   start. Rounds start `interval` apart (no catch-up bursts if the caller is late). N starts
//   at max_ttl and shrinks to the TTL where the target answered (or a Destination Unreachable
//   ended the path). After the first round has completed, N also stops max_unknown hops past the
//   last TTL that ever answered (mtr -U).
// - Each probe expires probe_timeout after it was sent. Replies before then are accepted, late
//   or reordered; after, ignored (the probe counts as lost). A second reply to one probe is
//   ignored.
// - After the last round (count reached, or Stop()), the engine waits until every outstanding
//   probe is answered or expired, but no longer than `grace` after the last round started
//   (mtr -G); probes still outstanding then count as lost. Then Finished() is true. (mtr always
//   sleeps the whole grace; ending once nothing is outstanding gives the same counts sooner.)
// - Replies from the target at TTL t set the path's end to min(end, t); so does a Destination
//   Unreachable (other than the target's port unreachable to a UDP probe), which marks its hop
//   kUnreachable with the ICMP code. Hops past the end, and their probes, leave the results.
//   `reached` means the hop at the end is the destination.
// - With several flows (ProbeIdentity::extra_flow_identifiers), every probe of round r uses
//   flow r mod FlowCount; sequences stay unique per trace across flows, and statistics are
//   kept per TTL and per responder as with one flow, so ECMP branches show as several
//   responders at one TTL.
// - Results list TTLs first_ttl..L: L is the destination's or the unreachable hop's TTL when
//   known; otherwise one TTL past the last that answered (as mtr's report), capped at max_ttl.
//   A hop's `sent` counts only probes with a known outcome, so in-flight probes never show as
//   lost; once Finished(), it equals the probes sent at that TTL.
#ifndef PATHPAIR_AGENT_ENGINE_TRACE_ENGINE_H_
#define PATHPAIR_AGENT_ENGINE_TRACE_ENGINE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/engine/probe_matcher.h"
#include "agent/engine/probe_types.h"
#include "agent/engine/rtt_stats.h"
#include "agent/engine/trace_result.h"
#include "common/packet/packet.h"
#include "common/time/clock.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::engine {

// A trace's share of v1::ProbeOptions, validated: what the engine schedules by (TTLs, rounds,
// times) and what each probe carries besides the trace's identity (protocol, ports, TOS, size,
// pattern). Socket-level options (-I, -M, -a) stay with the caller.
struct TraceConfig {
  Ttl first_ttl{1};                                  // mtr -f
  Ttl max_ttl{30};                                   // mtr -m
  int count = 10;                                    // mtr -c: rounds; 0 = until Stop()
  absl::Duration interval = absl::Seconds(1);        // mtr -i
  absl::Duration probe_timeout = absl::Seconds(10);  // mtr -Z
  absl::Duration grace = absl::Seconds(5);           // mtr -G
  int max_unknown = 5;                               // mtr -U
  // Flows per trace (--flows), for TraceRegistry::Request::flows. The engine itself follows the
  // identity it is given: round r uses flow r mod FlowCount(identity).
  int flows = 1;

  packet::ProbeProtocol protocol = packet::ProbeProtocol::kIcmp;  // mtr -u / -T
  int ip_version = 0;  // mtr -4 / -6: the target must be of that version; 0 = either
  // UDP/TCP destination port (mtr -P); FromProto puts the protocol's default (33434 UDP, 80 TCP)
  // for 0. Unused for ICMP.
  int destination_port = 0;
  int local_port = 0;    // mtr -L: a fixed UDP/TCP source port; 0 = a random one per trace
  int tos = 0;           // mtr -Q: IPv4 TOS / IPv6 traffic class
  int bit_pattern = 0;   // mtr -B: the payload's byte
  int packet_size = 64;  // mtr -s: the whole IP packet (raised to what the headers need)

  // Checks ranges: 1 <= first_ttl <= max_ttl <= 255, count >= 0, positive durations,
  // max_unknown >= 1, 1 <= flows <= TraceRegistry::kMaxFlows, ip_version 0, 4 or 6, ports
  // 0..65535, tos and bit_pattern 0..255, packet_size 0..packet::kMaxPacketSize.
  absl::Status Validate() const;

  // Reads the trace's fields of `options`. Fields left 0 take mtr's defaults (interval 1 s,
  // first_ttl 1, max_ttl 30, probe_timeout 10 s, grace 5 s, max_unknown 5, flows 1, packet size
  // 64, the protocol's port); count 0 means unlimited. Negative, out-of-range or unknown values
  // (e.g. the protocol) are InvalidArgument.
  static absl::StatusOr<TraceConfig> FromProto(const v1::ProbeOptions& options);

  // InvalidArgument when ip_version asks for the other family than `target`'s.
  absl::Status CheckTarget(const IpAddress& target) const;

  // What to ask the TraceRegistry for, for a trace of this config to `target`.
  TraceRegistry::Request RegistryRequest(const IpAddress& target) const;

  // The part of every probe's spec that the identity does not give: source, TOS, size and
  // pattern. FillProbeSpec adds the rest per probe. Call after Validate().
  packet::ProbeSpec BaseProbeSpec(const IpAddress& source) const;
};

// A reply the engine counted (TraceEngine::OnReply): the probe's TTL and its round-trip time.
struct AcceptedReply {
  Ttl ttl;
  absl::Duration rtt;
  // The TTL is past the path's end as known now (e.g. the target answering a TTL-30 probe of
  // the first round): the hop is left out of the results, and per-probe logs may skip it.
  bool past_end = false;
};

// One probe to send now.
struct ProbeRequest {
  Sequence sequence;
  Ttl ttl;
  int flow = 0;  // which flow's identifier to send with (FillProbeSpec)
  friend bool operator==(const ProbeRequest&, const ProbeRequest&) = default;
};

class TraceEngine {
 public:
  // `config` must have passed Validate(). Round 0 is due at `start`.
  TraceEngine(const TraceConfig& config, const ProbeIdentity& identity, MonoTime start);

  TraceEngine(const TraceEngine&) = delete;
  TraceEngine& operator=(const TraceEngine&) = delete;
  TraceEngine(TraceEngine&&) = default;
  TraceEngine& operator=(TraceEngine&&) = default;

  // Expires probes whose timeout has passed, ends the trace when its grace is over, and returns
  // the probes due at `now` (a whole round, lowest TTL first, or nothing). Each returned probe
  // is in flight from `now` until OnSent refines its send time.
  std::vector<ProbeRequest> Poll(MonoTime now);

  // The time the probe actually left (a kernel timestamp when the socket layer has one). Call
  // before delivering its reply; its timeout counts from here. Unknown sequences are ignored.
  void OnSent(Sequence sequence, MonoTime sent_at);

  // The probe could not be sent. It counts as sent and lost (mtr shows a host it cannot reach
  // as 100% loss); the error is kept in last_send_error().
  void OnSendFailed(Sequence sequence, const absl::Status& error);

  // A reply that TraceRegistry::RouteReply attributed to `sequence` of this trace. Ignored when
  // the sequence is not in flight (unknown, expired, or already answered) or when
  // MatchReply(identity(), reply) does not give `sequence`. `received_at` should be the
  // kernel's receive timestamp; RTT = received_at - the probe's send time. Returns the probe's
  // TTL and RTT when the reply was counted, nullopt when it was ignored or came too late.
  std::optional<AcceptedReply> OnReply(Sequence sequence, const packet::ParsedReply& reply,
                                       MonoTime received_at);

  // No more rounds after those already started; outstanding probes get the grace as after the
  // last round.
  void Stop(MonoTime now);

  // Paused: no round starts (the screen's `p`); probes already in flight are still answered or
  // expire. Resuming starts the next round at once if its time has passed.
  void SetPaused(bool paused) { paused_ = paused; }
  bool paused() const { return paused_; }

  // When Poll should next be called: the next round, the earliest probe timeout or the end of
  // the grace. Once Finished(), the time it finished (in the past): an event loop that only
  // looks at NextWakeup still runs the trace once more and sees Finished(), even when the
  // last reply (OnReply), not a Poll, finished it. Finished traces must then be dropped.
  MonoTime NextWakeup() const;

  // True once the last round is over and its probes are resolved (or the grace ran out).
  bool Finished() const { return finished_; }

  // The results so far (final once Finished()). Fills target_address, reached, rounds, hops and
  // final; the caller fills the rest of TraceResult.
  TraceResult Snapshot() const;

  const ProbeIdentity& identity() const { return identity_; }
  const TraceConfig& config() const { return config_; }
  // Probes currently in flight.
  size_t in_flight() const { return in_flight_.size(); }
  // The most recent OnSendFailed error, OK if none.
  const absl::Status& last_send_error() const { return last_send_error_; }

 private:
  struct InFlight {
    Ttl ttl;
    int round = 0;
    MonoTime sent_at;
  };
  struct ResponderState {
    IpAddress address;
    int64_t received = 0;
    RttAccumulator rtt;
    std::vector<packet::MplsLabel> mpls;
  };
  struct HopState {
    int64_t sent = 0;  // probes with a known outcome
    int64_t received = 0;
    RttAccumulator rtt;
    std::vector<ResponderState> responders;  // in order of first reply
    bool destination = false;
    bool unreachable = false;
    int unreachable_code = 0;
  };

  HopState& Hop(Ttl ttl);
  const HopState* FindHop(Ttl ttl) const;
  std::optional<Sequence> AllocateSequence();
  void Resolve(Sequence sequence);
  void CompleteRound(int round);
  void ExpireUntil(MonoTime now);
  void MaybeFinish(MonoTime now);
  Ttl ProbeLimit() const;
  Ttl LastHopShown() const;
  Ttl LastResponding() const;

  TraceConfig config_;
  ProbeIdentity identity_;
  MonoTime next_round_at_;
  int rounds_started_ = 0;
  int rounds_completed_ = 0;
  bool stopped_ = false;
  bool paused_ = false;
  bool finished_ = false;
  MonoTime finished_at_;
  MonoTime grace_deadline_ = MonoTime::Infinite();
  uint16_t next_sequence_ = 1;
  absl::flat_hash_map<Sequence, InFlight> in_flight_;
  // (sent_at + probe_timeout, sequence) of every probe in flight, earliest first.
  std::set<std::pair<MonoTime, Sequence>> deadlines_;
  // Probes still in flight per round, for rounds not yet complete (bounded by in-flight rounds).
  absl::flat_hash_map<int, int> outstanding_by_round_;
  bool first_round_complete_ = false;
  std::map<Ttl, HopState> hops_;  // by TTL; only TTLs that had a probe resolve
  std::optional<Ttl> end_ttl_;    // destination or unreachable TTL, the lowest seen
  absl::Status last_send_error_;
};

}  // namespace pathpair::engine

#endif  // PATHPAIR_AGENT_ENGINE_TRACE_ENGINE_H_
