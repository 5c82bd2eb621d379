#include "controller/paired/orchestrator.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "controller/history/history_store.h"
#include "controller/paired/oneway_clock.h"
#include "controller/paired/oneway_schedule.h"

namespace pathpair::paired {

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(absl::string_view endpoint) {
  std::string host;
  absl::string_view port_text;
  if (!endpoint.empty() && endpoint.front() == '[') {
    const size_t close = endpoint.find(']');
    if (close == absl::string_view::npos || close + 1 >= endpoint.size() ||
        endpoint[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("'", endpoint, "' is not [IPV6]:PORT"));
    }
    host = std::string(endpoint.substr(1, close - 1));
    port_text = endpoint.substr(close + 2);
  } else {
    const size_t colon = endpoint.rfind(':');
    if (colon == absl::string_view::npos || endpoint.find(':') != colon) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", endpoint, "' is not HOST:PORT (write IPv6 addresses as [ADDRESS]:PORT)"));
    }
    host = std::string(endpoint.substr(0, colon));
    port_text = endpoint.substr(colon + 1);
  }
  int port = 0;
  if (host.empty() || !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", endpoint, "' needs a host and a port between 1 and 65535"));
  }
  return std::make_pair(host, port);
}

std::string JoinHostPort(absl::string_view host, int port) {
  if (host.find(':') != absl::string_view::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

PairedDeps SystemPairedDeps() {
  PairedDeps deps;
  deps.now_unix_us = [] { return absl::ToUnixMicros(absl::Now()); };
  deps.new_run_id = [](absl::Time start) { return history::NewRunId(start); };
  deps.new_pairing_id = [] {
    std::random_device rd;
    return absl::StrFormat("pp-%08x%08x%08x", rd(), rd(), rd());
  };
  deps.new_test_id = [] {
    std::random_device rd;
    uint64_t id = 0;
    while (id == 0) id = (static_cast<uint64_t>(rd()) << 32) | rd();
    return id;
  };
  deps.new_session_key = [] {
    std::string key(32, '\0');
    // OpenSSL's CSPRNG; it only fails when the system has no entropy source at all.
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) !=
        1) {
      std::abort();
    }
    return key;
  };
  return deps;
}

