// A scripted network path for engine tests: routers at TTL 1..N, then the target, each with its
// own reply delay, silence pattern, ECMP responders, MPLS labels and duplicates. It turns a
// probe (identity + sequence + TTL + send time) into the ParsedReply values that a real path
// would produce, with their arrival times, so tests run the engine and the registry exactly as
// the prober does, on a FakeClock, without sockets.
//
//   FakePath path(identity, {FakeHop{.responders = {r1}}, FakeHop{.responders = {r2}}});
//   FakeNetwork net;
//   net.Attach(trace_id, &engine, &path);
//   net.RunUntilFinished(clock, registry);
#ifndef PATHPAIR_TESTS_AGENT_ENGINE_FAKE_NETWORK_H_
#define PATHPAIR_TESTS_AGENT_ENGINE_FAKE_NETWORK_H_

#include <functional>
#include <map>
#include <vector>

#include "absl/time/time.h"
#include "agent/engine/probe_matcher.h"
#include "agent/engine/trace_engine.h"
#include "common/net/ip_address.h"
#include "common/packet/packet.h"
#include "common/time/clock.h"

namespace pathpair::engine::testing {

// One router (or the target, as FakePath's last element's successor) on the scripted path.
struct FakeHop {
  // Who answers. Several: ECMP-like, the n-th probe at this TTL is answered by
  // responders[n % size]. Empty: the hop never answers.
  std::vector<IpAddress> responders;
  // Flow-hash ECMP instead: every probe of one flow (its ICMP id or source port) is answered
  // by the same responder, and distinct flows get responders round-robin in the order they
  // first appear (an ideal hash), so N flows see min(N, responders) of them.
  bool flow_hash = false;
  absl::Duration delay = absl::Milliseconds(10);
  // Overrides `delay` for the n-th probe at this TTL (n counts from 0) when set.
  std::function<absl::Duration(int n)> delay_of;
  // True: the n-th probe at this TTL gets no reply (ICMP rate limiting, or loss).
  std::function<bool(int n)> silent;
  std::vector<packet::MplsLabel> mpls;
  int copies = 1;  // >1: the reply is duplicated
  // Answer with Destination Unreachable (this code) instead of Time Exceeded, for every probe
  // that reaches this hop (it forwards nothing).
  std::optional<uint8_t> unreachable_code;
};

// The path to identity.target: routers[i] answers probes with TTL i+1; probes with a TTL beyond
// the routers reach the target, which answers as `target` says (its responders are ignored: the
// target always answers from identity.target).
class FakePath {
 public:
  FakePath(ProbeIdentity identity, IpAddress source, std::vector<FakeHop> routers,
           FakeHop target = FakeHop{});

  struct Delivery {
    MonoTime at;
    packet::ParsedReply reply;
  };
  // The replies that one probe causes.
  std::vector<Delivery> Send(ProbeRequest probe, MonoTime sent_at);

  // The reply a router at `ttl` would send for a probe, for hand-crafted tests.
  // `flow` selects the flow identifier the probe carried (FlowIdentifier).
  packet::ParsedReply TimeExceededFrom(IpAddress router, Sequence sequence, Ttl ttl,
                                       int flow = 0) const;
  packet::ParsedReply TargetReply(Sequence sequence, int flow = 0) const;
  packet::QuotedProbe Quote(Sequence sequence, Ttl ttl, int flow = 0) const;

  int target_ttl() const { return static_cast<int>(routers_.size()) + 1; }

 private:
  ProbeIdentity identity_;
  IpAddress source_;
  std::vector<FakeHop> routers_;
  FakeHop target_;
  std::map<int, int> probes_at_ttl_;
  // Per TTL: flow identifier -> responder index, for flow_hash hops.
  std::map<int, std::map<uint16_t, size_t>> flow_branches_;
};

// Drives engines like the prober's event loop: polls them, "sends" their probes through their
// paths, and delivers replies through the registry in time order.
class FakeNetwork {
 public:
  void Attach(TraceRegistry::TraceId trace, TraceEngine* engine, FakePath* path);
  // Extra packets to deliver at a given time (foreign or hostile traffic).
  void Inject(MonoTime at, const packet::ParsedReply& reply);

  // Runs until every attached engine is Finished() (or `limit` of simulated time passes).
  void RunUntilFinished(FakeClock& clock, const TraceRegistry& registry,
                        absl::Duration limit = absl::Hours(1));
  // Runs until the clock reaches `until`.
  void RunUntil(FakeClock& clock, const TraceRegistry& registry, MonoTime until);

  // Probes handed out by each engine's Poll, per TTL.
  const std::map<int, int>& probes_sent(TraceRegistry::TraceId trace) { return sent_[trace]; }
  // Every probe handed out by Poll, in order.
  const std::vector<ProbeRequest>& requests(TraceRegistry::TraceId trace) {
    return requests_[trace];
  }
  // When each of requests(trace) was sent (the time of the Poll that returned it).
  const std::vector<MonoTime>& request_times(TraceRegistry::TraceId trace) {
    return request_times_[trace];
  }
  int replies_routed() const { return replies_routed_; }
  int replies_dropped() const { return replies_dropped_; }
  // True if an engine kept asking to be woken at the current time without progress (a bug).
  bool stalled() const { return stalled_; }

 private:
  struct Attached {
    TraceEngine* engine;
    FakePath* path;
  };
  void PollAll(MonoTime now);
  bool AllFinished() const;
  MonoTime NextEvent() const;

  std::map<TraceRegistry::TraceId, Attached> traces_;
  std::multimap<MonoTime, packet::ParsedReply> pending_;
  std::map<TraceRegistry::TraceId, std::map<int, int>> sent_;
  std::map<TraceRegistry::TraceId, std::vector<ProbeRequest>> requests_;
  std::map<TraceRegistry::TraceId, std::vector<MonoTime>> request_times_;
  int replies_routed_ = 0;
  int replies_dropped_ = 0;
  bool stalled_ = false;
};

}  // namespace pathpair::engine::testing

#endif  // PATHPAIR_TESTS_AGENT_ENGINE_FAKE_NETWORK_H_
