#include "controller/destcheck/destination_check.h"

#include <string>

namespace pathpair::destcheck {

std::vector<Attempt> DefaultAttempts() {
  return {{v1::PROTOCOL_TCP, 80}, {v1::PROTOCOL_TCP, 443}, {v1::PROTOCOL_UDP, 0}};
}

bool NeedsDestinationCheck(const v1::TraceResult& trace) {
  const v1::Protocol protocol = trace.options().protocol();
  if (protocol != v1::PROTOCOL_ICMP && protocol != v1::PROTOCOL_UNSPECIFIED) return false;
  if (trace.reached()) return false;
  if (!trace.error().empty()) return false;  // cancelled or failed: not a path to judge
  for (const v1::HopResult& hop : trace.hops()) {
    if (hop.termination() == v1::HOP_TERMINATION_DESTINATION) return false;
    if (hop.termination() == v1::HOP_TERMINATION_UNREACHABLE && hop.received() > 0) return false;
  }
  return true;
}

namespace {

// The trace's hop of `target`: the one the engine marked as the destination, else one that
// `target` itself answered; nullptr when there is none.
const v1::HopResult* TargetHop(const v1::TraceResult& trace, const std::string& target) {
  for (const v1::HopResult& hop : trace.hops()) {
    if (hop.termination() == v1::HOP_TERMINATION_DESTINATION) return &hop;
  }
  for (const v1::HopResult& hop : trace.hops()) {
    for (const v1::Responder& responder : hop.responders()) {
      if (responder.received() > 0 && responder.address() == target) return &hop;
    }
  }
  return nullptr;
}

// The trace's options that say where and how packets leave, with `protocol` and `port`, every
// probe at the trace's full TTL.
v1::ProbeOptions FullTtlOptions(const v1::ProbeOptions& trace_options, v1::Protocol protocol,
                                int port) {
  v1::ProbeOptions options;
  options.set_target(trace_options.target());
  options.set_protocol(protocol);
  options.set_port(port);
  options.set_ip_version(trace_options.ip_version());
  options.set_source_address(trace_options.source_address());
  options.set_interface(trace_options.interface());
  options.set_tos(trace_options.tos());
  options.set_fwmark(trace_options.fwmark());
  const int full_ttl = trace_options.max_ttl() > 0 ? trace_options.max_ttl() : kDefaultFullTtl;
  options.set_first_ttl(full_ttl);
  options.set_max_ttl(full_ttl);
  options.set_probe_timeout_us(kProbeTimeoutUs);
  options.set_grace_us(kProbeTimeoutUs);
  options.set_max_unknown(1);
  return options;
}

}  // namespace

v1::ProbeOptions AttemptOptions(const v1::ProbeOptions& trace_options, const Attempt& attempt) {
  v1::ProbeOptions options = FullTtlOptions(trace_options, attempt.protocol, attempt.port);
  options.set_count(kProbesPerAttempt);
  options.set_interval_us(kProbeIntervalUs);
  return options;
}

bool NeedsCrossCheck(const v1::TraceResult& trace) {
  const v1::Protocol protocol = trace.options().protocol();
  if (protocol != v1::PROTOCOL_UDP && protocol != v1::PROTOCOL_TCP) return false;
  if (!trace.reached() || !trace.error().empty()) return false;
  const v1::HopResult* hop = TargetHop(trace, trace.target_address());
  return hop != nullptr && hop->sent() - hop->received() >= 2;
}

v1::ProbeOptions CrossCheckOptions(const v1::ProbeOptions& trace_options) {
  v1::ProbeOptions options = FullTtlOptions(trace_options, v1::PROTOCOL_ICMP, 0);
  options.set_count(kCrossCheckProbes);
  options.set_interval_us(kCrossCheckIntervalUs);
  return options;
}

std::optional<v1::DestinationCrossCheck> CrossCheckDestination(const v1::TraceResult& trace,
                                                               const IpAddress& target,
                                                               const CheckRunner& runner) {
  if (!runner || !NeedsCrossCheck(trace)) return std::nullopt;
  absl::StatusOr<v1::TraceResult> result = runner(CrossCheckOptions(trace.options()), target);
  if (!result.ok() || !result->error().empty()) return std::nullopt;
  v1::DestinationCrossCheck check;
  check.set_protocol(v1::PROTOCOL_ICMP);
  if (const v1::HopResult* hop = TargetHop(*result, target.ToString()); hop != nullptr) {
    check.set_sent(hop->sent());
    check.set_received(hop->received());
  } else {  // nothing answered: every probe sent was lost
    for (const v1::HopResult& any : result->hops()) check.set_sent(check.sent() + any.sent());
  }
  return check;
}

bool TargetAnswered(const v1::TraceResult& attempt_result, const IpAddress& target) {
  if (attempt_result.reached()) return true;
  const std::string target_text = target.ToString();
  for (const v1::HopResult& hop : attempt_result.hops()) {
    if (hop.received() <= 0) continue;
    if (hop.termination() == v1::HOP_TERMINATION_DESTINATION) return true;
    for (const v1::Responder& responder : hop.responders()) {
      if (responder.received() > 0 && responder.address() == target_text) return true;
    }
  }
  return false;
}

v1::DestinationCheck CheckDestination(const v1::TraceResult& trace, const IpAddress& target,
                                      const CheckRunner& runner,
                                      const std::vector<Attempt>& attempts) {
  if (!runner || !NeedsDestinationCheck(trace)) return v1::DESTINATION_CHECK_NOT_RUN;
  bool any_ran = false;
  for (const Attempt& attempt : attempts) {
    absl::StatusOr<v1::TraceResult> result =
        runner(AttemptOptions(trace.options(), attempt), target);
    if (!result.ok()) continue;  // e.g. this protocol is not permitted: try the next one
    if (TargetAnswered(*result, target)) return v1::DESTINATION_CHECK_ANSWERED;
    // An attempt that stopped on an error (or was cancelled) proves nothing about the target.
    if (!result->error().empty()) continue;
    any_ran = true;
  }
  return any_ran ? v1::DESTINATION_CHECK_SILENT : v1::DESTINATION_CHECK_NOT_RUN;
}

}  // namespace pathpair::destcheck
