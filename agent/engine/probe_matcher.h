// Deciding which trace and which probe a reply answers. A trace's probes all carry the same
// identity (ICMP id, or UDP/TCP ports and the high half of the TCP sequence); the per-probe
// Sequence rides in a field that routers quote back. MatchReply checks one trace's identity
// against a parsed reply; TraceRegistry hands out identities that are unique among the live
// traces of one process and routes each reply to the single trace it belongs to.
// A trace may probe with several flows (Request::flows, `pathpair trace --flows`): each flow has
// its own ICMP id or UDP/TCP source port, all routed to the same trace, so flow-hashing load
// balancers (ECMP) spread the flows over their branches while each flow stays on one path.
//
//   TraceRegistry registry;
//   absl::StatusOr<TraceRegistry::Registration> reg = registry.Register(
//       {.protocol = ProbeProtocol::kUdp, .target = target, .destination_port = 33434});
//   FillProbeSpec(reg->identity, request.sequence, request.ttl, &spec, request.flow);  // send
//   if (std::optional<TraceRegistry::Route> r = registry.RouteReply(reply)) {
//     engines[r->trace]->OnReply(r->sequence, reply, received_at);
//   }
//
// Foreign replies (other identities, other targets, quotes of other protocols) are ignored.
// Everything in a ParsedReply is untrusted; nothing here can crash on any field value.
#ifndef PATHPAIR_AGENT_ENGINE_PROBE_MATCHER_H_
#define PATHPAIR_AGENT_ENGINE_PROBE_MATCHER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "agent/engine/probe_types.h"
#include "common/net/ip_address.h"
#include "common/packet/packet.h"

namespace pathpair::engine {

// What every probe of one trace has in common. UDP and TCP keep the whole 5-tuple constant
// (Paris traceroute) within a flow, so ECMP routers hash all probes of a flow onto one path;
// with one flow (the default) that is the whole trace.
struct ProbeIdentity {
  packet::ProbeProtocol protocol = packet::ProbeProtocol::kIcmp;
  IpAddress target;
  uint16_t icmp_id = 0;            // ICMP echo identifier
  uint16_t source_port = 0;        // UDP/TCP
  uint16_t destination_port = 0;   // UDP/TCP
  uint16_t tcp_sequence_high = 0;  // TCP: high 16 bits of every probe's sequence number
  // The identifiers (ICMP id or UDP/TCP source port) of flows 1..N-1 when the trace probes with
  // N > 1 flows; flow 0 uses icmp_id / source_port. Everything else is shared by all flows.
  std::vector<uint16_t> extra_flow_identifiers;
  friend bool operator==(const ProbeIdentity&, const ProbeIdentity&) = default;
};

// Fills what a probe of this trace carries into `spec`: protocol, destination (the target),
// ICMP id, ports, TCP sequence high half, and the probe's sequence and TTL. The caller keeps
// the rest (source, packet_size, tos, fill, ip_id).
// `flow` (taken modulo FlowCount) selects the flow's identifier.
void FillProbeSpec(const ProbeIdentity& identity, Sequence sequence, Ttl ttl,
                   packet::ProbeSpec* spec, int flow = 0);

// The field that distinguishes traces of one protocol: the ICMP id, or the UDP/TCP source port
// (of flow 0).
uint16_t TraceIdentifier(const ProbeIdentity& identity);

// How many flows the trace probes with (at least 1), and the identifier of flow
// `flow` modulo that count.
int FlowCount(const ProbeIdentity& identity);
uint16_t FlowIdentifier(const ProbeIdentity& identity, int flow);

// Whether `reply` answers a probe of the trace with `identity`, and if so which Sequence it
// carries. Accepted:
// - ICMP echo reply from the target with our id: the echo sequence.
// - ICMP Time Exceeded / Destination Unreachable whose validated quote has our protocol, our
//   target as destination and the id or ports of one of our flows: ICMP the quoted echo sequence,
//   UDP the quoted checksum, TCP the low 16 bits of the quoted sequence (the high 16 bits must be
//   ours).
// - TCP SYN-ACK or RST from the target's port to one of our flows' source ports: low 16 bits of
// (ack - 1),
//   whose high 16 bits must be ours.
// Does not check that the sequence is in flight; the engine does.
std::optional<Sequence> MatchReply(const ProbeIdentity& identity, const packet::ParsedReply& reply);

// Whether the reply comes from the target itself (echo reply, TCP reply, or an ICMP error sent
// by the target address). Only meaningful for replies that MatchReply accepted.
bool IsFromTarget(const ProbeIdentity& identity, const packet::ParsedReply& reply);

// Hands out trace identities and demultiplexes replies among the live traces of one process.
// Not thread-safe: owned by the event loop that also owns the engines.
class TraceRegistry {
 public:
  using TraceId = uint64_t;

  // What a new trace asks for.
  struct Request {
    packet::ProbeProtocol protocol = packet::ProbeProtocol::kIcmp;
    IpAddress target;
    uint16_t destination_port = 0;  // UDP/TCP
    // The identifier to use instead of a random one: the UDP/TCP source port the user gave
    // (mtr -L), or the ICMP id that an unprivileged ICMP socket was assigned by the kernel.
    // Several traces may share a fixed identifier if their targets (or destination ports)
    // differ; replies are then told apart by those. Same target too: AlreadyExists.
    // The identifier applies to flow 0; further flows always get random ones.
    std::optional<uint16_t> fixed_identifier;
    // Flows to probe with, 1..kMaxFlows; each gets an identifier no other live trace uses.
    int flows = 1;
  };

  static constexpr int kMaxFlows = 16;

  struct Registration {
    TraceId trace = 0;
    ProbeIdentity identity;
  };

  struct Route {
    TraceId trace = 0;
    Sequence sequence;
  };

  // `random` supplies random bits (tests pass a deterministic one); by default a
  // non-deterministic generator is used.
  explicit TraceRegistry(std::function<uint32_t()> random = nullptr);

  // Allocates an identity: a random ICMP id or UDP/TCP source port (in 32768..60999, the
  // Linux ephemeral range) that no live trace of the same protocol uses, and for TCP a random
  // sequence high half; one more identifier per extra flow. Fails with ResourceExhausted only if
  // the identifier space is full, InvalidArgument if flows is out of range.
  absl::StatusOr<Registration> Register(const Request& request);

  // Forgets a trace; its identifier may be handed out again. Unknown ids are ignored.
  void Unregister(TraceId trace);

  // The trace and sequence that `reply` answers, or nullopt for foreign or malformed replies.
  std::optional<Route> RouteReply(const packet::ParsedReply& reply) const;

  size_t size() const { return traces_.size(); }

 private:
  struct Key {
    packet::ProbeProtocol protocol;
    uint16_t identifier;
    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.protocol, k.identifier);
    }
  };
  static std::optional<Key> KeyOf(const packet::ParsedReply& reply);
  // A random identifier of `protocol` that no live trace uses, or nullopt if none is free.
  std::optional<uint16_t> FreeIdentifier(packet::ProbeProtocol protocol) const;

  std::function<uint32_t()> random_;
  TraceId next_trace_ = 1;
  absl::flat_hash_map<TraceId, ProbeIdentity> traces_;
  absl::flat_hash_map<Key, std::vector<TraceId>> by_key_;
};

}  // namespace pathpair::engine

#endif  // PATHPAIR_AGENT_ENGINE_PROBE_MATCHER_H_
