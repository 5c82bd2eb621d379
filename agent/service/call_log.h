// A gRPC server interceptor that logs how every call of the Agent service ended (common/log):
// refused calls (bad token, no consent, over a limit, bad request) and sessions aborted (lease
// expired, shutdown) as warnings, failures as errors, calls the client cancelled at info, the
// rest at debug; each with the method, the
// peer, the status code and its message. BuildAgentServer installs it, so the service itself
// only logs what a status cannot say (sessions starting and ending).
//
//   builder.experimental().SetInterceptorCreators(CallLogInterceptors());
#ifndef PATHPAIR_AGENT_SERVICE_CALL_LOG_H_
#define PATHPAIR_AGENT_SERVICE_CALL_LOG_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <vector>

#include "common/log/log.h"

namespace pathpair::agent {

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
CallLogInterceptors();

// How a call that ended with `code` is logged: the event name and its level.
struct CallLogEvent {
  const char* event;
  log::Level level;
};
CallLogEvent CallLogEventFor(grpc::StatusCode code);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_CALL_LOG_H_
