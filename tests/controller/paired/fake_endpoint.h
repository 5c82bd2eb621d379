// A scripted Endpoint for the paired-test unit tests: answers Info and Reflect from fields,
// runs a "trace" of a few snapshots (optionally failing midway or running until cancelled), a
// one-way half with given figures and an alias resolution from a table, and records every
// request it got.
//
//   FakeEndpoint server("203.0.113.80:8620");
//   server.fail_trace_after_snapshots = 1;    // the agent "dies" after one round
#ifndef PATHPAIR_TESTS_CONTROLLER_PAIRED_FAKE_ENDPOINT_H_
#define PATHPAIR_TESTS_CONTROLLER_PAIRED_FAKE_ENDPOINT_H_

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "controller/paired/endpoint.h"

namespace pathpair::paired {

class FakeEndpoint : public Endpoint {
 public:
  explicit FakeEndpoint(std::string name) : name_(std::move(name)) {
    info.set_hostname(name_ + "-host");
    info.set_version("9.9");
    info.set_oneway_port(7000);
  }

  // Behaviour.
  absl::Status info_status;
  v1::InfoResponse info;
  std::function<void()> on_info;  // called first in every Info call (from its thread)
  absl::Status reflect_status;
  std::string reflected_address = "198.51.100.9";
  std::vector<std::string> hop_addresses = {"10.0.0.1", "10.0.1.1"};  // the target is appended
  int rounds = 3;
  int fail_trace_after_snapshots = -1;  // >= 0: fail (UNAVAILABLE) after that many snapshots
  bool trace_until_cancelled = false;   // the trace never ends by itself
  bool oneway_fails = false;            // the half fails at once, without a result
  // Of the requested count, in the direction measured here; -1: every packet (a healthy run).
  int64_t oneway_received = -1;
  bool oneway_until_cancelled = false;
  // The raw delays (receive minus send stamp, as the two clocks stamped them) and the offset
  // estimate this end reports, as an agent does.
  double raw_delay_min_ms = 1;
  double raw_delay_avg_ms = 2;
  double raw_delay_max_ms = 3;
  double raw_delay_stdev_ms = 0.5;
  bool offset_estimated = true;
  double offset_ms = 0;
  double offset_error_bound_ms = 0.25;
  // The next N Reflects / one-way halves are refused at start, as an agent's limits refuse a
  // call (RESOURCE_EXHAUSTED); a negative N refuses every one.
  std::atomic<int> refuse_reflects{0};
  std::atomic<int> refuse_oneways{0};
  absl::Status aliases_status;  // ResolveAliases fails with this when set
  // address -> (reply source, distance); other addresses answer nothing.
  std::map<std::string, std::pair<std::string, int>> aliases;

  // What it was asked.
  absl::Mutex mu;
  std::string reflect_peer, reflect_pairing;
  v1::StartTraceRequest trace_request;
  v1::StartOneWayRequest oneway_request;
  std::vector<v1::ResolveAliasesRequest> alias_requests;
  std::atomic<bool> saw_cancel{false};
  std::atomic<int> reflect_calls{0};
  std::atomic<int> trace_calls{0};
  std::atomic<int> oneway_calls{0};

  // Takes one refusal from `budget` (see refuse_reflects).
  static bool Refuse(std::atomic<int>& budget) {
    int left = budget.load();
    while (left != 0) {
      if (left < 0 || budget.compare_exchange_weak(left, left - 1)) return true;
    }
    return false;
  }

  std::string Describe() const override { return name_; }
  absl::StatusOr<v1::InfoResponse> Info() override {
    if (on_info) on_info();
    if (!info_status.ok()) return info_status;
    return info;
  }
  absl::StatusOr<std::string> ReflectFrom(const std::string& peer_endpoint,
                                          const std::string& pairing_id) override {
    absl::MutexLock lock(&mu);
    reflect_peer = peer_endpoint;
    reflect_pairing = pairing_id;
    ++reflect_calls;
    if (Refuse(refuse_reflects)) {
      return absl::ResourceExhaustedError("too many ReflectPeer calls at once: limit 4");
    }
    if (!reflect_status.ok()) return reflect_status;
    return reflected_address;
  }

  static v1::TraceResult Snapshot(const v1::StartTraceRequest& request,
                                  const std::vector<std::string>& hops, int round, bool final) {
    v1::TraceResult r;
    *r.mutable_options() = request.options();
    r.set_target_address(request.options().target());
    r.set_source_hostname("fake");
    r.set_rounds(round);
    r.set_final(final);
    r.set_reached(true);
    std::vector<std::string> all = hops;
    all.push_back(request.options().target());
    for (size_t i = 0; i < all.size(); ++i) {
      v1::HopResult* hop = r.add_hops();
      hop->set_ttl(static_cast<int>(i) + 1);
      hop->set_sent(round);
      hop->set_received(round);
      v1::Responder* responder = hop->add_responders();
      responder->set_address(all[i]);
      responder->set_received(round);
      hop->mutable_rtt()->set_count(round);
      hop->mutable_rtt()->set_avg_ms(1.0 + static_cast<double>(i));
      hop->mutable_rtt()->set_best_ms(1.0 + static_cast<double>(i));
      hop->mutable_rtt()->set_worst_ms(1.0 + static_cast<double>(i));
    }
    return r;
  }

