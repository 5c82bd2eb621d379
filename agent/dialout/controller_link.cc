#include "agent/dialout/controller_link.h"

#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "agent/dialout/relay.h"
#include "agent/rpc/rpc_limits.h"
#include "agent/rpc/status_convert.h"
#include "common/log/log.h"
#include "pathpair/v1/fleet.grpc.pb.h"

namespace pathpair::agent {

Backoff::Backoff(absl::Duration initial, absl::Duration max, std::function<double()> uniform)
    : initial_(initial), max_(std::max(initial, max)), uniform_(std::move(uniform)) {}

absl::Duration Backoff::Next() {
  absl::Duration ceiling = initial_;
  for (int i = 0; i < attempt_ && ceiling < max_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_);
  ++attempt_;
  const double u = std::clamp(uniform_(), 0.0, 1.0);
  return ceiling / 2 + ceiling / 2 * u;
}

// One accepted stream: the relayed calls running on the agent's service, and the frames queued
// for the controller (written by a thread of their own, so that no gRPC callback thread ever
// blocks on the controller's flow control).
class ControllerLink::Connection {
 public:
  Connection(const ControllerLinkOptions& options, grpc::GenericStub& agent,
             grpc::ClientReaderWriter<v1::AgentFrame, v1::ControllerFrame>& stream)
      : options_(options), agent_(agent), stream_(stream) {
    writer_ = std::thread([this] { WriteLoop(); });
  }

