// Test doubles for the agent service's runner seams: a TraceRunner and a OneWayRunner whose
// traces only move when the test says so (or, with a script, end at once with the result it
// gives), recording every Start and Cancel.
//
//   FakeTraceRunner runner;
//   ... StartTrace over gRPC ...
//   ASSERT_TRUE(runner.WaitForStarted(1));
//   runner.Snapshot(0, 3);      // sends a snapshot with 3 rounds
//   runner.Finish(0);           // sends the final result
#ifndef PATHPAIR_TESTS_AGENT_SERVICE_FAKE_RUNNERS_H_
#define PATHPAIR_TESTS_AGENT_SERVICE_FAKE_RUNNERS_H_

#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/service/trace_runner.h"

namespace pathpair::agent {

class FakeTraceRunner final : public TraceRunner {
 public:
  struct Trace {
    v1::ProbeOptions options;
    IpAddress target;
    Callbacks callbacks;
    bool cancelled = false;
    bool done = false;
    int rounds = 0;  // of the last Snapshot
  };

  // When set, a started trace whose script gives a result ends at once with it (its on_done
  // runs inside Start, as a real runner's may); nullopt leaves it running.
  using Script =
      std::function<std::optional<v1::TraceResult>(const v1::ProbeOptions&, const IpAddress&)>;
  void set_script(Script script) {
    absl::MutexLock lock(&mu_);
    script_ = std::move(script);
  }

  absl::StatusOr<Handle> Start(const v1::ProbeOptions& options, const IpAddress& target,
                               Callbacks callbacks) override {
    Handle handle;
    std::optional<v1::TraceResult> result;
    {
      absl::MutexLock lock(&mu_);
      if (!start_error_.ok()) return start_error_;
      if (!late_start_error_.ok()) {
        // Like a runner whose loop answered too late: Start fails, yet the trace exists and
        // may end later (Finish) - a broken contract the service must survive.
        traces_.push_back(Trace{options, target, callbacks});
        return late_start_error_;
      }
      if (refused_protocol_ == options.protocol()) {
        return absl::FailedPreconditionError("the sockets cannot carry this protocol");
      }
      traces_.push_back(Trace{options, target, callbacks});
      handle = traces_.size() - 1;
      if (script_) result = script_(options, target);
      if (result.has_value()) traces_[handle].done = true;
    }
    if (result.has_value()) {
      result->set_final(true);
      callbacks.on_done(*result);
    }
    return handle;
  }

  // Like the prober: Cancel ends the trace with its result so far (the rounds of the last
  // Snapshot), interrupted and incomplete, with error "cancelled".
  void Cancel(Handle handle) override {
    Callbacks callbacks;
    int rounds = 0;
    {
      absl::MutexLock lock(&mu_);
      if (handle >= traces_.size() || traces_[handle].done) return;
      traces_[handle].cancelled = true;
      traces_[handle].done = true;
      callbacks = traces_[handle].callbacks;
      rounds = traces_[handle].rounds;
    }
    v1::TraceResult result;
    result.set_rounds(rounds);
    result.set_final(true);
    result.set_error("cancelled");
    result.set_interrupted(true);
    result.set_incomplete(true);
    callbacks.on_done(result);
  }

  v1::Capabilities capabilities() const override {
    v1::Capabilities c;
    c.set_socket_mode(v1::Capabilities::SOCKET_MODE_RAW);
    c.set_ipv4(true);
    c.add_protocols(v1::PROTOCOL_ICMP);
    return c;
  }

  // Start refuses traces of `protocol` (as a prober without raw UDP sockets refuses UDP).
  void set_refused_protocol(v1::Protocol protocol) {
    absl::MutexLock lock(&mu_);
    refused_protocol_ = protocol;
  }

  void set_start_error(absl::Status s) {
    absl::MutexLock lock(&mu_);
    start_error_ = std::move(s);
  }
  // Start fails with `s` but records the trace, whose on_done a later Finish still runs.
  void set_late_start_error(absl::Status s) {
    absl::MutexLock lock(&mu_);
    late_start_error_ = std::move(s);
  }

