// The two ends of a paired test (`pathpair test`), as the orchestration sees them: something
// that can report itself (Info), learn the address a peer agent sees it at (Reflect), run a
// trace, run its half of the one-way measurement, and resolve router aliases (how it sees the
// routers whose addresses the other end's trace showed). A remote pathpair-agent over gRPC
// (grpc_endpoint.h) and the controller's own in-process client side (local_endpoint.h) both
// implement it; unit tests use fakes, so the orchestration never needs a socket.
//
//   CancelToken cancel;
//   TraceOutcome out = endpoint.RunTrace(request, {.on_started = ..., .on_snapshot = ...}, cancel);
//   if (!out.status.ok()) ...;    // out.result may still hold the last snapshot
//   cancel.Cancel();              // from another thread (Ctrl-C): RunTrace returns promptly
#ifndef PATHPAIR_CONTROLLER_PAIRED_ENDPOINT_H_
#define PATHPAIR_CONTROLLER_PAIRED_ENDPOINT_H_

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pathpair/v1/agent.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::paired {

// A one-shot cancellation signal shared by every activity of a test. Thread-safe; Cancel may be
// called any number of times from any thread (not from a signal handler: set an atomic there
// and call Cancel from a normal thread).
//
// A token made with a parent is also cancelled when its parent is (at once if the parent
// already is): a part of a test that must be stoppable on its own, such as one attempt that an
// agent refused, while Ctrl-C still stops everything. A child must not outlive its parent.
//
//   CancelToken attempt(&user_cancel);   // Ctrl-C reaches the attempt too
//   attempt.Cancel();                    // stops only the attempt
class CancelToken {
 public:
  CancelToken() = default;
  explicit CancelToken(const CancelToken* parent) : parent_(parent) {
    if (parent_ != nullptr) parent_->AddChild(this);
  }
  ~CancelToken() {
    if (parent_ != nullptr) parent_->RemoveChild(this);
  }
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Cancels this token and its children (parents are locked before children, never after).
  void Cancel() const {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    flag_.store(true);
    for (const CancelToken* child : children_) child->Cancel();
  }
  bool cancelled() const { return flag_.load(); }
  // For engines that poll an atomic (prober::RunTrace's interrupt).
  const std::atomic<bool>* flag() const { return &flag_; }
  // Waits until cancelled or `timeout` passes; true when cancelled.
  bool WaitFor(absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&cancelled_), timeout);
  }

 private:
  void AddChild(const CancelToken* child) const {
    absl::MutexLock lock(&mu_);
    children_.push_back(child);
    if (cancelled_) child->Cancel();
  }
  void RemoveChild(const CancelToken* child) const {
    absl::MutexLock lock(&mu_);
    children_.erase(std::remove(children_.begin(), children_.end(), child), children_.end());
  }

  const CancelToken* const parent_ = nullptr;
  mutable absl::Mutex mu_;
  mutable bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  mutable std::vector<const CancelToken*> children_ ABSL_GUARDED_BY(mu_);
  mutable std::atomic<bool> flag_{false};
};

// Hooks a running session reports through. Each may be empty; they may run on any thread.
struct TraceHooks {
  std::function<void()> on_started;  // the trace is running (the agent granted a session)
  std::function<void(const v1::TraceResult&)> on_snapshot;
};
struct OneWayHooks {
  std::function<void()> on_started;
  std::function<void(const v1::AgentOneWayResult&)> on_update;
};

// How a trace ended. `result` is the final result when status is OK; otherwise the last
// snapshot received, if any. A cancelled trace has status Cancelled and its result so far.
struct TraceOutcome {
  absl::Status status;
  std::optional<v1::TraceResult> result;
};

// One end's half of the one-way measurement. `result.inbound` is what this end measured
// (peer -> this end); `result.outbound.sent` what it sent.
struct OneWayOutcome {
  absl::Status status;
  std::optional<v1::AgentOneWayResult> result;
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;

  // How the end is named in reports and history: "local" or the agent's "host:port".
  virtual std::string Describe() const = 0;

  virtual absl::StatusOr<v1::InfoResponse> Info() = 0;

  // Calls Reflect, with `pairing_id`, on the peer agent reachable at `peer_endpoint`
  // ("ADDRESS:PORT", over the path under test) and returns the address the peer saw this end
  // come from. For a remote agent this is its ReflectPeer RPC. Afterwards both ends hold consent
  // to probe each other in this pairing.
  virtual absl::StatusOr<std::string> ReflectFrom(const std::string& peer_endpoint,
                                                  const std::string& pairing_id) = 0;

  // Runs a trace to request.options().target (an address literal) until it ends, fails or
  // `cancel` fires. Blocking.
  virtual TraceOutcome RunTrace(const v1::StartTraceRequest& request, const TraceHooks& hooks,
                                const CancelToken& cancel) = 0;

  // Runs this end's half of the one-way measurement with the peer. Blocking.
  virtual OneWayOutcome RunOneWay(const v1::StartOneWayRequest& request, const OneWayHooks& hooks,
                                  const CancelToken& cancel) = 0;

  // Resolves router aliases (proto/pathpair/v1/alias.proto, Agent.ResolveAliases) for
  // request.addresses() (hops of the other end's trace), in the pairing request.pairing_id().
  // Blocking, a few seconds; returns Cancelled soon after `cancel` fires.
  virtual absl::StatusOr<v1::ResolveAliasesResponse> ResolveAliases(
      const v1::ResolveAliasesRequest& request, const CancelToken& cancel) = 0;
};

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_ENDPOINT_H_
