#include "controller/fleet/agent_hub.h"

#include "absl/strings/ascii.h"

namespace pathpair::fleet {

absl::Status ValidateAgentName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("an agent name must be 1..64 characters");
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError("an agent name may only hold [A-Za-z0-9._-]");
    }
  }
  return absl::OkStatus();
}

class AgentHub::Impl {};

AgentHub::AgentHub(AgentHubOptions) : impl_(std::make_unique<Impl>()) {}
AgentHub::~AgentHub() = default;

absl::StatusOr<std::unique_ptr<paired::Endpoint>> AgentHub::EndpointFor(const std::string& name) {
  return absl::UnavailableError("agent " + name + " is not connected");
}
bool AgentHub::IsConnected(const std::string&) const { return false; }
std::vector<AgentPresence> AgentHub::Connected() const { return {}; }
void AgentHub::Shutdown() {}

grpc::ServerBidiReactor<v1::AgentFrame, v1::ControllerFrame>* AgentHub::Attach(
    grpc::CallbackServerContext* context) {
  return v1::Controller::CallbackService::Attach(context);
}

}  // namespace pathpair::fleet