namespace {

std::string Describe(const absl::Status& status) {
  return std::string(status.message().empty() ? absl::StatusCodeToString(status.code())
                                              : status.message());
}

// Reverse-trace options: the client-only ones removed.
v1::ProbeOptions ReverseOptions(const v1::ProbeOptions& probe, const std::string& target) {
  v1::ProbeOptions options = probe;
  options.set_target(target);
  options.clear_source_address();
  options.clear_interface();
  return options;
}

// What a connection failure says about TLS, for the user: gRPC reports a TLS client meeting a
// plaintext agent as a failed handshake (BoringSSL's WRONG_VERSION_NUMBER), and a plaintext
// client meeting a TLS agent as a connection the agent closed at once. `insecure` is whether
// this controller spoke plaintext. Empty when the failure looks like anything else.
std::string TlsMismatchHint(const absl::Status& status, bool insecure) {
  const absl::string_view message = status.message();
  if (!insecure && (absl::StrContains(message, "WRONG_VERSION_NUMBER") ||
                    absl::StrContains(message, "Ssl handshake failed"))) {
    return "the agent serves plaintext: use --insecure (or start the agent with TLS)";
  }
  if (insecure && absl::IsUnavailable(status) &&
      (absl::StrContains(message, "Socket closed") ||
       absl::StrContains(message, "Connection reset by peer"))) {
    return "the agent may require TLS: give --tls-ca, --tls-cert and --tls-key instead of "
           "--insecure";
  }
  return "";
}

// Runs every task on its own thread and returns when all have finished.
void RunConcurrently(std::vector<std::function<void()>> tasks) {
  std::vector<std::jthread> threads;
  threads.reserve(tasks.size());
  for (std::function<void()>& task : tasks) threads.emplace_back(std::move(task));
}  // the jthreads join here

// Phase 1: both ends answer Info; how they describe themselves goes into the run. The one-way
// ports in the answers are needed to start the sessions; an end that cannot send the plan's
// probes (capabilities) stops the test here.
struct EndsInfo {
  v1::InfoResponse client;
  v1::InfoResponse server;
};

// FailedPrecondition when an end that reports its capabilities cannot send `protocol` probes.
absl::Status CheckProtocol(const v1::InfoResponse& info, const v1::PairedSide& end,
                           v1::Protocol protocol) {
  const v1::Capabilities& capabilities = info.capabilities();
  if (capabilities.socket_mode() == v1::Capabilities::SOCKET_MODE_UNSPECIFIED) {
    return absl::OkStatus();  // not reported (the in-process client end, older agents)
  }
  for (const int offered : capabilities.protocols()) {
    if (offered == protocol) return absl::OkStatus();
  }
  const bool unprivileged = capabilities.socket_mode() != v1::Capabilities::SOCKET_MODE_RAW;
  return absl::FailedPreconditionError(absl::StrCat(
      end.endpoint(), " cannot send ", v1::Protocol_Name(protocol), " probes",
      unprivileged ? ": the agent runs without CAP_NET_RAW (ICMP only); run it as root or grant "
                     "CAP_NET_RAW, or test with ICMP"
                   : ""));
}

// A server agent that did not answer at all (no connection, no answer in time): the forward
// trace can still run alone. Not for a TLS mismatch or a refusal, which the user must fix.
bool Unreachable(const absl::Status& status, bool insecure) {
  return (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) &&
         TlsMismatchHint(status, insecure).empty();
}

// `server_unreachable` is set when only the server failed, and Unreachable.
absl::StatusOr<EndsInfo> CheckEnds(Endpoint& client, Endpoint& server, v1::Protocol protocol,
                                   bool insecure, v1::PairedRun& run, bool& server_unreachable) {
  absl::StatusOr<v1::InfoResponse> server_info = absl::UnknownError("not asked");
  absl::StatusOr<v1::InfoResponse> client_info = absl::UnknownError("not asked");
  // Both at once: each call may first connect to its agent (TCP and TLS handshakes).
  RunConcurrently({[&] { client_info = client.Info(); }, [&] { server_info = server.Info(); }});
  server_unreachable = client_info.ok() && Unreachable(server_info.status(), insecure);
  for (auto& [end, name, info] : {std::tuple{&server, "server agent ", &server_info},
                                  std::tuple{&client, "client ", &client_info}}) {
    if (info->ok()) continue;
    const std::string hint = TlsMismatchHint(info->status(), insecure);
    return absl::UnavailableError(absl::StrCat(name, end->Describe(), " did not answer Info: ",
                                               hint.empty() ? Describe(info->status()) : hint));
  }
  // An agent without raw sockets (not root, no CAP_NET_RAW) says so in Info: refuse a protocol
  // it cannot send before anything starts, not after the one-way phase.
  for (const auto& [info, end] :
       {std::pair{&*server_info, &run.server()}, std::pair{&*client_info, &run.client()}}) {
    PATHPAIR_RETURN_IF_ERROR(CheckProtocol(*info, *end, protocol));
  }
  run.mutable_server()->set_hostname(server_info->hostname());
  run.mutable_server()->set_version(server_info->version());
  *run.mutable_server()->mutable_clock() = server_info->clock();
  run.mutable_client()->set_hostname(client_info->hostname());
  run.mutable_client()->set_version(client_info->version());
  *run.mutable_client()->mutable_clock() = client_info->clock();
  return EndsInfo{.client = *std::move(client_info), .server = *std::move(server_info)};
}

// Phase 2: the client side calls Reflect on the server agent over the path, which gives both
// ends consent to probe each other in this pairing and tells the client's address as the server
// sees it: the reverse target, unless the plan gives one.
absl::Status LearnReverseTarget(const PairedTestPlan& plan, int server_port,
                                const std::string& pairing_id, Endpoint& client,
                                v1::PairedRun& run) {
  const std::string server_over_path = JoinHostPort(plan.forward_target, server_port);
  absl::StatusOr<std::string> reflected = client.ReflectFrom(server_over_path, pairing_id);
  if (!plan.reverse_target.empty()) {
    run.set_reverse_target(plan.reverse_target);
    return absl::OkStatus();
  }
  if (absl::IsResourceExhausted(reflected.status())) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the client side's Reflect to the server agent at ", server_over_path,
                     " was refused: ", reflected.status().message()));
  }
  if (!reflected.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "could not learn the reverse target: the client side's Reflect to the server agent at ",
        server_over_path, " failed: ", Describe(reflected.status()),
        plan.forward_target_is_server
            ? absl::StrCat(" (", plan.forward_target,
                           " is the --server address; give --target ADDRESS, the server's "
                           "address on the path under test, or --reverse-target ADDRESS)")
            : " (give --reverse-target ADDRESS)"));
  }
  run.set_reverse_target(*reflected);
  run.set_reverse_target_reflected(true);
  return absl::OkStatus();
}

