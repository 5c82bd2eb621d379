#include "controller/paired/local_endpoint.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/engine/trace_result.h"
#include "agent/oneway/result_proto.h"
#include "agent/oneway/runner.h"
#include "agent/oneway/session.h"
#include "agent/oneway/wire.h"
#include "agent/prober/run_trace.h"
#include "agent/service/alias_resolver.h"
#include "agent/service/host_info.h"
#include "agent/service/prober_trace_runner.h"
#include "common/net/ip_address.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"

namespace pathpair::paired {
namespace {

// The most an alias resolution may take here (an agent's is bounded by its call's deadline).
constexpr absl::Duration kLocalAliasBudget = absl::Seconds(30);

}  // namespace

absl::StatusOr<std::unique_ptr<LocalEndpoint>> LocalEndpoint::Create(Options options) {
  absl::StatusOr<net::SocketSet> sockets = agent::ProberTraceRunner::OpenSockets();
  absl::StatusOr<std::unique_ptr<oneway::OneWayRunner>> v4 =
      oneway::OneWayRunner::Bind(IpAddress::Any(IpFamily::kV4), 0);
  if (!v4.ok()) return v4.status();
  absl::StatusOr<std::unique_ptr<oneway::OneWayRunner>> v6 =
      oneway::OneWayRunner::Bind(IpAddress::Any(IpFamily::kV6), (*v4)->local_port());
  return std::unique_ptr<LocalEndpoint>(
      new LocalEndpoint(std::move(options), std::move(sockets), *std::move(v4),
                        v6.ok() ? *std::move(v6) : std::unique_ptr<oneway::OneWayRunner>()));
}

LocalEndpoint::LocalEndpoint(Options options, absl::StatusOr<net::SocketSet> sockets,
                             std::unique_ptr<oneway::OneWayRunner> v4,
                             std::unique_ptr<oneway::OneWayRunner> v6)
    : options_(std::move(options)),
      sockets_(std::move(sockets)),
      v4_(std::move(v4)),
      v6_(std::move(v6)) {}

LocalEndpoint::~LocalEndpoint() = default;

absl::StatusOr<v1::InfoResponse> LocalEndpoint::Info() {
  v1::InfoResponse info;
  info.set_version(options_.version);
  info.set_hostname(options_.hostname);
  info.mutable_capabilities()->set_oneway(true);
  info.set_oneway_port(v4_->local_port());
  // The same clock report as an agent's: the one-way clock method depends on both ends.
  *info.mutable_clock() = agent::ReadClockStatus(SystemClock::Get());
  return info;
}

absl::StatusOr<std::string> LocalEndpoint::ReflectFrom(const std::string& peer_endpoint,
                                                       const std::string& pairing_id) {
  if (!options_.reflect) return absl::UnimplementedError("no way to call the peer's Reflect");
  return options_.reflect(peer_endpoint, pairing_id);
}

TraceOutcome LocalEndpoint::RunTrace(const v1::StartTraceRequest& request, const TraceHooks& hooks,
                                     const CancelToken& cancel) {
  TraceOutcome outcome;
  absl::StatusOr<IpAddress> target = IpAddress::Parse(request.options().target());
  if (!target.ok()) {
    outcome.status = absl::InvalidArgumentError(
        absl::StrCat("forward target '", request.options().target(), "' is not an address"));
    return outcome;
  }
  absl::StatusOr<net::SocketSet> sockets =
      sockets_.ok()
          ? net::DuplicateSocketSet(*sockets_, prober::PlanFor(request.options(), target->family()))
          : sockets_.status();
  if (!sockets.ok()) {
    outcome.status = sockets.status();
    return outcome;
  }
  if (hooks.on_started) hooks.on_started();
  const std::string hostname = options_.hostname;
  absl::StatusOr<engine::TraceResult> result = prober::RunTrace(
      *std::move(sockets), request.options(), *target,
      [&](const engine::TraceResult& snapshot) {
        v1::TraceResult proto = engine::ToProto(snapshot);
        if (proto.source_hostname().empty()) proto.set_source_hostname(hostname);
        outcome.result = proto;
        if (hooks.on_snapshot) hooks.on_snapshot(proto);
      },
      cancel.flag());
  if (!result.ok()) {
    outcome.status = result.status();
    return outcome;
  }
  v1::TraceResult proto = engine::ToProto(*result);
  if (proto.source_hostname().empty()) proto.set_source_hostname(hostname);
  outcome.result = std::move(proto);
  if (cancel.cancelled()) outcome.status = absl::CancelledError("stopped by the user");
  return outcome;
}

OneWayOutcome LocalEndpoint::RunOneWay(const v1::StartOneWayRequest& request,
                                       const OneWayHooks& hooks, const CancelToken& cancel) {
  OneWayOutcome outcome;
  absl::StatusOr<IpAddress> peer = IpAddress::Parse(request.peer_address());
  if (!peer.ok() || request.peer_port() <= 0 || request.peer_port() > 65535) {
    outcome.status = absl::InvalidArgumentError(
        absl::StrCat("bad one-way peer ", request.peer_address(), " port ", request.peer_port()));
    return outcome;
  }
  oneway::OneWayRunner* runner = peer->is_v6() ? v6_.get() : v4_.get();
  if (runner == nullptr) {
    outcome.status = absl::UnavailableError("no IPv6 socket for the one-way measurement");
    return outcome;
  }
  absl::StatusOr<oneway::OneWayConfig> config = oneway::ConfigFromRequest(request);
  if (!config.ok()) {
    outcome.status = config.status();
    return outcome;
  }
  if (hooks.on_started) hooks.on_started();
  absl::StatusOr<oneway::OneWayResult> result = runner->Run(
      *peer, static_cast<uint16_t>(request.peer_port()), *config,
      [&cancel] { return cancel.cancelled(); }, oneway::RunOptions{});
  if (!result.ok()) {
    outcome.status = result.status();
    return outcome;
  }
  outcome.result = oneway::ResultToProto(*result);
  outcome.result->set_final(true);
  if (hooks.on_update) hooks.on_update(*outcome.result);
  // Stopped: what arrived so far is the result (result->interrupted), as with a trace.
  if (result->interrupted) outcome.status = absl::CancelledError("stopped by the user");
  return outcome;
}

absl::StatusOr<v1::ResolveAliasesResponse> LocalEndpoint::ResolveAliases(
    const v1::ResolveAliasesRequest& request, const CancelToken& cancel) {
  const agent::AliasLimits limits;
  PATHPAIR_ASSIGN_OR_RETURN(const agent::AliasRequest checked,
                            agent::CheckAliasRequest(request, limits));
  if (alias_runner_ == nullptr) {
    if (!sockets_.ok()) return sockets_.status();
    PATHPAIR_ASSIGN_OR_RETURN(net::SocketSet sockets,
                              net::DuplicateSocketSet(*sockets_, sockets_->plan));
    PATHPAIR_ASSIGN_OR_RETURN(
        alias_runner_, agent::ProberTraceRunner::Create(std::move(sockets), SystemClock::Get()));
  }
  v1::ResolveAliasesResponse response =
      agent::ResolveAliases(checked, *alias_runner_, limits, absl::Now() + kLocalAliasBudget,
                            [&cancel] { return cancel.cancelled(); });
  if (cancel.cancelled()) return absl::CancelledError("stopped by the user");
  return response;
}

}  // namespace pathpair::paired
