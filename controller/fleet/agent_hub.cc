#include "controller/fleet/agent_hub.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/support/client_interceptor.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "agent/dialout/relay.h"
#include "agent/rpc/caller_identity.h"
#include "agent/rpc/rpc_limits.h"
#include "agent/rpc/status_convert.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace pathpair::fleet {
namespace {

// The header the hub's in-process channels put on every call: which agent's tunnel it takes.
// Only the hub's own channels reach its in-process server, so the header is trusted.
constexpr char kAgentHeader[] = "x-pathpair-agent";

// Serialises a server reactor's writes (one StartWrite at a time) and finishes it once the
// queued messages are written. Thread-safe. It never calls into gRPC under its lock, because
// gRPC may run a reaction (OnWriteDone, OnDone) inline from StartWrite or Finish.
template <typename Request, typename Response>
class WriteQueue {
 public:
  explicit WriteQueue(grpc::ServerBidiReactor<Request, Response>* reactor) : reactor_(reactor) {}

  // Queues `message`; false once the stream is finishing or broken.
  bool Write(Response message) {
    Response* start = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (finishing_ || broken_) return false;
      queue_.push_back(std::move(message));
      if (!writing_) {
        writing_ = true;
        start = &queue_.front();
      }
    }
    if (start != nullptr) reactor_->StartWrite(start);
    return true;
  }

  // Finishes with `status` after the queued writes (at once when `drop_queued`). Only the
  // first call counts.
  void Finish(grpc::Status status, bool drop_queued = false) {
    bool now = false;
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      finishing_ = true;
      status_ = std::move(status);
      if (drop_queued && queue_.size() > 1) queue_.erase(queue_.begin() + 1, queue_.end());
      now = !writing_;
      finished_ = now;
    }
    if (now) reactor_->Finish(status_);
  }

  bool finishing() const {
    absl::MutexLock lock(&mu_);
    return finishing_;
  }

  // From the reactor's OnWriteDone.
  void OnWriteDone(bool ok) {
    Response* next = nullptr;
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      queue_.pop_front();
      if (!ok) {
        broken_ = true;
        queue_.clear();
      }
      if (!queue_.empty()) {
        next = &queue_.front();
      } else {
        writing_ = false;
        finish = finishing_ && !finished_;
        finished_ = finished_ || finish;
      }
    }
    if (next != nullptr) {
      reactor_->StartWrite(next);
    } else if (finish) {
      reactor_->Finish(status_);
    }
  }

 private:
  grpc::ServerBidiReactor<Request, Response>* const reactor_;
  mutable absl::Mutex mu_;
  std::deque<Response> queue_ ABSL_GUARDED_BY(mu_);  // front: being written when writing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_;  // written once, before finishing_ is set
};

// Puts the agent's name on every call of one in-process channel.
class AgentNameInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit AgentNameInterceptor(const std::string& name) : name_(name) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({kAgentHeader, name_});
    }
    methods->Proceed();
  }

 private:
  const std::string name_;
};

class AgentNameInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit AgentNameInterceptorFactory(std::string name) : name_(std::move(name)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new AgentNameInterceptor(name_);
  }

 private:
  const std::string name_;
};

std::string MetadataValue(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                          const char* key) {
  auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// "ipv4:203.0.113.7:40000" -> "203.0.113.7:40000" (gRPC's peer strings).
std::string PeerAddress(const std::string& peer) {
  for (absl::string_view prefix : {"ipv4:", "ipv6:"}) {
    if (absl::StartsWith(peer, prefix)) return peer.substr(prefix.size());
  }
  return peer;
}

}  // namespace

class ProxyCall;
class AttachReactor;

// The hub's state: the connected agents' tunnels and the calls relayed over each. One mutex
// guards the registry; reactors are owned by shared_ptrs (released in OnDone), so that a
// reactor found under the lock may be used after it (a finished one ignores what it gets).
class AgentHub::Impl {
 public:
  explicit Impl(AgentHubOptions options);

  const AgentHubOptions& options() const { return options_; }