  // Cancels every relayed call, waits for them to end, and stops the writer.
  ~Connection() {
    std::vector<std::shared_ptr<RelayedCall>> calls;
    {
      absl::MutexLock lock(&mu_);
      for (auto& [id, call] : calls_) calls.push_back(call);
    }
    for (auto& call : calls) call->context.TryCancel();
    calls.clear();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](absl::flat_hash_map<uint64_t, std::shared_ptr<RelayedCall>>* open) {
            return open->empty();
          },
          &calls_));
      closed_ = true;
    }
    writer_.join();
  }

  // A frame from the controller; an error is a protocol violation (the stream is dropped).
  absl::Status OnFrame(const v1::ControllerFrame& frame) {
    switch (frame.frame_case()) {
      case v1::ControllerFrame::kStart:
        return OnStart(frame.start());
      case v1::ControllerFrame::kCancel:
        return OnCancel(frame.cancel().call_id());
      default:
        return absl::InvalidArgumentError("only call starts and cancels may follow 'accepted'");
    }
  }

  // False once the writer failed (the stream is broken).
  bool healthy() const {
    absl::MutexLock lock(&mu_);
    return !write_failed_;
  }

 private:
  // One call replayed on the agent's own service.
  class RelayedCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    RelayedCall(Connection& connection, uint64_t id) : connection_(connection), id_(id) {}
    void Begin(std::shared_ptr<RelayedCall> self, const std::string& method,
               const std::string& request) {
      self_ = std::move(self);
      request_ = ToByteBuffer(request);
      connection_.agent_.PrepareBidiStreamingCall(&context, method, grpc::StubOptions(), this);
      StartWriteLast(&request_, grpc::WriteOptions());
      StartRead(&response_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;
      v1::AgentFrame frame;
      frame.mutable_reply()->set_call_id(id_);
      frame.mutable_reply()->set_message(FromByteBuffer(response_));
      connection_.Send(std::move(frame));
      StartRead(&response_);
    }
    void OnDone(const grpc::Status& status) override {
      std::shared_ptr<RelayedCall> keep = std::move(self_);  // released when this returns
      v1::AgentFrame frame;
      frame.mutable_reply()->set_call_id(id_);
      frame.mutable_reply()->mutable_end()->set_code(status.error_code());
      frame.mutable_reply()->mutable_end()->set_message(status.error_message());
      connection_.Send(std::move(frame));
      connection_.Forget(id_);
    }

    grpc::ClientContext context;

   private:
    Connection& connection_;
    const uint64_t id_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
    std::shared_ptr<RelayedCall> self_;
  };

  absl::Status OnStart(const v1::CallStart& start) {
    if (start.call_id() == 0) return absl::InvalidArgumentError("call id 0");
    {
      absl::MutexLock lock(&mu_);
      if (start.call_id() <= last_call_id_) {
        return absl::InvalidArgumentError(
            absl::StrCat("call id ", start.call_id(), " was used already (ids only grow)"));
      }
      last_call_id_ = start.call_id();
    }
    absl::Status refused = ValidateRelayedCall(start.timeout_ms(), start.authorization());
    absl::StatusOr<RelayedMethod> method = FindAgentMethod(start.method());
    if (!method.ok()) {
      refused = absl::UnimplementedError(method.status().message());
    }
    auto call = std::make_shared<RelayedCall>(*this, start.call_id());
    if (refused.ok()) {
      absl::MutexLock lock(&mu_);
      if (static_cast<int>(calls_.size()) >= options_.max_calls) {
        refused = absl::ResourceExhaustedError(
            absl::StrCat("this agent already runs ", calls_.size(), " relayed calls"));
      } else {
        calls_[start.call_id()] = call;
      }
    }
    if (!refused.ok()) {
      v1::AgentFrame frame;
      frame.mutable_reply()->set_call_id(start.call_id());
      frame.mutable_reply()->mutable_end()->set_code(static_cast<int>(refused.code()));
      frame.mutable_reply()->mutable_end()->set_message(std::string(refused.message()));
      Send(std::move(frame));
      return absl::OkStatus();
    }
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::milliseconds(start.timeout_ms()));
    options_.tunnel->Mark(call->context);
    if (!start.authorization().empty()) {
      call->context.AddMetadata("authorization", start.authorization());
    }
    call->Begin(call, method->full_name, start.request());
    return absl::OkStatus();
  }

  absl::Status OnCancel(uint64_t id) {
    std::shared_ptr<RelayedCall> call;
    {
      absl::MutexLock lock(&mu_);
      if (id == 0 || id > last_call_id_) {
        return absl::InvalidArgumentError(absl::StrCat("cancel of unknown call ", id));
      }
      auto it = calls_.find(id);
      if (it == calls_.end()) return absl::OkStatus();  // it ended meanwhile
      call = it->second;
    }
    call->context.TryCancel();  // its OnDone answers with CANCELLED
    return absl::OkStatus();
  }

  void Send(v1::AgentFrame frame) {
    absl::MutexLock lock(&mu_);
    if (closed_ || write_failed_) return;
    outbox_.push_back(std::move(frame));
  }

  void Forget(uint64_t id) {
    absl::MutexLock lock(&mu_);
    calls_.erase(id);
  }

  void WriteLoop() {
    while (true) {
      v1::AgentFrame frame;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Connection* c)
                 ABSL_NO_THREAD_SAFETY_ANALYSIS { return !c->outbox_.empty() || c->closed_; },
            this));
        if (outbox_.empty()) return;  // closed, everything written
        frame = std::move(outbox_.front());
        outbox_.pop_front();
      }
      if (!stream_.Write(frame)) {
        absl::MutexLock lock(&mu_);
        write_failed_ = true;
        outbox_.clear();
        if (closed_) return;
      }
    }
  }

  const ControllerLinkOptions& options_;
  grpc::GenericStub& agent_;
  grpc::ClientReaderWriter<v1::AgentFrame, v1::ControllerFrame>& stream_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<RelayedCall>> calls_ ABSL_GUARDED_BY(mu_);
  uint64_t last_call_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<v1::AgentFrame> outbox_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

ControllerLink::ControllerLink(ControllerLinkOptions options,
                               std::shared_ptr<grpc::Channel> agent_channel)
    : options_(std::move(options)), agent_channel_(std::move(agent_channel)) {}

ControllerLink::~ControllerLink() { Stop(); }

void ControllerLink::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ControllerLink::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  {
    absl::MutexLock lock(&mu_);
    if (current_ != nullptr) current_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

int ControllerLink::attachments() const {
  absl::MutexLock lock(&mu_);
  return attachments_;
}

bool ControllerLink::WaitForAttachment(int after, absl::Duration timeout) const {
  struct Wanted {
    const int* attachments;
    int after;
  } wanted{&attachments_, after};
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(
                                  +[](Wanted* w) { return *w->attachments > w->after; }, &wanted),
                              timeout);
}

void ControllerLink::ReportState(const std::string& state) {
  if (options_.on_state) options_.on_state(state);
}

