#include "agent/rpc/grpc_log.h"

#include <grpc/support/log.h>

#include "common/log/log.h"

namespace pathpair::agent {
namespace {

void ToLog(gpr_log_func_args* args) {
  log::Log(log::Level::kDebug, "grpc",
           {{"severity", gpr_log_severity_string(args->severity)},
            {"file", args->file != nullptr ? args->file : ""},
            {"line", args->line},
            {"message", args->message != nullptr ? args->message : ""}});
}

}  // namespace

void RouteGrpcLogsToLog() {
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_DEBUG);  // everything reaches ToLog, which filters
  gpr_set_log_function(ToLog);
}

}  // namespace pathpair::agent