  // A tunnel's hello: queues its 'accepted' frame and registers it under `name` (replacing a
  // tunnel already there) at once, so that 'accepted' is the first frame the agent reads and,
  // once it has read it, calls find the tunnel.
  absl::Status Register(const std::shared_ptr<AttachReactor>& tunnel, const std::string& name,
                        const AgentPresence& presence);
  // A tunnel ended (idempotent): unregisters it and fails its calls.
  void Drop(AttachReactor* tunnel, const absl::Status& why);
  // A reply frame from `tunnel`'s agent; an error is a protocol violation.
  absl::Status OnReply(AttachReactor* tunnel, const v1::CallReply& reply);

  // A proxy call's request: starts it on the agent's tunnel, or fails it.
  void StartRelay(const std::shared_ptr<ProxyCall>& call, const std::string& agent,
                  const std::string& method, std::string request,
                  std::chrono::system_clock::time_point deadline, std::string authorization);
  // The proxy call's client went away: tells the agent.
  void CancelRelay(ProxyCall* call);

  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& name);
  bool IsConnected(const std::string& name) const;
  std::vector<AgentPresence> Connected() const;
  void Shutdown();
  bool shut_down() const {
    absl::MutexLock lock(&mu_);
    return shut_down_;
  }

 private:
  class ProxyService;
  struct Tunnel {
    std::shared_ptr<AttachReactor> reactor;
    AgentPresence presence;
    uint64_t next_call_id = 1;
    absl::flat_hash_map<uint64_t, std::shared_ptr<ProxyCall>> calls;
  };

  // Reports presence changes in the order they were made: takes presence_mu_ before mu_ is
  // released.
  void Report(std::vector<AgentPresence> events) ABSL_UNLOCK_FUNCTION(mu_);

  const AgentHubOptions options_;
  mutable absl::Mutex mu_;
  absl::Mutex presence_mu_ ABSL_ACQUIRED_AFTER(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, Tunnel> tunnels_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::CallbackGenericService> proxy_service_;
  std::unique_ptr<grpc::Server> proxy_server_;
};

