// The probe engine of one trace: a pure state machine that decides which probes to send and
// when, matches their outcomes and keeps mtr's per-hop statistics. It owns no socket, thread or
// clock: the caller (the prober's event loop, which may drive many engines from shared sockets)
// tells it the time and the replies, and it answers with probes to send.
//
//   TraceEngine engine(config, identity, clock.Now());
//   while (!engine.Finished()) {
//     for (ProbeRequest p : engine.Poll(clock.Now())) {   // a round, or a sweep's next TTL
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
// - Rounds start `interval` apart (no catch-up bursts if the caller is late). Which TTLs a round
//   probes: first_ttl..N, where N is the smallest of max_ttl, the path's end (the TTL where the
//   target answered, or where a Destination Unreachable ended the path) and max_unknown hops
//   past the highest TTL that ever answered (mtr -U).
// - Once the path's end is known, a round sends all its probes at once, at its start.
// - While the end is unknown (round 0, or a target that stays silent), a round is a sweep: it
//   sends first_ttl at its start, then one TTL at a time, upward. The next TTL goes out at once
//   when the round's highest TTL sent so far is answered, or else after a pacing step
//   (SweepPace: twice the highest RTT seen, kept within [kMinSweepPace, kMaxSweepPace]), and
//   only while it is at most kSweepWindow TTLs above the round's highest TTL that is answered
//   or overdue. Once the target (or an unreachable) answers, no TTL past it is sent. So a first
//   round sends at most kSweepWindow - 1 probes past the destination, and none when the
//   destination answers within a pacing step. Why (measured on namespaces of stock Linux
//   routers, issue 9): a Linux target answers UDP with port unreachables from a per-destination
//   token bucket (icmp_ratelimit 1000 ms: ~1 per second after a burst of 6), and a first round
//   that probed every TTL up to max_ttl spent that burst on ~26 probes past the target; its
//   Loss% at the target was 80% where mtr's, which sends one TTL at a time and restarts at the
//   destination, was 67%. The sweep ends when its next TTL is past the limit and none of its
//   probes is still waiting (answered or overdue), so a run of silent hops is crossed at the
//   pacing rate (kSweepWindow of them at a time) and a silent target ends it after -U hops.
// - TCP (-T) and mtr: on such a path mtr -T shows less loss at the routers than we do (47% vs
//   63% at -i 0.2, 30 rounds), although both get the same Time Exceeded per router while
//   probing. mtr's TCP probes are connect() sockets, so the kernel retransmits each unanswered
//   SYN (at +1 s, +3 s, ...), with the same TTL and ports; the routers answer those later, from
//   tokens refilled after the probing phase, and mtr counts the answers, with RTTs of 2-7 s.
//   That is not loss measurement and is deliberately not copied: one probe, one chance. With
//   -Z 1 (its sockets closed before the first retransmission) mtr shows our 63% too, which is
//   how tests/integration/test_default_icmp_limits.py compares the two.
// - Each probe expires probe_timeout after it was sent (mtr -Z). Replies before then are
//   accepted, late or reordered; after, ignored (the probe counts as lost). A second reply to one
//   probe is ignored.
// - Overdue: a probe still unanswered at sent + OverdueDelay counts as lost from then on, so
//   live figures show loss within a few rounds instead of after -Z. OverdueDelay(ttl) =
//   kOverdueRttMultiple times the highest RTT seen at that TTL or any later one (at any TTL when
//   none answered there yet), at least kOverdueFloor, at most probe_timeout; it is fixed when
//   the probe is sent. A reply that comes after that but before -Z still counts: the loss is
//   taken back.
// - `rounds` counts the rounds whose probes are all sent and answered, lost or overdue, so it
//   advances every round even on a lossy path; rounds_started the rounds begun.
// - After the last round (count reached, or Stop()), the engine waits until every outstanding
//   probe is answered or expired, but no longer than `grace` after the last round started
//   (mtr -G); probes still outstanding then count as lost. Then Finished() is true. (mtr always
//   sleeps the whole grace; ending once nothing is outstanding gives the same counts sooner.)
// - Interrupt() (Ctrl-C, an agent's Stop) ends the trace at once with honest figures: a probe
//   counts iff its overdue time has passed, as lost if unanswered; younger probes are left out
//   whether answered or not, so that quick answers are not counted while the losses of the same
//   rounds are not yet known (which would bias Loss% low). `rounds` is then the rounds whose
//   every probe counted (a hop may have a probe or two more, from later rounds' probes that were
//   already overdue), and the result says interrupted and incomplete.
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
//   A hop's `sent` counts the probes with a known outcome (answered, expired or overdue), so
//   in-flight probes never show as lost before they are overdue; once Finished() (not
//   interrupted), it equals the probes sent at that TTL.
#ifndef PATHPAIR_AGENT_ENGINE_TRACE_ENGINE_H_
#define PATHPAIR_AGENT_ENGINE_TRACE_ENGINE_H_

