// The result of one trace (a live snapshot or the final result), as the engine produces it.
// Maps one to one onto pathpair.v1.TraceResult / HopResult / Responder / RttStats / MplsLabel
// (proto/pathpair/v1/trace.proto), so agents can stream it and every output reads one shape.
//
//   TraceResult result = engine.Snapshot();
//   result.options = options;              // fields the engine does not know are the caller's
//   result.source_address = local;
//   v1::TraceResult proto = ToProto(result);
//
// The engine fills: target_address, reached, rounds, rounds_started, interrupted, incomplete,
// hops, final. The caller (prober / CLI) fills: options, source_address, source_hostname, start,
// end, error, and responder hostnames.
#ifndef PATHPAIR_AGENT_ENGINE_TRACE_RESULT_H_
#define PATHPAIR_AGENT_ENGINE_TRACE_RESULT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/engine/probe_types.h"
#include "agent/engine/rtt_stats.h"
#include "common/net/ip_address.h"
#include "common/packet/packet.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::engine {

// One address that answered at a TTL, with its own counts (ECMP paths show several).
struct ResponderResult {
  IpAddress address;
  std::string hostname;  // reverse DNS; filled by the caller, never by the engine
  int64_t received = 0;
  RttSummary rtt;
  std::vector<packet::MplsLabel> mpls;  // labels in this responder's most recent reply
};

enum class HopTermination : uint8_t {
  kNone,
  kDestination,  // the target answered at this TTL
  kUnreachable,  // another Destination Unreachable ended the path here
};

struct HopResult {
  Ttl ttl;
  // Probes at this TTL whose outcome is known: answered, or lost (timed out, or overdue: see
  // trace_engine.h). In a final result: exactly the probes sent at this TTL, unless the trace
  // was interrupted (then the probes past their overdue time). Drop = sent - received.
  int64_t sent = 0;
  int64_t received = 0;
  RttSummary rtt;  // over every reply at this TTL, whichever responder sent it
  // The most replies first (ties: first seen first). responders[0] is the hop's "host".
  std::vector<ResponderResult> responders;
  HopTermination termination = HopTermination::kNone;
  int unreachable_code = 0;  // ICMP(v6) Destination Unreachable code when kUnreachable
};

struct TraceResult {
  v1::ProbeOptions options;
  std::optional<IpAddress> source_address;
  std::string source_hostname;
  IpAddress target_address;
  std::optional<absl::Time> start;  // wall clock, for display only
  std::optional<absl::Time> end;
  bool reached = false;  // the target answered at least once
  // Rounds whose probes are all answered or lost (overdue included); after an interrupt, the
  // rounds whose every probe counted. v1::TraceResult.rounds says more.
  int rounds = 0;
  int rounds_started = 0;       // rounds begun
  bool interrupted = false;     // stopped before its last round (v1::TraceResult.interrupted)
  bool incomplete = false;      // not measured to its end (v1::TraceResult.incomplete)
  std::vector<HopResult> hops;  // contiguous, first_ttl up to the last hop
  bool final = false;           // false for live snapshots
  std::string error;            // set when the trace stopped on an error
};

v1::Protocol ToProto(packet::ProbeProtocol protocol);
v1::RttStats ToProto(const RttSummary& rtt);
v1::MplsLabel ToProto(const packet::MplsLabel& label);
v1::Responder ToProto(const ResponderResult& responder);
v1::HopResult ToProto(const HopResult& hop);
v1::TraceResult ToProto(const TraceResult& result);

}  // namespace pathpair::engine

#endif  // PATHPAIR_AGENT_ENGINE_TRACE_RESULT_H_
