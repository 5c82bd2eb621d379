// SocketOneWayRunner: the agent's OneWayRunner over agent/oneway's UDP runner. It binds the
// agent's one-way UDP endpoint once, at startup (IPv4, and IPv6 on the same port when
// possible), so that Info can report the port before any test; each StartOneWay then runs one
// session on that socket on its own thread. One session per address family at a time: a
// second concurrent one is RESOURCE_EXHAUSTED.
//
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<SocketOneWayRunner> oneway,
//                             SocketOneWayRunner::Bind(/*port=*/0));
//   AgentService service(config, trace_runner, oneway.get(), consent, SystemClock::Get());
#ifndef PATHPAIR_AGENT_SERVICE_ONEWAY_SOCKET_RUNNER_H_
#define PATHPAIR_AGENT_SERVICE_ONEWAY_SOCKET_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/oneway/runner.h"
#include "agent/service/trace_runner.h"

namespace pathpair::agent {

class SocketOneWayRunner final : public OneWayRunner {
 public:
  // `test_clock_offset`: TEST ONLY, added to every wall-clock stamp of every session
  // (oneway::RunOptions::test_clock_offset); zero in production.
  static absl::StatusOr<std::unique_ptr<SocketOneWayRunner>> Bind(
      uint16_t port, absl::Duration test_clock_offset = absl::ZeroDuration());
  // Cancels running sessions and joins their threads.
  ~SocketOneWayRunner() override;

  absl::StatusOr<Handle> Start(const v1::StartOneWayRequest& request, const IpAddress& peer,
                               Callbacks callbacks) override;
  void Cancel(Handle handle) override;
  int local_port() const override { return v4_->local_port(); }

 private:
  struct Session {
    std::atomic<bool> cancelled{false};
    std::thread thread;
    bool v6 = false;
  };

  SocketOneWayRunner(std::unique_ptr<oneway::OneWayRunner> v4,
                     std::unique_ptr<oneway::OneWayRunner> v6, absl::Duration test_clock_offset)
      : v4_(std::move(v4)), v6_(std::move(v6)), test_clock_offset_(test_clock_offset) {}

  std::unique_ptr<oneway::OneWayRunner> v4_;
  std::unique_ptr<oneway::OneWayRunner> v6_;  // may be null
  const absl::Duration test_clock_offset_;
  absl::Mutex mu_;
  Handle next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  bool busy_v4_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_v6_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<Handle, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_ONEWAY_SOCKET_RUNNER_H_