#include <cstdint>
#include <deque>
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
  // The sweep of a round whose path end is unknown (see the file comment). A window of 3 keeps
  // the probes a first round can send past a destination whose answer is slow or lost at 2 (a
  // third of Linux's default burst of 6 port unreachables per destination), while the sweep
  // still crosses up to 3 silent hops in a row without waiting for them to be overdue.
  static constexpr int kSweepWindow = 3;
  // The pacing step is twice the highest RTT seen so far: the next hop's answer usually comes
  // within it (a hop further is rarely twice as far), so the destination's answer stops the
  // sweep before another TTL goes out. 10 ms at least (a LAN or a namespace answers in well under
  // that, and a silent hop should not cost more), 500 ms at most (so that a run of silent hops
  // on a satellite path is still crossed within a few seconds). Answers that come sooner move
  // the sweep on at once, so on a path that answers the pacing is never waited for.
  static constexpr absl::Duration kMinSweepPace = absl::Milliseconds(10);
  static constexpr absl::Duration kMaxSweepPace = absl::Milliseconds(500);
  static constexpr int kSweepPaceRttMultiple = 2;
  // Overdue: three times the highest RTT seen at or beyond the probe's hop. RTTs on a path
  // rarely triple from one round to the next, and a late answer still counts before -Z.
  static constexpr int kOverdueRttMultiple = 3;
  // The floor keeps a path with tiny RTTs (or none seen yet) from calling a probe lost after a
  // few milliseconds; 1 s still shows loss within a few rounds at mtr's default interval.
  static constexpr absl::Duration kOverdueFloor = absl::Seconds(1);

  // `config` must have passed Validate(). Round 0 is due at `start`.
  TraceEngine(const TraceConfig& config, const ProbeIdentity& identity, MonoTime start);

  TraceEngine(const TraceEngine&) = delete;
  TraceEngine& operator=(const TraceEngine&) = delete;
  TraceEngine(TraceEngine&&) = default;
  TraceEngine& operator=(TraceEngine&&) = default;

  // Marks overdue probes, expires probes whose timeout has passed, ends the trace when its
  // grace is over, and returns the probes due at `now`: a new round's (all of it, or its first
  // TTL while sweeping) and the next TTL of each sweep that may go on, lowest TTL first within a
  // round. Each returned probe is in flight from `now` until OnSent refines its send time.
  std::vector<ProbeRequest> Poll(MonoTime now);
  // The same, appending to `due` (which the caller may reuse between calls: no allocation).
  void Poll(MonoTime now, std::vector<ProbeRequest>& due);

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
  // TTL and RTT when the reply was counted, nullopt when it was ignored or came too late. A
  // reply may let a sweep go on at once: NextWakeup() then says `received_at`.
  std::optional<AcceptedReply> OnReply(Sequence sequence, const packet::ParsedReply& reply,
                                       MonoTime received_at);

  // No more rounds after those already started; outstanding probes get the grace as after the
  // last round (a sweep under way goes on within it). Before `count` rounds, the result says
  // interrupted.
  void Stop(MonoTime now);

  // Paused: no round starts (the screen's `p`); probes already in flight are still answered or
  // expire. Resuming starts the next round at once if its time has passed.
  void SetPaused(bool paused) { paused_ = paused; }
  bool paused() const { return paused_; }

  // Ends the trace now (Finished() becomes true): overdue probes count as lost, younger ones are
  // left out, answered or not (see the file comment). The result says interrupted and
  // incomplete. Ignored once Finished().
  void Interrupt(MonoTime now);

  // When Poll should next be called: the next round, a sweep's next step, the earliest probe
  // that becomes overdue or times out, or the end of the grace. Once Finished(), the time it
  // finished (in the past): an event loop that only looks at NextWakeup still runs the trace
  // once more and sees Finished(), even when the last reply (OnReply), not a Poll, finished
  // it. Finished traces must then be dropped.
  MonoTime NextWakeup() const;

  // True once the last round is over and its probes are resolved (or the grace ran out), or
  // after Interrupt().
  bool Finished() const { return finished_; }

  // The results so far (final once Finished()). Fills target_address, reached, rounds,
  // rounds_started, interrupted, incomplete, hops and final; the caller fills the rest.
  TraceResult Snapshot() const;

  const ProbeIdentity& identity() const { return identity_; }
  const TraceConfig& config() const { return config_; }
  // Probes currently in flight (overdue ones included, until they are answered or expire).
  size_t in_flight() const { return in_flight_.size(); }
  // Rounds begun so far. A caller that reports once per round compares it across Poll calls.
  int rounds_started() const { return rounds_started_; }
  // The most recent OnSendFailed error, OK if none.
  const absl::Status& last_send_error() const { return last_send_error_; }

 private:
  struct InFlight {
    Ttl ttl;
    int round = 0;
    MonoTime sent_at;
    MonoTime overdue_at;
    bool overdue = false;  // already counted as lost in its hop's `sent`
  };
  // An answer to a probe, kept with its round until the round retires: Interrupt() takes out
  // those that came before the probe's overdue time, if that time has not passed.
  struct Answer {
    MonoTime overdue_at;
    Ttl ttl;
    IpAddress responder;
  };
  // A round not yet retired (retired: settled, nothing in flight, every probe past its
  // overdue time).
  struct RoundState {
    int flow = 0;
    bool sweeping = false;  // TTLs may still be sent
    int next_ttl = 0;       // the sweep's next TTL
    int top_sent = 0;       // the highest TTL sent
    int settled_top = 0;    // the highest TTL answered or overdue
    MonoTime next_step_at = MonoTime::Infinite();
    int in_flight = 0;            // probes without a final outcome (overdue ones included)
    int pending = 0;              // probes in flight and not yet overdue
    MonoTime matures_at;          // the latest overdue time of its probes
    bool settled = false;         // counted in rounds_settled_
    std::vector<Answer> answers;  // answers that came before their probe's overdue time
  };
  struct ResponderState {
    IpAddress address;
    int64_t received = 0;
    RttAccumulator rtt;
    std::vector<packet::MplsLabel> mpls;
  };
  struct HopState {
    int64_t sent = 0;  // probes with a known outcome, overdue ones included
    int64_t received = 0;
    // Every reply at this TTL, whichever responder sent it; filled only from the second
    // responder on: with one responder (most hops) it is that responder's, which is not kept
    // twice (an agent keeps this for every hop of its 1,000 traces). Read through AllReplies().
    RttAccumulator rtt;
    const RttAccumulator& AllReplies() const {
      return responders.size() == 1 ? responders.front().rtt : rtt;
    }
    absl::Duration worst_rtt;                // rtt's Wrst, kept apart: read for every probe sent
    std::vector<ResponderState> responders;  // in order of first reply
    bool destination = false;
    bool unreachable = false;
    int unreachable_code = 0;
  };

  // The round's state while it is not retired, else nullptr.
  RoundState* FindRound(int round);
  // Calls visit(round, state) for each round that is sweeping, in order (`self`: *this, const
  // or not).
  template <typename Self, typename Visit>
  static void ForEachSweepingRound(Self& self, Visit visit);
  // Moves first_sweeping_round_ past the rounds that no longer sweep.
  void SkipEndedSweeps();
  HopState& Hop(Ttl ttl);
  const HopState* FindHop(Ttl ttl) const;
  std::optional<Sequence> AllocateSequence();
  void StartRound(MonoTime now, std::vector<ProbeRequest>& due);
  // Sends `ttl` in `round`, overdue after `overdue_delay`; false when no sequence is free.
  bool SendProbe(int round, RoundState& state, Ttl ttl, absl::Duration overdue_delay, MonoTime now,
                 std::vector<ProbeRequest>& due);
  void StepSweep(int round, RoundState& state, MonoTime now, std::vector<ProbeRequest>& due);
  // Whether the sweep's next TTL may go out once its pacing step has come.
  bool SweepMayStep(const RoundState& state) const;
  void RefreshRound(RoundState& state);
  void RefreshAllRounds();
  // The probe's outcome is final: it leaves the in-flight tables and its round's counts.
  void Resolve(Sequence sequence);
  // Counts an in-flight probe as lost (in its hop's `sent`), unless it already is (overdue).
  void CountLost(Sequence sequence);
  void MarkOverdueUntil(MonoTime now);
  void ExpireUntil(MonoTime now);
  void RetireRounds(MonoTime now);
  void Advance(MonoTime now);
  void MaybeFinish(MonoTime now);
  // The overdue delays of TTLs first_ttl..last (index ttl - first_ttl), in one pass.
  std::vector<absl::Duration> OverdueDelays(Ttl last) const;
  absl::Duration OverdueDelay(Ttl ttl) const { return OverdueDelays(ttl).back(); }
  absl::Duration SweepPace() const;
  absl::Duration HighestRtt() const;
  Ttl HardLimit() const;
  Ttl ProbeLimit() const;
  Ttl LastHopShown() const;
  Ttl LastResponding() const;

  TraceConfig config_;
  ProbeIdentity identity_;
  MonoTime next_round_at_;
  int rounds_started_ = 0;
  int rounds_settled_ = 0;
  int rounds_retired_ = 0;
  bool stopped_ = false;
  bool paused_ = false;
  bool stopped_early_ = false;  // by Stop() before `count` rounds started
  bool interrupted_ = false;    // by Interrupt()
  int interrupted_rounds_ = 0;  // rounds whose every probe counted, at Interrupt()
  bool finished_ = false;
  MonoTime finished_at_;
  MonoTime grace_deadline_ = MonoTime::Infinite();
  uint16_t next_sequence_ = 1;
  absl::flat_hash_map<Sequence, InFlight> in_flight_;
  // (sent_at + probe_timeout, sequence) of every probe in flight, earliest first.
  std::set<std::pair<MonoTime, Sequence>> deadlines_;
  // (overdue_at, sequence) of every probe in flight and not yet overdue, earliest first.
  std::set<std::pair<MonoTime, Sequence>> overdue_deadlines_;
  // The rounds not yet retired: round rounds_retired_ + i is rounds_[i]. Rounds retire in
  // order (a round that could retire waits for the rounds before it, which changes nothing
  // observable: see Interrupt), so a round costs nothing once it is retired, and a per-probe
  // or per-round step never walks the ~interval/overdue-floor rounds that are kept (1,000 at
  // -i 0.001).
  std::deque<RoundState> rounds_;
  // No round before this one is sweeping (sweeps only end), so the loops over sweeping rounds
  // start here instead of at the oldest round kept. Advanced by Poll (SkipEndedSweeps).
  int first_sweeping_round_ = 0;
  std::map<Ttl, HopState> hops_;  // by TTL; only TTLs that had a probe resolve
  std::optional<Ttl> end_ttl_;    // destination or unreachable TTL, the lowest seen
  absl::Status last_send_error_;
};

}  // namespace pathpair::engine

#endif  // PATHPAIR_AGENT_ENGINE_TRACE_ENGINE_H_