// Phase 2 with the server behind NAT (nothing can connect to it): the server side calls Reflect
// on the client agent, which gives both ends consent to probe each other in this pairing and
// tells the server's public address (the NAT's) as the client sees it: the forward target,
// unless the plan gives one. The reverse target is the client agent's address.
absl::Status LearnTargetsFromServer(const PairedTestPlan& plan, const std::string& pairing_id,
                                    Endpoint& server, v1::PairedRun& run) {
  PATHPAIR_ASSIGN_OR_RETURN(const auto client_host_port, SplitHostPort(plan.client_endpoint));
  absl::StatusOr<std::string> reflected = server.ReflectFrom(plan.client_endpoint, pairing_id);
  if (absl::IsResourceExhausted(reflected.status())) {  // busy: RunPairedTest may try again
    return absl::ResourceExhaustedError(
        absl::StrCat("the server side's Reflect to the client agent at ", plan.client_endpoint,
                     " was refused: ", reflected.status().message()));
  }
  if (!reflected.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "could not learn the server's public address: the server side (behind NAT) called "
        "Reflect on the client agent at ",
        plan.client_endpoint, ", which failed: ", Describe(reflected.status())));
  }
  run.set_forward_target(plan.forward_target.empty() ? *reflected : plan.forward_target);
  run.set_reverse_target(plan.reverse_target.empty() ? client_host_port.first
                                                     : plan.reverse_target);
  return absl::OkStatus();
}

// Phase 3: the four sessions, started together: a trace on each end (forward from the client,
// reverse from the server) and each end's half of the one-way measurement.
struct SessionRequests {
  v1::StartTraceRequest forward_trace;
  v1::StartTraceRequest reverse_trace;
  v1::StartOneWayRequest client_oneway;  // sends to the server's one-way port
  v1::StartOneWayRequest server_oneway;  // sends to the client's one-way port
};

SessionRequests BuildRequests(const PairedTestPlan& plan, const v1::PairedRun& run,
                              const EndsInfo& ends, const std::string& pairing_id, uint64_t test_id,
                              const std::string& session_key) {
  SessionRequests requests;
  v1::StartTraceRequest& forward = requests.forward_trace;
  *forward.mutable_options() = plan.probe;
  forward.mutable_options()->set_target(run.forward_target());
  forward.set_pairing_id(pairing_id);
  forward.set_lease_ms(absl::ToInt64Milliseconds(plan.lease));
  requests.reverse_trace = forward;
  *requests.reverse_trace.mutable_options() = ReverseOptions(plan.probe, run.reverse_target());

  v1::StartOneWayRequest oneway;
  const OneWaySchedule schedule =
      PlanOneWaySchedule(plan.probe, plan.oneway_count, plan.oneway_interval);
  oneway.set_count(static_cast<int32_t>(schedule.count));
  oneway.set_interval_us(absl::ToInt64Microseconds(schedule.interval));
  oneway.set_packet_size(plan.oneway_packet_size);
  oneway.set_test_id(test_id);
  oneway.set_session_key(session_key);
  oneway.set_pairing_id(pairing_id);
  oneway.set_lease_ms(absl::ToInt64Milliseconds(plan.lease));
  requests.client_oneway = oneway;
  requests.client_oneway.set_peer_address(run.forward_target());
  requests.client_oneway.set_peer_port(ends.server.oneway_port());
  requests.server_oneway = oneway;
  requests.server_oneway.set_peer_address(run.reverse_target());
  requests.server_oneway.set_peer_port(ends.client.oneway_port());
  return requests;
}

