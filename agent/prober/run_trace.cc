#include "agent/prober/run_trace.h"

#include <optional>
#include <utility>

#include "agent/net/socket_transport.h"
#include "agent/prober/prober.h"
#include "common/status/status_macros.h"

namespace pathpair::prober {

net::SocketPlan PlanFor(const v1::ProbeOptions& options, IpFamily family) {
  net::SocketPlan plan;
  plan.ipv4 = family == IpFamily::kV4;
  plan.ipv6 = family == IpFamily::kV6;
  plan.icmp =
      options.protocol() == v1::PROTOCOL_ICMP || options.protocol() == v1::PROTOCOL_UNSPECIFIED;
  plan.udp = options.protocol() == v1::PROTOCOL_UDP;
  plan.tcp = options.protocol() == v1::PROTOCOL_TCP;
  plan.interface = options.interface();
  plan.mark = options.fwmark();
  return plan;
}

absl::StatusOr<engine::TraceResult> RunTrace(
    const v1::ProbeOptions& options, const IpAddress& target,
    std::function<void(const engine::TraceResult&)> on_snapshot, const std::atomic<bool>* interrupt,
    ProbeEventSink* probe_events, const std::atomic<bool>* pause) {
  PATHPAIR_ASSIGN_OR_RETURN(net::SocketSet sockets,
                            net::OpenSocketSet(PlanFor(options, target.family())));
  return RunTrace(std::move(sockets), options, target, std::move(on_snapshot), interrupt,
                  probe_events, pause);
}

absl::StatusOr<engine::TraceResult> RunTrace(
    net::SocketSet sockets, const v1::ProbeOptions& options, const IpAddress& target,
    std::function<void(const engine::TraceResult&)> on_snapshot, const std::atomic<bool>* interrupt,
    ProbeEventSink* probe_events, const std::atomic<bool>* pause) {
  TraceRequest request;
  request.options = options;
  request.target = target;
  PATHPAIR_RETURN_IF_ERROR(ResolveLocalEnd(request, *sockets.sys));
  PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<net::SocketTransport> transport,
                            net::SocketTransport::Create(std::move(sockets)));
  Prober prober(*transport, SystemClock::Get());
  prober.set_interrupt_flag(interrupt);
  prober.set_pause_flag(pause);
  std::optional<engine::TraceResult> final_result;
  TraceCallbacks callbacks;
  callbacks.on_snapshot = std::move(on_snapshot);
  callbacks.probe_events = probe_events;
  callbacks.on_finished = [&final_result](const engine::TraceResult& r) { final_result = r; };
  PATHPAIR_RETURN_IF_ERROR(prober.AddTrace(request, std::move(callbacks)).status());
  PATHPAIR_RETURN_IF_ERROR(prober.Run());
  if (!final_result.has_value()) return absl::InternalError("trace ended without a result");
  return *std::move(final_result);
}

}  // namespace pathpair::prober