  TraceOutcome RunTrace(const v1::StartTraceRequest& request, const TraceHooks& hooks,
                        const CancelToken& cancel) override {
    {
      absl::MutexLock lock(&mu);
      trace_request = request;
    }
    ++trace_calls;
    TraceOutcome out;
    if (hooks.on_started) hooks.on_started();
    for (int round = 1;; ++round) {
      if (cancel.cancelled()) {
        saw_cancel = true;
        out.status = absl::CancelledError("stopped by the user");
        return out;
      }
      if (fail_trace_after_snapshots >= 0 && round > fail_trace_after_snapshots) {
        out.status = absl::UnavailableError("lost the agent " + name_ + ": Socket closed");
        return out;
      }
      const bool last = !trace_until_cancelled && round >= rounds;
      v1::TraceResult snapshot = Snapshot(request, hop_addresses, round, last);
      out.result = snapshot;
      if (hooks.on_snapshot) hooks.on_snapshot(snapshot);
      if (last) return out;
      if (trace_until_cancelled) cancel.WaitFor(absl::Milliseconds(20));
    }
  }

  absl::StatusOr<v1::ResolveAliasesResponse> ResolveAliases(
      const v1::ResolveAliasesRequest& request, const CancelToken& /*cancel*/) override {
    absl::MutexLock lock(&mu);
    alias_requests.push_back(request);
    if (!aliases_status.ok()) return aliases_status;
    v1::ResolveAliasesResponse response;
    for (const std::string& address : request.addresses()) {
      v1::AliasResolution* resolution = response.add_resolutions();
      resolution->set_address(address);
      auto it = aliases.find(address);
      if (it == aliases.end()) continue;
      resolution->set_reply_source(it->second.first);
      resolution->set_distance(it->second.second);
      resolution->set_method(v1::ALIAS_METHOD_UDP_PORT_UNREACHABLE);
    }
    return response;
  }

  OneWayOutcome RunOneWay(const v1::StartOneWayRequest& request, const OneWayHooks& hooks,
                          const CancelToken& cancel) override {
    {
      absl::MutexLock lock(&mu);
      oneway_request = request;
    }
    ++oneway_calls;
    OneWayOutcome out;
    if (Refuse(refuse_oneways)) {
      out.status = absl::ResourceExhaustedError(
          "this agent's one-way endpoint is busy with another measurement");
      return out;
    }
    if (hooks.on_started) hooks.on_started();
    // Like the real endpoints: a stopped half returns what it received so far (half the
    // packets here), interrupted, with the status Cancelled.
    bool stopped = false;
    if (oneway_until_cancelled) {
      while (!cancel.WaitFor(absl::Milliseconds(20))) {
      }
      saw_cancel = true;
      stopped = true;
      out.status = absl::CancelledError("stopped by the user");
    }
    if (oneway_fails) {
      out.status = absl::UnavailableError("lost the agent " + name_);
      return out;
    }
    v1::AgentOneWayResult r;
    const int64_t sent = stopped ? request.count() / 2 : request.count();
    const int64_t received =
        std::min(sent, oneway_received < 0 ? request.count() : oneway_received);
    r.set_interrupted(stopped);
    r.mutable_inbound()->set_sent(sent);
    r.mutable_inbound()->set_received(received);
    r.mutable_inbound()->set_loss_pct(100.0 * static_cast<double>(sent - received) /
                                      static_cast<double>(sent));
    r.mutable_inbound()->mutable_raw_delay()->set_min_ms(raw_delay_min_ms);
    r.mutable_inbound()->mutable_raw_delay()->set_avg_ms(raw_delay_avg_ms);
    r.mutable_inbound()->mutable_raw_delay()->set_max_ms(raw_delay_max_ms);
    r.mutable_inbound()->mutable_raw_delay()->set_stdev_ms(raw_delay_stdev_ms);
    r.mutable_outbound()->set_sent(sent);
    if (offset_estimated) {
      r.mutable_offset()->set_estimated(true);
      r.mutable_offset()->set_offset_ms(offset_ms);
      r.mutable_offset()->set_error_bound_ms(offset_error_bound_ms);
    }
    r.set_final(true);
    out.result = r;
    if (hooks.on_update) hooks.on_update(r);
    return out;
  }

 private:
  std::string name_;
};

}  // namespace pathpair::paired

#endif  // PATHPAIR_TESTS_CONTROLLER_PAIRED_FAKE_ENDPOINT_H_