enum class Session { kForwardTrace, kReverseTrace, kClientOneWay, kServerOneWay };

// Phase 4's bookkeeping: what the sessions report while they run, each from its own thread —
// snapshots for the live progress, and when each started (for the start skew).
class SessionMonitor {
 public:
  SessionMonitor(LiveState initial, const PairedDeps& deps, const ProgressFn& progress)
      : deps_(deps), progress_(progress), live_(std::move(initial)) {}

  TraceHooks TraceHooksFor(Session session) {
    return {.on_started = [this, session] { MarkStarted(session); },
            .on_snapshot =
                [this, session](const v1::TraceResult& snapshot) {
                  Publish([&](LiveState& live) {
                    (session == Session::kForwardTrace ? live.forward : live.reverse) = snapshot;
                  });
                }};
  }

  OneWayHooks OneWayHooksFor(Session session) {
    return {.on_started = [this, session] { MarkStarted(session); },
            .on_update =
                [this, session](const v1::AgentOneWayResult& update) {
                  Publish([&](LiveState& live) {
                    (session == Session::kClientOneWay ? live.client_oneway : live.server_oneway) =
                        update;
                  });
                }};
  }

  // 0 when the session never started.
  int64_t StartedUnixUs(Session session) const {
    absl::MutexLock lock(&mu_);
    return started_[static_cast<size_t>(session)];
  }

  // The spread of the start times of the sessions that started; nullopt for fewer than two.
  std::optional<double> StartSkewMs() const {
    absl::MutexLock lock(&mu_);
    std::vector<int64_t> started;
    for (int64_t t : started_) {
      if (t != 0) started.push_back(t);
    }
    if (started.size() < 2) return std::nullopt;
    const auto [lo, hi] = std::minmax_element(started.begin(), started.end());
    return static_cast<double>(*hi - *lo) / 1000.0;
  }

 private:
  void MarkStarted(Session session) {
    const int64_t now = deps_.now_unix_us();
    absl::MutexLock lock(&mu_);
    started_[static_cast<size_t>(session)] = now;
  }

  // Applies `change` to the live state and shows the result: outside mu_ (progress may take its
  // time), but one publication at a time, so that progress calls never overlap and never show an
  // older state after a newer one (ProgressFn's contract; TSan found the overlap).
  void Publish(const std::function<void(LiveState&)>& change) {
    absl::MutexLock publishing(&publish_mu_);
    LiveState copy;
    {
      absl::MutexLock lock(&mu_);
      change(live_);
      if (!progress_) return;
      copy = live_;
    }
    progress_(copy);
  }

  const PairedDeps& deps_;
  const ProgressFn& progress_;
  absl::Mutex publish_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  LiveState live_ ABSL_GUARDED_BY(mu_);
  std::array<int64_t, 4> started_ ABSL_GUARDED_BY(mu_) = {};
};

struct SessionOutcomes {
  TraceOutcome forward_trace;
  TraceOutcome reverse_trace;
  OneWayOutcome client_oneway;
  OneWayOutcome server_oneway;
};

// A session that an agent's limits refused before it started (RESOURCE_EXHAUSTED, never granted).
bool RefusedAtStart(const absl::Status& status, int64_t started_unix_us) {
  return absl::IsResourceExhausted(status) && started_unix_us == 0;
}