// One Attach stream: an agent's tunnel.
class AttachReactor final : public grpc::ServerBidiReactor<v1::AgentFrame, v1::ControllerFrame>,
                            public std::enable_shared_from_this<AttachReactor> {
 public:
  static AttachReactor* Create(AgentHub::Impl& hub, grpc::CallbackServerContext* context) {
    auto reactor = std::shared_ptr<AttachReactor>(new AttachReactor(hub, context));
    reactor->self_ = reactor;
    reactor->Begin();
    return reactor.get();
  }

  const std::string& name() const { return name_; }
  bool Send(v1::ControllerFrame frame) { return writes_.Write(std::move(frame)); }
  // Ends the stream with `status` (a violation, a replacement, shutdown); idempotent.
  void Kick(const absl::Status& status) {
    hub_.Drop(this, status);
    writes_.Finish(agent::ToGrpcStatus(status), /*drop_queued=*/true);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Kick(absl::UnavailableError("the agent's stream ended"));
      return;
    }
    absl::Status handled = name_.empty() ? OnHello() : OnFrame();
    if (!handled.ok()) {
      log::Log(log::Level::kWarning, "fleet_protocol_error",
               {{"agent", name_}, {"peer", peer_}, {"error", handled.message()}});
      Kick(handled);
      return;
    }
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override { writes_.OnWriteDone(ok); }
  void OnCancel() override { Kick(absl::CancelledError("the agent's stream was cancelled")); }
  void OnDone() override {
    hub_.Drop(this, absl::UnavailableError("the agent's stream ended"));
    self_.reset();  // may delete this
  }

 private:
  AttachReactor(AgentHub::Impl& hub, grpc::CallbackServerContext* context)
      : hub_(hub), context_(context), peer_(PeerAddress(context->peer())), writes_(this) {}

  void Begin() {
    if (absl::Status allowed = Authenticate(); !allowed.ok()) {
      log::Log(log::Level::kWarning, "fleet_attach_refused",
               {{"peer", peer_}, {"error", allowed.message()}});
      writes_.Finish(agent::ToGrpcStatus(allowed));
      return;
    }
    StartRead(&in_);
  }

  // The agent role: a certificate of it, or the agent token.
  absl::Status Authenticate() {
    const AgentHubOptions& options = hub_.options();
    if (hub_.shut_down()) return absl::UnavailableError("the controller is shutting down");
    bool authenticated = false;
    if (context_->auth_context() != nullptr && context_->auth_context()->IsPeerAuthenticated()) {
      absl::StatusOr<agent::CallerIdentity> identity =
          agent::IdentityFromAuthContext(*context_->auth_context());
      if (!identity.ok()) return identity.status();
      if (identity->role != agent::Role::kAgent) {
        return absl::PermissionDeniedError(
            absl::StrCat("Attach needs an agent certificate (spiffe://pathpair/agent/NAME), not ",
                         identity->name));
      }
      certified_name_ = identity->name.substr(identity->name.rfind('/') + 1);
      authenticated = true;
    }
    if (!options.agent_token.empty()) {
      const std::string value = MetadataValue(context_->client_metadata(), "authorization");
      if (!absl::StartsWith(value, "Bearer ") ||
          !agent::SecretEquals(absl::string_view(value).substr(7), options.agent_token)) {
        return absl::UnauthenticatedError("Attach needs the agent token (--agent-token-file)");
      }
      authenticated = true;
    }
    if (!authenticated && !options.allow_unauthenticated) {
      return absl::UnauthenticatedError(
          "Attach needs an agent certificate (mutual TLS) or the agent token");
    }
    return absl::OkStatus();
  }

  absl::Status OnHello() {
    if (!in_.has_hello()) return absl::InvalidArgumentError("the first frame must be a hello");
    const v1::AttachHello& hello = in_.hello();
    PATHPAIR_RETURN_IF_ERROR(ValidateAgentName(hello.name()));
    if (!certified_name_.empty() && hello.name() != certified_name_) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the agent's certificate names it '", certified_name_, "', not '", hello.name(), "'"));
    }
    AgentPresence presence{.name = hello.name(),
                           .connected = true,
                           .peer = peer_,
                           .version = hello.version().substr(0, 64)};
    name_ = hello.name();
    PATHPAIR_RETURN_IF_ERROR(hub_.Register(shared_from_this(), name_, presence));
    log::Log(log::Level::kInfo, "fleet_agent_attached", {{"agent", name_}, {"peer", peer_}});
    return absl::OkStatus();
  }

  absl::Status OnFrame() {
    if (!in_.has_reply()) return absl::InvalidArgumentError("only call replies may follow hello");
    return hub_.OnReply(this, in_.reply());
  }

  AgentHub::Impl& hub_;
  grpc::CallbackServerContext* const context_;
  const std::string peer_;
  std::string certified_name_;  // NAME of the agent certificate, if any
  std::string name_;            // set once the hello is accepted (read thread only)
  v1::AgentFrame in_;
  WriteQueue<v1::AgentFrame, v1::ControllerFrame> writes_;
  std::shared_ptr<AttachReactor> self_;
};

