#include "agent/metrics/agent_metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace pathpair::agent::metrics {
namespace {

// Label values are escaped as the text format requires: backslash, double quote, newline.
std::string Escape(absl::string_view value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

void Header(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

int64_t Read(const std::function<int64_t()>& read) { return read ? read() : 0; }

}  // namespace

AgentMetrics::AgentMetrics() {
  // Every reply kind and the agent's own limits show from the start, at 0, so that rate() and
  // alerts see a series before its first increment.
  for (const char* kind :
       {"echo_reply", "time_exceeded", "destination_unreachable", "tcp_syn_ack", "tcp_rst"}) {
    replies_[kind] = 0;
  }
  for (const char* reason :
       {"max_traces", "max_rate", "max_packet_size", "max_oneway_rate", "max_oneway_sessions"}) {
    limit_refusals_[reason] = 0;
  }
}

void AgentMetrics::CountReply(absl::string_view kind) {
  absl::MutexLock lock(&mu_);
  auto it = replies_.find(kind);
  if (it == replies_.end()) it = replies_.emplace(std::string(kind), 0).first;
  ++it->second;
}

void AgentMetrics::CountRpc(absl::string_view method, absl::string_view code) {
  absl::MutexLock lock(&mu_);
  LabelValues labels{std::string(method), std::string(code)};
  // Clients choose the method names they call: past a bound, new names share one series.
  if (rpcs_.size() >= kMaxRpcSeries && !rpcs_.contains(labels)) labels.first = "other";
  ++rpcs_[labels];
}

void AgentMetrics::CountLimitRefusal(absl::string_view reason) {
  absl::MutexLock lock(&mu_);
  auto it = limit_refusals_.find(reason);
  if (it == limit_refusals_.end()) it = limit_refusals_.emplace(std::string(reason), 0).first;
  ++it->second;
}

void AgentMetrics::SetTracesActive(std::function<int64_t()> read) {
  absl::MutexLock lock(&mu_);
  traces_active_ = std::move(read);
}

void AgentMetrics::SetOneWaySessionsActive(std::function<int64_t()> read) {
  absl::MutexLock lock(&mu_);
  oneway_active_ = std::move(read);
}

void AgentMetrics::SetVersion(std::string version) {
  absl::MutexLock lock(&mu_);
  version_ = std::move(version);
}

std::string AgentMetrics::Render() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  Header(out, "pathpair_agent_build_info", "gauge", "Build information; always 1.");
  absl::StrAppend(&out, "pathpair_agent_build_info{version=\"", Escape(version_), "\"} 1\n");

  Header(out, "pathpair_agent_traces_active", "gauge", "Traces running now.");
  absl::StrAppend(&out, "pathpair_agent_traces_active ", Read(traces_active_), "\n");

  Header(out, "pathpair_agent_oneway_sessions_active", "gauge",
         "One-way measurements running now.");
  absl::StrAppend(&out, "pathpair_agent_oneway_sessions_active ", Read(oneway_active_), "\n");

  Header(out, "pathpair_agent_probes_sent_total", "counter", "Probes sent by all traces.");
  absl::StrAppend(&out, "pathpair_agent_probes_sent_total ",
                  probes_sent_.load(std::memory_order_relaxed), "\n");

  Header(out, "pathpair_agent_replies_received_total", "counter",
         "Replies matched to a probe of a live trace, by kind.");
  for (const auto& [kind, count] : replies_) {
    absl::StrAppend(&out, "pathpair_agent_replies_received_total{kind=\"", Escape(kind), "\"} ",
                    count, "\n");
  }

  Header(out, "pathpair_agent_rpcs_total", "counter",
         "gRPC calls finished, by method and status code.");
  for (const auto& [labels, count] : rpcs_) {
    absl::StrAppend(&out, "pathpair_agent_rpcs_total{method=\"", Escape(labels.first), "\",code=\"",
                    Escape(labels.second), "\"} ", count, "\n");
  }

  Header(out, "pathpair_agent_limit_refusals_total", "counter",
         "Requests refused because they would exceed one of the agent's limits, by limit.");
  for (const auto& [reason, count] : limit_refusals_) {
    absl::StrAppend(&out, "pathpair_agent_limit_refusals_total{reason=\"", Escape(reason), "\"} ",
                    count, "\n");
  }
  return out;
}

AgentMetrics& Global() {
  static AgentMetrics* const metrics = new AgentMetrics();
  return *metrics;
}

}  // namespace pathpair::agent::metrics
