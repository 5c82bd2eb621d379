// The agent's Prometheus metrics: one process-wide registry of counters and gauges that the
// service, the prober and the RPC layer bump, rendered in the Prometheus text exposition format
// (version 0.0.4) for `pathpair-agent --metrics-listen` (metrics_http.h serves it).
//
// The counting hooks are free functions on the process-wide registry, so that any part of the
// agent counts with one call and no plumbing:
//
//   metrics::CountProbeSent();
//   metrics::CountReply("time_exceeded");
//   metrics::CountRpc("pathpair.v1.Agent/StartTrace", "OK");
//   metrics::CountLimitRefusal("max_traces");
//   metrics::Global().SetTracesActive([&] { return service.sessions().Count(...); });
//   std::string text = metrics::Global().Render();
//
// Tests build their own AgentMetrics and call its methods directly.
#ifndef PATHPAIR_AGENT_METRICS_AGENT_METRICS_H_
#define PATHPAIR_AGENT_METRICS_AGENT_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace pathpair::agent::metrics {

class AgentMetrics {
 public:
  AgentMetrics();

  void CountProbeSent() { probes_sent_.fetch_add(1, std::memory_order_relaxed); }
  // `kind`: echo_reply, time_exceeded, destination_unreachable, tcp_syn_ack, tcp_rst.
  void CountReply(absl::string_view kind);
  // `method`: the gRPC method without its leading slash; `code`: the status code's name (OK,
  // RESOURCE_EXHAUSTED, ...). Past 256 series, an unseen method counts as "other".
  void CountRpc(absl::string_view method, absl::string_view code);
  // `reason`: a short snake_case name of the limit (max_traces, max_rate, ...).
  void CountLimitRefusal(absl::string_view reason);

  // The gauges are read when rendered, from whoever owns the sessions. Unset: 0.
  void SetTracesActive(std::function<int64_t()> read);
  void SetOneWaySessionsActive(std::function<int64_t()> read);
  // pathpair_agent_build_info{version=...} 1.
  void SetVersion(std::string version);

  // Every metric, with HELP and TYPE lines, in the Prometheus text format.
  std::string Render() const;

 private:
  using LabelValues = std::pair<std::string, std::string>;
  static constexpr size_t kMaxRpcSeries = 256;

  std::atomic<uint64_t> probes_sent_{0};
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t, std::less<>> replies_ ABSL_GUARDED_BY(mu_);
  std::map<LabelValues, uint64_t> rpcs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t, std::less<>> limit_refusals_ ABSL_GUARDED_BY(mu_);
  std::function<int64_t()> traces_active_ ABSL_GUARDED_BY(mu_);
  std::function<int64_t()> oneway_active_ ABSL_GUARDED_BY(mu_);
  std::string version_ ABSL_GUARDED_BY(mu_);
};

// The process-wide registry that pathpair-agent serves.
AgentMetrics& Global();

// Shorthands on Global(), the hooks the rest of the agent calls.
inline void CountProbeSent() { Global().CountProbeSent(); }
inline void CountReply(absl::string_view kind) { Global().CountReply(kind); }
inline void CountRpc(absl::string_view method, absl::string_view code) {
  Global().CountRpc(method, code);
}
inline void CountLimitRefusal(absl::string_view reason) { Global().CountLimitRefusal(reason); }

}  // namespace pathpair::agent::metrics

#endif  // PATHPAIR_AGENT_METRICS_AGENT_METRICS_H_