// Phase 4: every session runs on its own thread until it ends, fails or `cancel` fires. A
// session that fails never stops the others, except with `stop_all_if_refused`: then a session
// refused at start stops its siblings at once, because the whole attempt will be made again.
SessionOutcomes FollowSessions(const SessionRequests& requests, bool oneway, Endpoint& client,
                               Endpoint& server, SessionMonitor& monitor, const CancelToken& cancel,
                               bool stop_all_if_refused) {
  SessionOutcomes outcomes;
  CancelToken attempt(&cancel);
  auto stop_if_refused = [&](const absl::Status& status, Session session) {
    if (stop_all_if_refused && RefusedAtStart(status, monitor.StartedUnixUs(session))) {
      attempt.Cancel();
    }
  };
  std::vector<std::function<void()>> sessions = {
      [&] {
        outcomes.forward_trace = client.RunTrace(
            requests.forward_trace, monitor.TraceHooksFor(Session::kForwardTrace), attempt);
        stop_if_refused(outcomes.forward_trace.status, Session::kForwardTrace);
      },
      [&] {
        outcomes.reverse_trace = server.RunTrace(
            requests.reverse_trace, monitor.TraceHooksFor(Session::kReverseTrace), attempt);
        stop_if_refused(outcomes.reverse_trace.status, Session::kReverseTrace);
      }};
  if (oneway) {
    sessions.push_back([&] {
      outcomes.client_oneway = client.RunOneWay(
          requests.client_oneway, monitor.OneWayHooksFor(Session::kClientOneWay), attempt);
      stop_if_refused(outcomes.client_oneway.status, Session::kClientOneWay);
    });
    sessions.push_back([&] {
      outcomes.server_oneway = server.RunOneWay(
          requests.server_oneway, monitor.OneWayHooksFor(Session::kServerOneWay), attempt);
      stop_if_refused(outcomes.server_oneway.status, Session::kServerOneWay);
    });
  }
  RunConcurrently(std::move(sessions));
  return outcomes;
}

// The first refusal at start among the sessions, if any.
std::optional<absl::Status> SessionRefusal(const SessionOutcomes& outcomes,
                                           const SessionMonitor& monitor) {
  const std::pair<const absl::Status*, Session> sessions[] = {
      {&outcomes.forward_trace.status, Session::kForwardTrace},
      {&outcomes.reverse_trace.status, Session::kReverseTrace},
      {&outcomes.client_oneway.status, Session::kClientOneWay},
      {&outcomes.server_oneway.status, Session::kServerOneWay}};
  for (const auto& [status, session] : sessions) {
    if (RefusedAtStart(*status, monitor.StartedUnixUs(session))) return *status;
  }
  return std::nullopt;
}

// Retries of a test that the agents' limits refused (they are busy with other measurements),
// until plan.busy_wait has passed: waits with jittered exponential backoff, so that many
// controllers refused at once do not come back in step.
class BusyRetry {
 public:
  BusyRetry(const PairedTestPlan& plan, const PairedDeps& deps, const CancelToken& cancel)
      : deps_(deps),
        cancel_(cancel),
        give_up_unix_us_(deps.now_unix_us() + absl::ToInt64Microseconds(plan.busy_wait)),
        backoff_(plan.busy_backoff) {}

  // Whether another attempt may follow a refusal now (time is left and nobody cancelled).
  bool MayRetry() const { return !cancel_.cancelled() && deps_.now_unix_us() < give_up_unix_us_; }

  // After a refusal: false when the wait is over (give up with `refusal`); otherwise waits the
  // backoff and returns true (unless cancelled meanwhile).
  bool WaitAfter(const absl::Status& refusal) {
    if (!MayRetry()) return false;
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    const int64_t left_us = give_up_unix_us_ - deps_.now_unix_us();
    const absl::Duration wait =
        std::min(backoff_ * jitter(random_), absl::Microseconds(std::max<int64_t>(left_us, 0)));
    log::Log(log::Level::kWarning, "test_refused_busy",
             {{"attempt", ++attempts_},
              {"reason", refusal.message()},
              {"retry_in_ms", absl::ToInt64Milliseconds(wait)}});
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return !cancel_.WaitFor(wait);
  }

 private:
  static constexpr absl::Duration kMaxBackoff = absl::Seconds(4);

  const PairedDeps& deps_;
  const CancelToken& cancel_;
  const int64_t give_up_unix_us_;
  absl::Duration backoff_;
  int attempts_ = 0;
  std::minstd_rand random_{std::random_device{}()};
};

// A session the user stopped is not a failure.
bool FailedForReal(const absl::Status& status, bool interrupted) {
  return !status.ok() && !(interrupted && absl::IsCancelled(status));
}

