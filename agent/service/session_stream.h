// SessionStream: the server side of one streaming session RPC (StartTrace, StartOneWay) on the
// callback API. Runner threads Push() updates at any time; the stream writes one at a time and,
// while a write is in flight, keeps only the newest update (a slow client gets the latest state,
// never an unbounded queue). The final update is never dropped, and Finish() follows it. An
// update is freed once written: an idle stream holds no message (an agent serves up to thousands).
// Cancellation by the client (or its deadline) runs the session's stop function.
//
//   auto stream = SessionStream<v1::TraceUpdate>::Create([&] { runner.Cancel(h); });
//   stream->Push(first_update, /*is_final=*/false);
//   ... runner thread: stream->Push(update, false); ... stream->Push(last, true);
//   stream->Finish(grpc::Status::OK);
//   return stream->reactor();   // from the RPC handler
#ifndef PATHPAIR_AGENT_SERVICE_SESSION_STREAM_H_
#define PATHPAIR_AGENT_SERVICE_SESSION_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace pathpair::agent {

template <typename Update>
class SessionStream : public std::enable_shared_from_this<SessionStream<Update>> {
 public:
  // The reactor gRPC owns; it keeps the stream alive until gRPC is done with the call.
  class Reactor final : public grpc::ServerWriteReactor<Update> {
   public:
    explicit Reactor(std::shared_ptr<SessionStream> stream) : stream_(std::move(stream)) {}
    void OnWriteDone(bool ok) override { stream_->OnWriteDone(ok); }
    void OnCancel() override { stream_->OnCancel(); }
    void OnDone() override {
      stream_->OnDone();
      delete this;
    }

   private:
    std::shared_ptr<SessionStream> stream_;
  };

  static std::shared_ptr<SessionStream> Create() {
    std::shared_ptr<SessionStream> stream(new SessionStream());
    stream->reactor_ = new Reactor(stream);
    return stream;
  }

  grpc::ServerWriteReactor<Update>* reactor() { return reactor_; }

  // The function that stops the session's work; run once, on client cancellation or OnDone.
  void SetStop(std::function<void()> stop) {
    absl::MutexLock lock(&mu_);
    stop_ = std::move(stop);
  }

  // Queues an update. Updates after the final one, or after the call ended, are dropped.
  void Push(Update update, bool is_final) {
    absl::MutexLock lock(&mu_);
    if (reactor_ == nullptr || final_queued_ || finish_requested_) return;
    pending_ = std::move(update);
    final_queued_ = is_final;
    StartNextLocked();
  }

  // Ends the call with `status` once every queued update is written. Only the first call counts.
  void Finish(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    if (reactor_ == nullptr || finish_requested_) return;
    finish_requested_ = true;
    finish_status_ = std::move(status);
    StartNextLocked();
  }

 private:
  SessionStream() = default;

  void StartNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || reactor_ == nullptr) return;
    if (pending_.has_value() && !write_failed_) {
      in_flight_ = std::move(pending_);
      pending_.reset();
      writing_ = true;
      // gRPC never runs OnWriteDone inline from StartWrite, so holding mu_ here is safe.
      reactor_->StartWrite(&*in_flight_);
      return;
    }
    if (finish_requested_) {
      finished_ = true;
      reactor_->Finish(finish_status_);
    }
  }

  void OnWriteDone(bool ok) {
    bool client_gone = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      in_flight_.reset();  // gRPC is done with it
      if (!ok) {
        // The stream broke (client gone): nothing more can be written.
        write_failed_ = true;
        pending_.reset();
        client_gone = true;
        if (!finish_requested_) {
          finish_requested_ = true;
          finish_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "stream write failed");
        }
      }
      StartNextLocked();
    }
    if (client_gone) RunStop();
  }

  void OnCancel() {
    RunStop();
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
  }

  void OnDone() {
    {
      absl::MutexLock lock(&mu_);
      reactor_ = nullptr;
    }
    RunStop();  // e.g. the call failed before the session ended by itself
  }

  void RunStop() {
    std::function<void()> stop;
    {
      absl::MutexLock lock(&mu_);
      stop = std::move(stop_);
      stop_ = nullptr;
    }
    if (stop) stop();
  }

  absl::Mutex mu_;
  Reactor* reactor_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::function<void()> stop_ ABSL_GUARDED_BY(mu_);
  std::optional<Update> pending_ ABSL_GUARDED_BY(mu_);
  std::optional<Update> in_flight_ ABSL_GUARDED_BY(mu_);  // while writing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool final_queued_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_SESSION_STREAM_H_
