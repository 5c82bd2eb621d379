#include "agent/service/agent_client.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace pathpair::agent {

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeAgentChannel(const AgentClientOptions& options) {
  if (options.endpoint.empty()) return absl::InvalidArgumentError("no agent endpoint");
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls.has_value()) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls =
        MakeChannelCredentials(*options.tls);
    if (!tls.ok()) return tls.status();
    credentials = *tls;
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxSendMessageBytes);
  args.SetMaxSendMessageSize(kMaxReceiveMessageBytes);
  // At the agent's minimum ping interval; more often would get the connection closed.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  if (!options.tls_name.empty()) args.SetSslTargetNameOverride(options.tls_name);
  return grpc::CreateCustomChannel(options.endpoint, credentials, args);
}

void PrepareContext(grpc::ClientContext& context, const AgentClientOptions& options,
                    absl::Duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  if (!options.token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options.token));
  }
}

LeaseRenewer::LeaseRenewer(v1::Agent::Stub& stub, AgentClientOptions options)
    : stub_(stub), options_(std::move(options)), thread_([this] { Loop(); }) {}

LeaseRenewer::~LeaseRenewer() {
  stop_.Notify();
  thread_.join();
}

void LeaseRenewer::Add(const std::string& session_id, absl::Duration lease) {
  absl::MutexLock lock(&mu_);
  sessions_.insert(session_id);
  period_ = std::min(period_, std::max(lease / 3, absl::Milliseconds(100)));
}

void LeaseRenewer::Remove(const std::string& session_id) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(session_id);
}

void LeaseRenewer::Loop() {
  // Wakes often so that a shorter lease added later takes effect at once.
  absl::Time last_renewal = absl::Now();
  while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
    absl::Duration period;
    v1::RenewRequest request;
    {
      absl::MutexLock lock(&mu_);
      period = period_;
      if (absl::Now() - last_renewal < period) continue;
      for (const std::string& id : sessions_) request.add_session_ids(id);
    }
    last_renewal = absl::Now();
    if (request.session_ids_size() == 0) continue;
    grpc::ClientContext context;
    PrepareContext(context, options_, period);
    v1::RenewResponse response;
    if (!stub_.Renew(&context, request, &response).ok()) continue;  // try again next period
    absl::MutexLock lock(&mu_);
    for (const std::string& id : response.unknown_session_ids()) sessions_.erase(id);
  }
}

}  // namespace pathpair::agent