// Phase 5: a trace's result (or its last snapshot) and why it failed. A trace that did not end
// with its final result, or was interrupted, is marked incomplete: the diagnosis never takes its
// figures for a clean direction (an agent killed mid-test leaves hops "in flight").
void CollectTrace(TraceOutcome outcome, int64_t started_unix_us, bool interrupted,
                  v1::PairedSide& side) {
  if (outcome.result.has_value()) *side.mutable_trace() = *std::move(outcome.result);
  side.set_started_unix_us(started_unix_us);
  if (FailedForReal(outcome.status, interrupted)) {
    side.set_error(Describe(outcome.status));
  } else if (!side.has_trace() && !interrupted) {
    side.set_error("the trace ended without a result");
  }
  if (side.has_trace() && (!outcome.status.ok() || !side.trace().final() ||
                           side.trace().interrupted() || interrupted)) {
    side.mutable_trace()->set_incomplete(true);
  }
}

// A one-way half that did not run to its end: stopped, failed, or without its final result.
bool CutShort(const OneWayOutcome& outcome) {
  return !outcome.status.ok() || !outcome.result.has_value() || !outcome.result->final() ||
         outcome.result->interrupted();
}

// Phase 5: a one-way direction, from the end it arrives at (`end`: "client" or "server"; its
// half `measured`) and the end that sends it (`sender`: the other half). The figures of a half
// that was stopped are kept; the direction is incomplete when either half was cut short.
v1::OneWayMeasurement CollectOneWay(const OneWayOutcome& measured, const char* end,
                                    const OneWayOutcome& sender, const char* sender_end,
                                    bool interrupted) {
  v1::OneWayMeasurement measurement;
  if (measured.result.has_value()) {
    *measurement.mutable_stats() = measured.result->inbound();
    *measurement.mutable_offset_estimate() = measured.result->offset();
  }
  const std::string reported = measured.result.has_value() ? measured.result->error() : "";
  if (FailedForReal(measured.status, interrupted)) {
    measurement.set_error(absl::StrCat("the ", end, " side failed: ", Describe(measured.status)));
  } else if (!measured.result.has_value() && !interrupted) {
    measurement.set_error(absl::StrCat("the ", end, " side returned no result"));
  } else if (!reported.empty()) {
    measurement.set_error(absl::StrCat("the ", end, " side: ", reported));
  } else if (FailedForReal(sender.status, interrupted)) {
    measurement.set_error(
        absl::StrCat("cut short: the ", sender_end, " side, which sends this direction, failed"));
  } else if (interrupted) {
    measurement.set_error("cut short: the test was interrupted");
  }
  measurement.set_incomplete(interrupted || CutShort(measured) || CutShort(sender));
  return measurement;
}

// Phase 6's bounds: the agents' limit of addresses per call (agent.proto), and how far past its
// own path's length an end looks for the other direction's routers (a detour may be longer).
constexpr int kMaxAliasAddresses = 64;
constexpr int kAliasTtlMargin = 4;
constexpr int kMinAliasTtl = 8;
constexpr int kMaxAliasTtl = 32;

// Phase 6's request to the end whose own trace is `own`: the addresses of the `other`
// direction's routers that `own` did not show (an address seen both ways needs no probe).
v1::ResolveAliasesRequest AliasRequestFor(const v1::TraceResult& other, const v1::TraceResult& own,
                                          const std::string& pairing_id) {
  std::set<std::string> skip = {other.target_address()};
  for (const v1::HopResult& hop : own.hops()) {
    for (const v1::Responder& responder : hop.responders()) skip.insert(responder.address());
  }
  v1::ResolveAliasesRequest request;
  request.set_pairing_id(pairing_id);
  request.set_max_ttl(std::clamp(own.hops_size() + kAliasTtlMargin, kMinAliasTtl, kMaxAliasTtl));
  for (const v1::HopResult& hop : other.hops()) {
    for (const v1::Responder& responder : hop.responders()) {
      if (!skip.insert(responder.address()).second) continue;
      if (request.addresses_size() == kMaxAliasAddresses) return request;
      request.add_addresses(responder.address());
    }
  }
  return request;
}