// One Agent call of the controller (an Endpoint's AgentClient on an in-process channel),
// relayed to the agent over its tunnel.
class ProxyCall final : public grpc::ServerGenericBidiReactor,
                        public std::enable_shared_from_this<ProxyCall> {
 public:
  static ProxyCall* Create(AgentHub::Impl& hub, grpc::GenericCallbackServerContext* context) {
    auto call = std::shared_ptr<ProxyCall>(new ProxyCall(hub, context));
    call->self_ = call;
    call->StartRead(&call->request_);
    return call.get();
  }

  void Bind(uint64_t call_id, bool server_streaming) {
    call_id_ = call_id;
    server_streaming_ = server_streaming;
  }
  uint64_t call_id() const { return call_id_; }

  // A message from the agent; an error is a protocol violation (a second answer to a unary
  // call).
  absl::Status Deliver(std::string message) {
    if (!server_streaming_ && messages_++ > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("call ", call_id_, " is unary but got a second message"));
    }
    writes_.Write(agent::ToByteBuffer(message));
    return absl::OkStatus();
  }
  void End(grpc::Status status) { writes_.Finish(std::move(status)); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    hub_.StartRelay(shared_from_this(), MetadataValue(context_->client_metadata(), kAgentHeader),
                    context_->method(), agent::FromByteBuffer(request_), context_->deadline(),
                    MetadataValue(context_->client_metadata(), "authorization"));
  }
  void OnWriteDone(bool ok) override { writes_.OnWriteDone(ok); }
  void OnCancel() override {
    hub_.CancelRelay(this);
    End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }
  void OnDone() override { self_.reset(); }

 private:
  ProxyCall(AgentHub::Impl& hub, grpc::GenericCallbackServerContext* context)
      : hub_(hub), context_(context), writes_(this) {}

  AgentHub::Impl& hub_;
  grpc::GenericCallbackServerContext* const context_;
  grpc::ByteBuffer request_;
  WriteQueue<grpc::ByteBuffer, grpc::ByteBuffer> writes_;
  // Set by Bind under the hub's lock before any reply can arrive; read on the tunnel's read
  // thread (replies of one call come in order from one stream).
  uint64_t call_id_ = 0;
  bool server_streaming_ = false;
  int messages_ = 0;
  std::shared_ptr<ProxyCall> self_;
};

class AgentHub::Impl::ProxyService final : public grpc::CallbackGenericService {
 public:
  explicit ProxyService(Impl& hub) : hub_(hub) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return ProxyCall::Create(hub_, context);
  }

 private:
  Impl& hub_;
};

AgentHub::Impl::Impl(AgentHubOptions options) : options_(std::move(options)) {
  proxy_service_ = std::make_unique<ProxyService>(*this);
  grpc::ServerBuilder builder;
  builder.RegisterCallbackGenericService(proxy_service_.get());
  builder.SetMaxReceiveMessageSize(agent::kMaxRequestBytes);
  builder.SetMaxSendMessageSize(agent::kMaxResponseBytes);
  proxy_server_ = builder.BuildAndStart();
}

void AgentHub::Impl::Report(std::vector<AgentPresence> events) {
  presence_mu_.Lock();
  mu_.Unlock();
  if (options_.on_presence) {
    for (const AgentPresence& event : events) options_.on_presence(event);
  }
  presence_mu_.Unlock();
}

absl::Status AgentHub::Impl::Register(const std::shared_ptr<AttachReactor>& tunnel,
                                      const std::string& name, const AgentPresence& presence) {
  std::shared_ptr<AttachReactor> replaced;
  std::vector<std::shared_ptr<ProxyCall>> failed;
  std::vector<AgentPresence> events;
  mu_.Lock();
  if (shut_down_) {
    mu_.Unlock();
    return absl::UnavailableError("the controller is shutting down");
  }
  auto it = tunnels_.find(name);
  if (it != tunnels_.end()) {
    // The newest connection wins: the old one is most likely dead (the agent reconnected after
    // a network change) and would otherwise hold the name until keepalive notices.
    replaced = std::move(it->second.reactor);
    for (auto& [id, call] : it->second.calls) failed.push_back(std::move(call));
    AgentPresence gone = it->second.presence;
    gone.connected = false;
    gone.reason =
        absl::AbortedError(absl::StrCat("replaced by a new connection from ", presence.peer));
    events.push_back(std::move(gone));
    tunnels_.erase(it);
  }
  v1::ControllerFrame accepted;
  accepted.mutable_accepted()->set_name(name);
  accepted.mutable_accepted()->set_observed_peer(presence.peer);
  // Under the lock: no call can be queued before it. (Safe on this gRPC callback thread: the
  // write's reaction runs after the current one returns.)
  tunnel->Send(std::move(accepted));
  tunnels_[name] = Tunnel{.reactor = tunnel, .presence = presence};
  events.push_back(presence);
  Report(std::move(events));
  const grpc::Status unavailable(grpc::StatusCode::UNAVAILABLE,
                                 absl::StrCat("agent ", name, " reconnected"));
  for (auto& call : failed) call->End(unavailable);
  if (replaced != nullptr) {
    log::Log(log::Level::kInfo, "fleet_agent_replaced", {{"agent", name}, {"peer", presence.peer}});
    replaced->Kick(absl::AbortedError("replaced by a newer connection of the same agent"));
  }
  return absl::OkStatus();
}