void ControllerLink::Run() {
  absl::BitGen random;
  Backoff backoff(options_.initial_backoff, options_.max_backoff,
                  [&random] { return absl::Uniform(random, 0.0, 1.0); });
  while (!stopping_.HasBeenNotified()) {
    absl::Status ended = Serve(backoff);
    if (stopping_.HasBeenNotified()) break;
    const absl::Duration wait = backoff.Next();
    log::Log(log::Level::kWarning, "controller_disconnected",
             {{"controller", options_.controller},
              {"error", ended.message()},
              {"retry_in_ms", absl::ToInt64Milliseconds(wait)}});
    ReportState(absl::StrCat("disconnected: ", ended.message()));
    stopping_.WaitForNotificationWithTimeout(wait);
  }
}

absl::Status ControllerLink::Serve(Backoff& backoff) {
  grpc::ChannelArguments args;
  // Frames carry one Agent message plus a few fields.
  args.SetMaxReceiveMessageSize(kMaxRequestBytes + 8192);
  args.SetMaxSendMessageSize(kMaxResponseBytes + 8192);
  // A controller that vanished (or a NAT that forgot the flow) is noticed without traffic.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  if (!options_.tls_name.empty()) args.SetSslTargetNameOverride(options_.tls_name);
  std::unique_ptr<v1::Controller::Stub> stub = v1::Controller::NewStub(
      grpc::CreateCustomChannel(options_.controller, options_.credentials, args));
  grpc::ClientContext context;
  if (!options_.agent_token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.agent_token));
  }
  {
    absl::MutexLock lock(&mu_);
    if (stopping_.HasBeenNotified()) return absl::OkStatus();
    current_ = &context;
  }
  struct ClearCurrent {
    ControllerLink* link;
    ~ClearCurrent() {
      absl::MutexLock lock(&link->mu_);
      link->current_ = nullptr;
    }
  } clear_current{this};

  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentFrame, v1::ControllerFrame>> stream =
      stub->Attach(&context);
  v1::AgentFrame hello;
  hello.mutable_hello()->set_name(options_.name);
  hello.mutable_hello()->set_version(options_.version);
  v1::ControllerFrame frame;
  if (!stream->Write(hello) || !stream->Read(&frame)) {
    context.TryCancel();
    grpc::Status status = stream->Finish();
    return absl::UnavailableError(absl::StrCat(
        "attach to ", options_.controller,
        " failed: ", status.error_message().empty() ? "the stream ended" : status.error_message()));
  }
  if (!frame.has_accepted()) {
    context.TryCancel();
    stream->Finish();
    return absl::InvalidArgumentError("the controller's first frame was not 'accepted'");
  }
  // The controller's identity: over TLS its certificate must carry the controller role.
  CallerIdentity controller{.name = "anonymous"};
  if (std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
      auth != nullptr && auth->IsPeerAuthenticated()) {
    absl::StatusOr<CallerIdentity> identity = IdentityFromAuthContext(*auth);
    if (!identity.ok() || identity->role != Role::kController) {
      context.TryCancel();
      stream->Finish();
      return absl::PermissionDeniedError(
          absl::StrCat("the controller's certificate does not carry the controller role: ",
                       identity.ok() ? identity->name : identity.status().message()));
    }
    controller = *identity;
  }
  options_.tunnel->Set(controller);
  backoff.Reset();
  {
    absl::MutexLock lock(&mu_);
    ++attachments_;
  }
  log::Log(log::Level::kInfo, "controller_attached",
           {{"controller", options_.controller},
            {"name", options_.name},
            {"controller_identity", controller.name},
            {"observed_address", frame.accepted().observed_peer()}});
  ReportState("attached");

  grpc::GenericStub agent(agent_channel_);
  absl::Status violation;
  {
    Connection connection(options_, agent, *stream);
    while (stream->Read(&frame)) {
      violation = connection.OnFrame(frame);
      if (!violation.ok()) break;
    }
    context.TryCancel();  // ends the stream at once; the connection then cancels its calls
  }
  grpc::Status status = stream->Finish();
  if (stopping_.HasBeenNotified()) return absl::OkStatus();
  if (!violation.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the controller broke the relay protocol: ", violation.message()));
  }
  return absl::UnavailableError(absl::StrCat(
      "the stream to ", options_.controller,
      " ended: ", status.error_message().empty() ? "no reason given" : status.error_message()));
}

}  // namespace pathpair::agent