// One end's part of phase 6 (`end_name`: "client" or "server").
v1::AliasResults ResolveAliasesAt(Endpoint& end, const char* end_name,
                                  const v1::ResolveAliasesRequest& request,
                                  const CancelToken& cancel) {
  v1::AliasResults results;
  if (request.addresses().empty()) return results;
  absl::StatusOr<v1::ResolveAliasesResponse> answer = end.ResolveAliases(request, cancel);
  if (absl::IsUnimplemented(answer.status())) {
    results.set_error(absl::StrCat("the ", end_name,
                                   " agent does not resolve router aliases (an older version)"));
  } else if (!answer.ok()) {
    results.set_error(absl::StrCat(
        "the ", end_name, " side could not resolve router aliases: ", Describe(answer.status())));
  } else {
    results.mutable_resolutions()->Swap(answer->mutable_resolutions());
  }
  return results;
}

// Phase 6: router aliases. Routers answer from per-interface addresses, so the two traces show
// one router under different addresses; each end resolves the other direction's hop addresses
// (the client the reverse trace's, the server the forward trace's), both at once, so that the
// merge can match routers rather than addresses.
void ResolveRouterAliases(const std::string& pairing_id, Endpoint& client, Endpoint& server,
                          const CancelToken& cancel, v1::PairedRun& run) {
  const v1::TraceResult& forward = run.client().trace();
  const v1::TraceResult& reverse = run.server().trace();
  const v1::ResolveAliasesRequest for_client = AliasRequestFor(reverse, forward, pairing_id);
  const v1::ResolveAliasesRequest for_server = AliasRequestFor(forward, reverse, pairing_id);
  v1::AliasResults client_results;
  v1::AliasResults server_results;
  RunConcurrently(
      {[&] { client_results = ResolveAliasesAt(client, "client", for_client, cancel); },
       [&] { server_results = ResolveAliasesAt(server, "server", for_server, cancel); }});
  *run.mutable_client_aliases() = std::move(client_results);
  *run.mutable_server_aliases() = std::move(server_results);
}

// The server agent could not be reached (a black-holed path, an agent down): the forward
// trace, which is what a user needs then, runs alone and the run is partial, with the reason.
v1::PairedRun ForwardTraceAlone(const PairedTestPlan& plan, Endpoint& client,
                                const std::string& why, const PairedDeps& deps,
                                const CancelToken& cancel, const ProgressFn& progress,
                                v1::PairedRun run) {
  run.mutable_server()->set_error(why);
  v1::StartTraceRequest forward;
  *forward.mutable_options() = plan.probe;
  forward.mutable_options()->set_target(run.forward_target());
  forward.set_lease_ms(absl::ToInt64Milliseconds(plan.lease));
  LiveState initial;
  initial.rounds_wanted = plan.probe.count();
  SessionMonitor monitor(std::move(initial), deps, progress);
  TraceOutcome outcome =
      client.RunTrace(forward, monitor.TraceHooksFor(Session::kForwardTrace), cancel);
  run.set_interrupted(cancel.cancelled());
  CollectTrace(std::move(outcome), monitor.StartedUnixUs(Session::kForwardTrace), run.interrupted(),
               *run.mutable_client());
  if (plan.oneway) {
    for (v1::OneWayMeasurement* way :
         {run.mutable_oneway_forward(), run.mutable_oneway_reverse()}) {
      way->set_error("not measured: the server agent could not be reached");
      way->set_incomplete(true);
    }
  }
  run.set_end_unix_us(deps.now_unix_us());
  return run;
}

}  // namespace

