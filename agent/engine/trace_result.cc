#include "agent/engine/trace_result.h"

#include "absl/time/time.h"

namespace pathpair::engine {
namespace {

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

v1::HopTermination ToProto(HopTermination termination) {
  switch (termination) {
    case HopTermination::kNone:
      return v1::HOP_TERMINATION_NONE;
    case HopTermination::kDestination:
      return v1::HOP_TERMINATION_DESTINATION;
    case HopTermination::kUnreachable:
      return v1::HOP_TERMINATION_UNREACHABLE;
  }
  return v1::HOP_TERMINATION_NONE;
}

}  // namespace

v1::Protocol ToProto(packet::ProbeProtocol protocol) {
  switch (protocol) {
    case packet::ProbeProtocol::kIcmp:
      return v1::PROTOCOL_ICMP;
    case packet::ProbeProtocol::kUdp:
      return v1::PROTOCOL_UDP;
    case packet::ProbeProtocol::kTcp:
      return v1::PROTOCOL_TCP;
  }
  return v1::PROTOCOL_UNSPECIFIED;
}

v1::RttStats ToProto(const RttSummary& rtt) {
  v1::RttStats out;
  out.set_count(rtt.count);
  out.set_last_ms(Ms(rtt.last));
  out.set_best_ms(Ms(rtt.best));
  out.set_avg_ms(Ms(rtt.avg));
  out.set_worst_ms(Ms(rtt.worst));
  out.set_stdev_ms(Ms(rtt.stdev));
  out.set_gmean_ms(Ms(rtt.gmean));
  out.set_jitter_ms(Ms(rtt.jitter));
  out.set_jitter_avg_ms(Ms(rtt.jitter_avg));
  out.set_jitter_max_ms(Ms(rtt.jitter_max));
  out.set_jitter_interarrival_ms(Ms(rtt.jitter_interarrival));
  out.set_p50_ms(Ms(rtt.p50));
  out.set_p95_ms(Ms(rtt.p95));
  out.set_p99_ms(Ms(rtt.p99));
  return out;
}

v1::MplsLabel ToProto(const packet::MplsLabel& label) {
  v1::MplsLabel out;
  out.set_label(label.label);
  out.set_traffic_class(label.traffic_class);
  out.set_bottom_of_stack(label.bottom_of_stack);
  out.set_ttl(label.ttl);
  return out;
}

v1::Responder ToProto(const ResponderResult& responder) {
  v1::Responder out;
  out.set_address(responder.address.ToString());
  out.set_hostname(responder.hostname);
  out.set_received(responder.received);
  *out.mutable_rtt() = ToProto(responder.rtt);
  for (const packet::MplsLabel& label : responder.mpls) *out.add_mpls() = ToProto(label);
  return out;
}

v1::HopResult ToProto(const HopResult& hop) {
  v1::HopResult out;
  out.set_ttl(hop.ttl.value());
  out.set_sent(hop.sent);
  out.set_received(hop.received);
  *out.mutable_rtt() = ToProto(hop.rtt);
  for (const ResponderResult& responder : hop.responders) {
    *out.add_responders() = ToProto(responder);
  }
  out.set_termination(ToProto(hop.termination));
  out.set_unreachable_code(hop.unreachable_code);
  return out;
}

v1::TraceResult ToProto(const TraceResult& result) {
  v1::TraceResult out;
  *out.mutable_options() = result.options;
  if (result.source_address.has_value()) {
    out.set_source_address(result.source_address->ToString());
  }
  out.set_source_hostname(result.source_hostname);
  out.set_target_address(result.target_address.ToString());
  if (result.start.has_value()) out.set_start_unix_us(absl::ToUnixMicros(*result.start));
  if (result.end.has_value()) out.set_end_unix_us(absl::ToUnixMicros(*result.end));
  out.set_reached(result.reached);
  out.set_rounds(result.rounds);
  out.set_rounds_started(result.rounds_started);
  out.set_interrupted(result.interrupted);
  out.set_incomplete(result.incomplete);
  for (const HopResult& hop : result.hops) *out.add_hops() = ToProto(hop);
  out.set_final(result.final);
  out.set_error(result.error);
  return out;
}

}  // namespace pathpair::engine
