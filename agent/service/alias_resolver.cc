#include "agent/service/alias_resolver.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/service/consent.h"

namespace pathpair::agent {
namespace {

// How often a wave looks at `stop` and the deadline while its traces run.
constexpr absl::Duration kWavePoll = absl::Milliseconds(50);
// How long cancelled traces get to report before their wave gives up on them.
constexpr absl::Duration kCancelWait = absl::Seconds(2);

// ICMP Destination Unreachable "port unreachable": code 3 (IPv4), ICMPv6 code 4.
int PortUnreachableCode(const IpAddress& address) { return address.is_v6() ? 4 : 3; }

const char* RefusedKind(const IpAddress& address) {
  if (const char* kind = NonUnicastKind(address)) return kind;
  if (address.IsLoopback()) return "a loopback address";
  return nullptr;
}

// The final results of one wave of traces (nullopt for a trace that could not start).
struct Wave {
  absl::Mutex mu;
  std::vector<std::optional<v1::TraceResult>> results ABSL_GUARDED_BY(mu);
  int pending ABSL_GUARDED_BY(mu) = 0;
};

struct AliasTrace {
  size_t index = 0;  // into the request's addresses
  v1::ProbeOptions options;
};

// Runs `traces` at once and waits for all of them, or until `stop` or `deadline` (then cancels
// those still running and waits a little for their results).
std::vector<std::optional<v1::TraceResult>> RunWave(const std::vector<AliasTrace>& traces,
                                                    const std::vector<IpAddress>& addresses,
                                                    TraceRunner& runner, absl::Time deadline,
                                                    const std::function<bool()>& stop) {
  // Shared with the callbacks, which may outlive this call if a runner answers very late.
  auto wave = std::make_shared<Wave>();
  {
    absl::MutexLock lock(&wave->mu);
    wave->results.resize(traces.size());
  }
  std::vector<TraceRunner::Handle> started;
  for (size_t i = 0; i < traces.size(); ++i) {
    {
      absl::MutexLock lock(&wave->mu);
      ++wave->pending;
    }
    TraceRunner::Callbacks callbacks;
    callbacks.on_done = [wave, i](const v1::TraceResult& result) {
      absl::MutexLock lock(&wave->mu);
      wave->results[i] = result;
      --wave->pending;
    };
    absl::StatusOr<TraceRunner::Handle> handle =
        runner.Start(traces[i].options, addresses[traces[i].index], std::move(callbacks));
    if (handle.ok()) {
      started.push_back(*handle);
    } else {
      absl::MutexLock lock(&wave->mu);
      --wave->pending;
    }
  }
  auto all_done = [&wave]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(wave->mu) { return wave->pending == 0; };
  bool done = false;
  while (!done) {
    {
      absl::MutexLock lock(&wave->mu);
      done = wave->mu.AwaitWithTimeout(absl::Condition(&all_done), kWavePoll);
    }
    if (done || !(stop() || absl::Now() >= deadline)) continue;
    for (TraceRunner::Handle handle : started) runner.Cancel(handle);
    absl::MutexLock lock(&wave->mu);
    wave->mu.AwaitWithTimeout(absl::Condition(&all_done), kCancelWait);
    break;
  }
  absl::MutexLock lock(&wave->mu);
  return wave->results;
}

// One protocol's pass over the addresses at `indices`, in waves; fills what answered.
void ResolvePass(v1::Protocol protocol, const std::vector<size_t>& indices,
                 const AliasRequest& request, TraceRunner& runner, const AliasLimits& limits,
                 absl::Time deadline, const std::function<bool()>& stop,
                 v1::ResolveAliasesResponse& response) {
  const size_t wave_size = static_cast<size_t>(std::max(1, limits.traces_at_once));
  for (size_t first = 0; first < indices.size(); first += wave_size) {
    if (stop() || absl::Now() >= deadline) return;
    std::vector<AliasTrace> traces;
    for (size_t k = first; k < std::min(indices.size(), first + wave_size); ++k) {
      const size_t index = indices[k];
      traces.push_back(
          {index, AliasTraceOptions(request.addresses[index], protocol, request.max_ttl, limits)});
    }
    const std::vector<std::optional<v1::TraceResult>> results =
        RunWave(traces, request.addresses, runner, deadline, stop);
    for (size_t k = 0; k < traces.size(); ++k) {
      if (!results[k].has_value()) continue;
      const size_t index = traces[k].index;
      std::optional<v1::AliasResolution> answer =
          ReadAliasTrace(*results[k], request.addresses[index], protocol);
      if (answer.has_value()) *response.mutable_resolutions(static_cast<int>(index)) = *answer;
    }
  }
}

}  // namespace

absl::StatusOr<AliasRequest> CheckAliasRequest(const v1::ResolveAliasesRequest& request,
                                               const AliasLimits& limits) {
  if (request.addresses_size() > limits.max_addresses) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many addresses to resolve: ", request.addresses_size(), ", at most ",
                     limits.max_addresses, " per call"));
  }
  if (request.max_ttl() < 0 || request.max_ttl() > limits.max_ttl) {
    return absl::InvalidArgumentError(absl::StrCat("max_ttl must be between 1 and ", limits.max_ttl,
                                                   " (0: ", limits.default_max_ttl, "), not ",
                                                   request.max_ttl()));
  }
  AliasRequest checked;
  checked.max_ttl = request.max_ttl() == 0 ? limits.default_max_ttl : request.max_ttl();
  for (const std::string& text : request.addresses()) {
    absl::StatusOr<IpAddress> address = IpAddress::Parse(text);
    if (!address.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an IP address literal"));
    }
    if (const char* kind = RefusedKind(*address); kind != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("refusing to resolve ", text, ": ", kind, " is no router interface"));
    }
    checked.addresses.push_back(*address);
  }
  return checked;
}