void AgentHub::Impl::Drop(AttachReactor* tunnel, const absl::Status& why) {
  std::vector<std::shared_ptr<ProxyCall>> failed;
  mu_.Lock();
  auto it = tunnel->name().empty() ? tunnels_.end() : tunnels_.find(tunnel->name());
  if (it == tunnels_.end() || it->second.reactor.get() != tunnel) {
    mu_.Unlock();
    return;
  }
  for (auto& [id, call] : it->second.calls) failed.push_back(std::move(call));
  AgentPresence gone = std::move(it->second.presence);
  gone.connected = false;
  gone.reason = why;
  // The reactor stays alive through its own reference until OnDone.
  tunnels_.erase(it);
  log::Log(log::Level::kInfo, "fleet_agent_detached",
           {{"agent", gone.name}, {"reason", why.message()}});
  const grpc::Status unavailable(
      grpc::StatusCode::UNAVAILABLE,
      absl::StrCat("agent ", gone.name, " disconnected: ", why.message()));
  Report({std::move(gone)});
  for (auto& call : failed) call->End(unavailable);
}

absl::Status AgentHub::Impl::OnReply(AttachReactor* tunnel, const v1::CallReply& reply) {
  std::shared_ptr<ProxyCall> call;
  {
    absl::MutexLock lock(&mu_);
    auto it = tunnels_.find(tunnel->name());
    if (it == tunnels_.end() || it->second.reactor.get() != tunnel) return absl::OkStatus();
    Tunnel& state = it->second;
    if (reply.call_id() == 0 || reply.call_id() >= state.next_call_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("a reply to call ", reply.call_id(), ", which was never started"));
    }
    auto call_it = state.calls.find(reply.call_id());
    // A call that ended here already (cancelled by its client): its late replies are dropped.
    if (call_it == state.calls.end()) return absl::OkStatus();
    call = call_it->second;
    if (reply.has_end() || reply.reply_case() == v1::CallReply::REPLY_NOT_SET) {
      state.calls.erase(call_it);
    }
  }
  switch (reply.reply_case()) {
    case v1::CallReply::kMessage:
      if (absl::Status s = call->Deliver(reply.message()); !s.ok()) {
        call->End(grpc::Status(grpc::StatusCode::INTERNAL,
                               absl::StrCat("the agent broke the relay protocol: ", s.message())));
        return s;
      }
      return absl::OkStatus();
    case v1::CallReply::kEnd:
      call->End(agent::RelayedEndStatus(reply.end().code(), reply.end().message()));
      return absl::OkStatus();
    default:
      call->End(grpc::Status(grpc::StatusCode::INTERNAL, "the agent sent an empty reply"));
      return absl::InvalidArgumentError("an empty call reply");
  }
}