  bool WaitForStarted(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto started = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return traces_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&started), timeout);
  }

  bool WaitForCancelled(Handle h, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto cancelled = [this, h]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return h < traces_.size() && traces_[h].cancelled;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&cancelled), timeout);
  }

  void Snapshot(Handle h, int rounds) {
    Callbacks callbacks;
    {
      absl::MutexLock lock(&mu_);
      traces_[h].rounds = rounds;
      callbacks = traces_[h].callbacks;
    }
    v1::TraceResult result;
    result.set_rounds(rounds);
    callbacks.on_snapshot(result);
  }

  void Finish(Handle h, int rounds = 10) {
    Callbacks callbacks;
    {
      absl::MutexLock lock(&mu_);
      if (traces_[h].done) return;
      traces_[h].done = true;
      callbacks = traces_[h].callbacks;
    }
    v1::TraceResult result;
    result.set_rounds(rounds);
    result.set_final(true);
    callbacks.on_done(result);
  }

  Trace Get(Handle h) {
    absl::MutexLock lock(&mu_);
    return traces_[h];
  }

  size_t started() {
    absl::MutexLock lock(&mu_);
    return traces_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<Trace> traces_ ABSL_GUARDED_BY(mu_);
  absl::Status start_error_ ABSL_GUARDED_BY(mu_);
  absl::Status late_start_error_ ABSL_GUARDED_BY(mu_);
  Script script_ ABSL_GUARDED_BY(mu_);
  std::optional<v1::Protocol> refused_protocol_ ABSL_GUARDED_BY(mu_);
};

class FakeOneWayRunner final : public OneWayRunner {
 public:
  absl::StatusOr<Handle> Start(const v1::StartOneWayRequest& request, const IpAddress& peer,
                               Callbacks callbacks) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
    peers_.push_back(peer);
    callbacks_.push_back(std::move(callbacks));
    return callbacks_.size() - 1;
  }
  // Like the socket runner: Cancel ends the session with what it received so far (Progress),
  // interrupted.
  void Cancel(Handle h) override {
    Callbacks callbacks;
    std::pair<int64_t, int64_t> so_far;
    {
      absl::MutexLock lock(&mu_);
      callbacks = callbacks_[h];
      so_far = progress_[h];
      ++cancelled_;
    }
    v1::AgentOneWayResult result;
    result.mutable_inbound()->set_sent(so_far.first);
    result.mutable_inbound()->set_received(so_far.second);
    result.set_interrupted(true);
    callbacks.on_done(result);
  }
  // What session `h` has received so far: `sent` packets of the peer's, `received` of them.
  void Progress(Handle h, int64_t sent, int64_t received) {
    absl::MutexLock lock(&mu_);
    progress_[h] = {sent, received};
  }
  int local_port() const override { return 8621; }

  bool WaitForStarted(size_t n) {
    absl::MutexLock lock(&mu_);
    auto started = [this, n]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return callbacks_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&started), absl::Seconds(10));
  }
  void Finish(Handle h, int64_t sent, int64_t received) {
    Callbacks callbacks;
    {
      absl::MutexLock lock(&mu_);
      callbacks = callbacks_[h];
    }
    v1::AgentOneWayResult result;
    result.mutable_inbound()->set_sent(sent);
    result.mutable_inbound()->set_received(received);
    callbacks.on_done(result);
  }
  IpAddress peer(size_t i) {
    absl::MutexLock lock(&mu_);
    return peers_[i];
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::StartOneWayRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<IpAddress> peers_ ABSL_GUARDED_BY(mu_);
  std::vector<Callbacks> callbacks_ ABSL_GUARDED_BY(mu_);
  std::map<Handle, std::pair<int64_t, int64_t>> progress_ ABSL_GUARDED_BY(mu_);
  int cancelled_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_TESTS_AGENT_SERVICE_FAKE_RUNNERS_H_