absl::StatusOr<v1::PairedRun> RunPairedTest(const PairedTestPlan& plan, Endpoint& client,
                                            Endpoint& server, const PairedDeps& deps,
                                            const CancelToken& cancel, const ProgressFn& progress) {
  if (plan.server_behind_nat) {
    if (plan.client_behind_nat) {
      return absl::InvalidArgumentError(
          "both ends are behind NAT: one of them must accept the other's packets");
    }
    if (plan.client_endpoint.empty()) {
      return absl::InvalidArgumentError(
          "the server is behind NAT: the plan needs the client agent's ADDRESS:PORT "
          "(client_endpoint), which the server calls");
    }
  } else if (plan.forward_target.empty()) {
    return absl::InvalidArgumentError("no forward target");
  }
  if (plan.probe.count() <= 0) {
    return absl::InvalidArgumentError("a paired test needs a round count (-c) of at least 1");
  }
  int server_port = 0;
  if (!plan.server_behind_nat) {
    PATHPAIR_ASSIGN_OR_RETURN(const auto server_host_port, SplitHostPort(plan.server_endpoint));
    server_port = server_host_port.second;
  }

  v1::PairedRun run;
  run.set_start_unix_us(deps.now_unix_us());
  run.set_run_id(deps.new_run_id(absl::FromUnixMicros(run.start_unix_us())));
  run.set_forward_target(plan.forward_target);
  run.set_oneway_requested(plan.oneway);
  run.mutable_client()->set_endpoint(client.Describe());
  run.mutable_server()->set_endpoint(server.Describe());

  bool server_unreachable = false;
  absl::StatusOr<EndsInfo> checked =
      CheckEnds(client, server, plan.probe.protocol(), plan.insecure, run, server_unreachable);
  if (!checked.ok() && server_unreachable && !plan.forward_target.empty()) {
    return ForwardTraceAlone(plan, client, std::string(checked.status().message()), deps, cancel,
                             progress, std::move(run));
  }
  if (!checked.ok()) return checked.status();
  const EndsInfo& ends = *checked;
  const std::string pairing_id = deps.new_pairing_id();
  BusyRetry busy(plan, deps, cancel);
  for (;;) {
    absl::Status learned = plan.server_behind_nat
                               ? LearnTargetsFromServer(plan, pairing_id, server, run)
                               : LearnReverseTarget(plan, server_port, pairing_id, client, run);
    if (learned.ok()) break;
    if (!absl::IsResourceExhausted(learned) || !busy.WaitAfter(learned)) return learned;
  }

  // Each attempt gets its own test id and session key: a refused attempt's half that did start
  // may still be winding down on an agent.
  std::optional<SessionMonitor> monitor;
  SessionOutcomes outcomes;
  for (;;) {
    const SessionRequests requests =
        BuildRequests(plan, run, ends, pairing_id, deps.new_test_id(), deps.new_session_key());
    LiveState initial;
    initial.rounds_wanted = plan.probe.count();
    initial.oneway_packets_wanted = plan.oneway ? requests.client_oneway.count() : 0;
    monitor.emplace(std::move(initial), deps, progress);
    const bool stop_all_if_refused = busy.MayRetry();
    outcomes = FollowSessions(requests, plan.oneway, client, server, *monitor, cancel,
                              stop_all_if_refused);
    const std::optional<absl::Status> refusal = SessionRefusal(outcomes, *monitor);
    if (!refusal.has_value()) break;
    // The wait ran out during an attempt that had stopped its other sessions: one last attempt
    // lets them run, so that the refusal stands beside whatever could be measured.
    if (!busy.WaitAfter(*refusal) && !stop_all_if_refused) break;
  }

  run.set_interrupted(cancel.cancelled());
  CollectTrace(std::move(outcomes.forward_trace), monitor->StartedUnixUs(Session::kForwardTrace),
               run.interrupted(), *run.mutable_client());
  CollectTrace(std::move(outcomes.reverse_trace), monitor->StartedUnixUs(Session::kReverseTrace),
               run.interrupted(), *run.mutable_server());
  if (plan.oneway) {  // each direction is measured where it arrives
    *run.mutable_oneway_forward() = CollectOneWay(
        outcomes.server_oneway, "server", outcomes.client_oneway, "client", run.interrupted());
    *run.mutable_oneway_reverse() = CollectOneWay(
        outcomes.client_oneway, "client", outcomes.server_oneway, "server", run.interrupted());
    ResolveOneWayClocks(run);  // the delays on one time base, by both ends' clocks
  }
  if (const std::optional<double> skew = monitor->StartSkewMs()) run.set_start_skew_ms(*skew);
  if (plan.resolve_aliases && !run.interrupted() && run.client().has_trace() &&
      run.server().has_trace()) {
    ResolveRouterAliases(pairing_id, client, server, cancel, run);
    run.set_interrupted(cancel.cancelled());
  }
  run.set_end_unix_us(deps.now_unix_us());
  return run;
}

}  // namespace pathpair::paired
