// ProberTraceRunner: the agent's TraceRunner over one shared Prober (agent/prober/prober.h).
// It opens every probe socket once, up front (raw sockets, or unprivileged ICMP sockets when
// CAP_NET_RAW is missing), and runs the prober's loop on one thread; every trace the agent
// serves is an engine in that loop, not a process or socket set of its own. The agent opens the
// sockets (OpenSockets), drops its privileges (agent/net/privileges.h), then starts the runner.
//
//   PATHPAIR_ASSIGN_OR_RETURN(net::SocketSet sockets, ProberTraceRunner::OpenSockets());
//   PATHPAIR_RETURN_IF_ERROR(net::DropPrivileges().status());
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<ProberTraceRunner> runner,
//                             ProberTraceRunner::Create(*std::move(sockets), SystemClock::Get()));
//   AgentService service(config, *runner, nullptr, consent, SystemClock::Get());
#ifndef PATHPAIR_AGENT_SERVICE_PROBER_TRACE_RUNNER_H_
#define PATHPAIR_AGENT_SERVICE_PROBER_TRACE_RUNNER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "agent/net/socket_set.h"
#include "agent/net/socket_transport.h"
#include "agent/prober/prober.h"
#include "agent/service/trace_runner.h"
#include "common/time/clock.h"

namespace pathpair::agent {

class ProberTraceRunner final : public TraceRunner {
 public:
  // Every socket a runner needs: IPv4 and IPv6 (IPv4 only on a host without IPv6); ICMP, UDP
  // and TCP when privileged, unprivileged ICMP sockets otherwise.
  static absl::StatusOr<net::SocketSet> OpenSockets();
  // Starts the loop over `sockets` (from OpenSockets). Needs no privilege.
  static absl::StatusOr<std::unique_ptr<ProberTraceRunner>> Create(net::SocketSet sockets,
                                                                   const Clock& clock);
  // OpenSockets and Create at once, for a process that keeps its privileges.
  static absl::StatusOr<std::unique_ptr<ProberTraceRunner>> Create(const Clock& clock);
  // Stops the loop; traces still running end without their on_done.
  ~ProberTraceRunner() override;

  absl::StatusOr<Handle> Start(const v1::ProbeOptions& options, const IpAddress& target,
                               Callbacks callbacks) override;
  void Cancel(Handle handle) override;
  v1::Capabilities capabilities() const override { return capabilities_; }

  // How long Start waits for the loop to take a trace (default 5 s); tests shorten it.
  void set_start_timeout(absl::Duration timeout) { start_timeout_ = timeout; }
  // TEST ONLY: runs `work` on the loop thread (a test stalls the loop with it).
  void PostToLoopForTesting(std::function<void()> work) { prober_.Post(std::move(work)); }

 private:
  ProberTraceRunner(std::unique_ptr<net::SocketTransport> transport, const Clock& clock,
                    v1::Capabilities capabilities);

  std::unique_ptr<net::SocketTransport> transport_;
  prober::Prober prober_;
  const v1::Capabilities capabilities_;
  std::atomic<Handle> next_handle_{1};
  absl::Duration start_timeout_ = absl::Seconds(5);
  // Touched only on the loop thread.
  absl::flat_hash_map<Handle, prober::Prober::TraceId> traces_;
  std::thread loop_;
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_PROBER_TRACE_RUNNER_H_