void AgentHub::Impl::StartRelay(const std::shared_ptr<ProxyCall>& call, const std::string& agent,
                                const std::string& method, std::string request,
                                std::chrono::system_clock::time_point deadline,
                                std::string authorization) {
  absl::StatusOr<agent::RelayedMethod> relayed = agent::FindAgentMethod(method);
  if (!relayed.ok()) {
    call->End(
        grpc::Status(grpc::StatusCode::UNIMPLEMENTED, std::string(relayed.status().message())));
    return;
  }
  const int64_t timeout_ms = deadline == std::chrono::system_clock::time_point::max()
                                 ? 0
                                 : std::chrono::duration_cast<std::chrono::milliseconds>(
                                       deadline - std::chrono::system_clock::now())
                                       .count();
  if (timeout_ms <= 0) {
    call->End(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                           "a call relayed to an agent needs a deadline in the future"));
    return;
  }
  std::shared_ptr<AttachReactor> tunnel;
  v1::ControllerFrame frame;
  {
    absl::MutexLock lock(&mu_);
    auto it = tunnels_.find(agent);
    if (it == tunnels_.end()) {
      call->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             absl::StrCat("agent ", agent, " is not connected")));
      return;
    }
    Tunnel& state = it->second;
    if (static_cast<int>(state.calls.size()) >= options_.max_calls_per_agent) {
      call->End(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                             absl::StrCat("agent ", agent, " already has ", state.calls.size(),
                                          " relayed calls open")));
      return;
    }
    const uint64_t id = state.next_call_id++;
    call->Bind(id, relayed->server_streaming);
    state.calls[id] = call;
    tunnel = state.reactor;
    v1::CallStart* start = frame.mutable_start();
    start->set_call_id(id);
    start->set_method(method);
    start->set_request(std::move(request));
    start->set_timeout_ms(
        std::min(timeout_ms, absl::ToInt64Milliseconds(agent::kMaxRelayedCallTimeout)));
    start->set_authorization(std::move(authorization));
  }
  tunnel->Send(std::move(frame));  // a tunnel that is ending fails the call itself (Drop)
}

void AgentHub::Impl::CancelRelay(ProxyCall* call) {
  std::shared_ptr<AttachReactor> tunnel;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, state] : tunnels_) {
      auto it = state.calls.find(call->call_id());
      if (it != state.calls.end() && it->second.get() == call) {
        state.calls.erase(it);
        tunnel = state.reactor;
        break;
      }
    }
  }
  if (tunnel == nullptr) return;
  v1::ControllerFrame frame;
  frame.mutable_cancel()->set_call_id(call->call_id());
  tunnel->Send(std::move(frame));
}

std::shared_ptr<grpc::Channel> AgentHub::Impl::ChannelFor(const std::string& name) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(agent::kMaxResponseBytes);
  args.SetMaxSendMessageSize(agent::kMaxRequestBytes);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<AgentNameInterceptorFactory>(name));
  return proxy_server_->experimental().InProcessChannelWithInterceptors(args,
                                                                        std::move(interceptors));
}

bool AgentHub::Impl::IsConnected(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  return tunnels_.contains(name);
}

std::vector<AgentPresence> AgentHub::Impl::Connected() const {
  std::vector<AgentPresence> connected;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, state] : tunnels_) connected.push_back(state.presence);
  }
  std::sort(connected.begin(), connected.end(),
            [](const AgentPresence& a, const AgentPresence& b) { return a.name < b.name; });
  return connected;
}

void AgentHub::Impl::Shutdown() {
  std::vector<std::shared_ptr<AttachReactor>> tunnels;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [name, state] : tunnels_) tunnels.push_back(state.reactor);
  }
  for (auto& tunnel : tunnels) {
    tunnel->Kick(absl::UnavailableError("the controller is shutting down"));
  }
  proxy_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

absl::Status ValidateAgentName(const std::string& name) { return agent::ValidateAgentName(name); }

AgentHub::AgentHub(AgentHubOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

AgentHub::~AgentHub() { Shutdown(); }

absl::StatusOr<std::unique_ptr<paired::Endpoint>> AgentHub::EndpointFor(const std::string& name) {
  PATHPAIR_RETURN_IF_ERROR(ValidateAgentName(name));
  if (!impl_->IsConnected(name)) {
    return absl::UnavailableError(absl::StrCat("agent ", name, " is not connected"));
  }
  paired::AgentConnectionOptions options = impl_->options().calls;
  options.channel = impl_->ChannelFor(name);
  return std::make_unique<paired::GrpcAgentEndpoint>(name, std::move(options));
}

bool AgentHub::IsConnected(const std::string& name) const { return impl_->IsConnected(name); }
std::vector<AgentPresence> AgentHub::Connected() const { return impl_->Connected(); }
void AgentHub::Shutdown() { impl_->Shutdown(); }

grpc::ServerBidiReactor<v1::AgentFrame, v1::ControllerFrame>* AgentHub::Attach(
    grpc::CallbackServerContext* context) {
  return AttachReactor::Create(*impl_, context);
}

}  // namespace pathpair::fleet
