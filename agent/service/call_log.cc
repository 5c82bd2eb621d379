#include "agent/service/call_log.h"

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/status.h"

namespace pathpair::agent {
namespace {

class CallLogInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit CallLogInterceptor(grpc::experimental::ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const CallLogEvent how = CallLogEventFor(status.error_code());
      if (log::Enabled(how.level)) {
        const std::string peer =
            info_->server_context() != nullptr ? info_->server_context()->peer() : "";
        log::Log(
            how.level, how.event,
            {{"rpc", info_->method() != nullptr ? info_->method() : ""},
             {"peer", peer},
             {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))},
             {"reason", status.error_message()}});
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
};

class CallLogFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallLogInterceptor(info);
  }
};

}  // namespace

CallLogEvent CallLogEventFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return {"call", log::Level::kDebug};
    case grpc::StatusCode::CANCELLED:
      return {"call_cancelled", log::Level::kInfo};
    case grpc::StatusCode::ABORTED:      // a lease expired
    case grpc::StatusCode::UNAVAILABLE:  // the agent is shutting down
      return {"call_aborted", log::Level::kWarning};
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::NOT_FOUND:
      return {"call_refused", log::Level::kWarning};
    default:
      return {"call_error", log::Level::kError};
  }
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
CallLogInterceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<CallLogFactory>());
  return creators;
}

}  // namespace pathpair::agent
