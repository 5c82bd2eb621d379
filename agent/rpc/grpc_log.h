// Routes gRPC's own log lines (gpr_log: bind failures, TLS handshake errors, ...) into
// common/log as debug events, so that a user sees pathpair's one clear line for a failure and
// not gRPC's internals (they are still there with --log-level debug, or for the controller with
// GRPC_VERBOSITY as usual when this is not called).
//
//   RouteGrpcLogsToLog();   // once, early in main
#ifndef PATHPAIR_AGENT_RPC_GRPC_LOG_H_
#define PATHPAIR_AGENT_RPC_GRPC_LOG_H_

namespace pathpair::agent {

void RouteGrpcLogsToLog();

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_RPC_GRPC_LOG_H_