v1::ProbeOptions AliasTraceOptions(const IpAddress& address, v1::Protocol protocol, int max_ttl,
                                   const AliasLimits& limits) {
  v1::ProbeOptions options;
  options.set_target(address.ToString());
  options.set_protocol(protocol);
  options.set_count(limits.rounds);
  options.set_interval_us(absl::ToInt64Microseconds(limits.interval));
  options.set_first_ttl(1);
  options.set_max_ttl(max_ttl);
  // Never stop short of max_ttl for silent routers: the owner's answer is what counts.
  options.set_max_unknown(max_ttl);
  options.set_probe_timeout_us(absl::ToInt64Microseconds(limits.probe_timeout));
  options.set_grace_us(absl::ToInt64Microseconds(limits.grace));
  if (protocol == v1::PROTOCOL_UDP) options.set_port(kAliasUdpPort);
  return options;
}

namespace {

// The owner first answered at `ttl`; it is that far away only if the TTL before it got an answer
// (a Time Exceeded from the router before it). When every answer at the owner's own TTL was lost
// on the way back, the owner answers one TTL later and looks a hop further away than it is: a
// distance the merge would read as a detour.
bool DistanceIsCertain(const v1::TraceResult& trace, int ttl) {
  if (ttl <= 1) return true;
  for (const v1::HopResult& hop : trace.hops()) {
    if (hop.ttl() == ttl - 1) return hop.received() > 0;
  }
  return false;
}

}  // namespace

std::optional<v1::AliasResolution> ReadAliasTrace(const v1::TraceResult& trace,
                                                  const IpAddress& address, v1::Protocol protocol) {
  for (const v1::HopResult& hop : trace.hops()) {
    if (hop.termination() == v1::HOP_TERMINATION_NONE) continue;
    if (hop.responders().empty()) return std::nullopt;
    // Only the owner answers port unreachable to a datagram addressed to it; any other
    // unreachable (no route, prohibited) came from a router before it.
    const bool answered =
        hop.termination() == v1::HOP_TERMINATION_DESTINATION ||
        (protocol == v1::PROTOCOL_UDP && hop.unreachable_code() == PortUnreachableCode(address));
    if (!answered) return std::nullopt;
    const v1::Responder& owner = hop.responders(0);
    v1::AliasResolution resolution;
    resolution.set_address(address.ToString());
    resolution.set_reply_source(owner.address());
    resolution.set_method(protocol == v1::PROTOCOL_UDP ? v1::ALIAS_METHOD_UDP_PORT_UNREACHABLE
                                                       : v1::ALIAS_METHOD_ICMP_ECHO);
    resolution.set_rtt_ms(owner.rtt().best_ms());
    if (DistanceIsCertain(trace, hop.ttl())) resolution.set_distance(hop.ttl());
    return resolution;
  }
  return std::nullopt;
}

v1::ResolveAliasesResponse ResolveAliases(const AliasRequest& request, TraceRunner& runner,
                                          const AliasLimits& limits, absl::Time deadline,
                                          const std::function<bool()>& stop) {
  v1::ResolveAliasesResponse response;
  std::vector<size_t> all;
  for (size_t i = 0; i < request.addresses.size(); ++i) {
    response.add_resolutions()->set_address(request.addresses[i].ToString());
    all.push_back(i);
  }
  ResolvePass(v1::PROTOCOL_UDP, all, request, runner, limits, deadline, stop, response);
  std::vector<size_t> unanswered;
  for (size_t i : all) {
    if (response.resolutions(static_cast<int>(i)).method() == v1::ALIAS_METHOD_NONE) {
      unanswered.push_back(i);
    }
  }
  ResolvePass(v1::PROTOCOL_ICMP, unanswered, request, runner, limits, deadline, stop, response);
  return response;
}

}  // namespace pathpair::agent
