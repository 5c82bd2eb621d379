#include "controller/paired/orchestrator.h"

#include <algorithm>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "controller/history/history_store.h"

namespace pathpair::paired {
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

}  // namespace

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

int64_t OneWayPacketCount(const PairedTestPlan& plan) {
  if (plan.oneway_count > 0) return plan.oneway_count;
  const int64_t interval_us =
      std::max<int64_t>(100, absl::ToInt64Microseconds(plan.oneway_interval));
  const int64_t rounds = std::max(1, plan.probe.count());
  const int64_t trace_us = rounds * std::max<int64_t>(plan.probe.interval_us(), 1);
  return std::clamp<int64_t>(trace_us / interval_us, 300, int64_t{1} << 20);
}

OneWayStats InboundStats(const v1::AgentOneWayResult& result) {
  OneWayStats stats;
  const v1::OneWayDirection& in = result.inbound();
  stats.sent = in.sent();
  stats.received = in.received();
  stats.loss_pct = in.loss_pct();
  stats.delay_min_ms = in.delay().min_ms();
  stats.delay_avg_ms = in.delay().avg_ms();
  stats.delay_max_ms = in.delay().max_ms();
  stats.delay_stdev_ms = in.delay().stdev_ms();
  stats.jitter_ms = in.jitter_ms();
  stats.duplicates = in.duplicates();
  stats.reordered = in.reordered();
  if (result.offset().estimated()) stats.offset_error_ms = result.offset().error_bound_ms();
  stats.error = result.error();
  return stats;
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
  return deps;
}

absl::StatusOr<PairedRun> RunPairedTest(const PairedTestPlan& plan, Endpoint& client,
                                        Endpoint& server, const PairedDeps& deps,
                                        const CancelToken& cancel, const ProgressFn& progress) {
  if (plan.forward_target.empty()) return absl::InvalidArgumentError("no forward target");
  if (plan.probe.count() <= 0) {
    return absl::InvalidArgumentError("a paired test needs a round count (-c) of at least 1");
  }
  absl::StatusOr<std::pair<std::string, int>> server_hp = SplitHostPort(plan.server_endpoint);
  if (!server_hp.ok()) return server_hp.status();

  PairedRun run;
  run.start_unix_us = deps.now_unix_us();
  run.run_id = deps.new_run_id(absl::FromUnixMicros(run.start_unix_us));
  run.forward_target = plan.forward_target;
  run.oneway_requested = plan.oneway;
  run.client.endpoint = client.Describe();
  run.server.endpoint = server.Describe();

  // 1. Both ends answer.
  absl::StatusOr<v1::InfoResponse> server_info = server.Info();
  if (!server_info.ok()) {
    return absl::UnavailableError(
        absl::StrCat("server agent ", run.server.endpoint,
                     " did not answer Info: ", Describe(server_info.status())));
  }
  absl::StatusOr<v1::InfoResponse> client_info = client.Info();
  if (!client_info.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "client ", run.client.endpoint, " did not answer Info: ", Describe(client_info.status())));
  }
  run.server.hostname = server_info->hostname();
  run.server.version = server_info->version();
  run.client.hostname = client_info->hostname();
  run.client.version = client_info->version();

  // 2. The reverse target, and consent for both ends in this pairing.
  const std::string pairing_id = deps.new_pairing_id();
  absl::StatusOr<std::string> reflected =
      client.ReflectFrom(JoinHostPort(plan.forward_target, server_hp->second), pairing_id);
  if (!plan.reverse_target.empty()) {
    run.reverse_target = plan.reverse_target;
  } else if (reflected.ok()) {
    run.reverse_target = *reflected;
    run.reverse_target_reflected = true;
  } else {
    return absl::UnavailableError(absl::StrCat(
        "could not learn the reverse target: the client side's Reflect to the server agent at ",
        JoinHostPort(plan.forward_target, server_hp->second),
        " failed: ", Describe(reflected.status()), " (give --reverse-target ADDRESS)"));
  }

  // 3. Everything starts together.
  v1::StartTraceRequest forward_request;
  *forward_request.mutable_options() = plan.probe;
  forward_request.mutable_options()->set_target(run.forward_target);
  forward_request.set_pairing_id(pairing_id);
  forward_request.set_lease_ms(absl::ToInt64Milliseconds(plan.lease));
  v1::StartTraceRequest reverse_request = forward_request;
  *reverse_request.mutable_options() = ReverseOptions(plan.probe, run.reverse_target);

  const uint64_t test_id = deps.new_test_id();
  const int64_t oneway_packets = OneWayPacketCount(plan);
  auto oneway_request = [&](const std::string& peer, int port) {
    v1::StartOneWayRequest request;
    request.set_peer_address(peer);
    request.set_peer_port(port);
    request.set_count(static_cast<int32_t>(oneway_packets));
    request.set_interval_us(absl::ToInt64Microseconds(plan.oneway_interval));
    request.set_packet_size(plan.oneway_packet_size);
    request.set_test_id(test_id);
    request.set_pairing_id(pairing_id);
    request.set_lease_ms(absl::ToInt64Milliseconds(plan.lease));
    return request;
  };
  const v1::StartOneWayRequest client_oneway_request =
      oneway_request(run.forward_target, server_info->oneway_port());
  const v1::StartOneWayRequest server_oneway_request =
      oneway_request(run.reverse_target, client_info->oneway_port());

  absl::Mutex mu;
  LiveState live;
  live.rounds_wanted = plan.probe.count();
  live.oneway_packets_wanted = plan.oneway ? oneway_packets : 0;
  std::vector<int64_t> started;
  auto report = [&] {
    if (!progress) return;
    LiveState copy;
    {
      absl::MutexLock lock(&mu);
      copy = live;
    }
    progress(copy);
  };
  auto mark_started = [&](int64_t* where) {
    return [&, where] {
      const int64_t now = deps.now_unix_us();
      absl::MutexLock lock(&mu);
      if (where != nullptr) *where = now;
      started.push_back(now);
    };
  };
  auto on_trace = [&](std::optional<v1::TraceResult> LiveState::*field) {
    return [&, field](const v1::TraceResult& snapshot) {
      {
        absl::MutexLock lock(&mu);
        live.*field = snapshot;
      }
      report();
    };
  };
  auto on_oneway = [&](std::optional<v1::AgentOneWayResult> LiveState::*field) {
    return [&, field](const v1::AgentOneWayResult& update) {
      {
        absl::MutexLock lock(&mu);
        live.*field = update;
      }
      report();
    };
  };

  TraceOutcome forward_outcome, reverse_outcome;
  OneWayOutcome client_oneway, server_oneway;
  {
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
      forward_outcome = client.RunTrace(forward_request,
                                        {.on_started = mark_started(&run.client.started_unix_us),
                                         .on_snapshot = on_trace(&LiveState::forward)},
                                        cancel);
    });
    threads.emplace_back([&] {
      reverse_outcome = server.RunTrace(reverse_request,
                                        {.on_started = mark_started(&run.server.started_unix_us),
                                         .on_snapshot = on_trace(&LiveState::reverse)},
                                        cancel);
    });
    if (plan.oneway) {
      threads.emplace_back([&] {
        client_oneway = client.RunOneWay(client_oneway_request,
                                         {.on_started = mark_started(nullptr),
                                          .on_update = on_oneway(&LiveState::client_oneway)},
                                         cancel);
      });
      threads.emplace_back([&] {
        server_oneway = server.RunOneWay(server_oneway_request,
                                         {.on_started = mark_started(nullptr),
                                          .on_update = on_oneway(&LiveState::server_oneway)},
                                         cancel);
      });
    }
    for (std::thread& t : threads) t.join();
  }
  run.interrupted = cancel.cancelled();

  // 4. Collect.
  auto collect_trace = [&](TraceOutcome& outcome, SideResult& side) {
    side.trace = std::move(outcome.result);
    if (!outcome.status.ok() && !(run.interrupted && absl::IsCancelled(outcome.status))) {
      side.error = Describe(outcome.status);
    } else if (!side.trace.has_value() && !run.interrupted) {
      side.error = "the trace ended without a result";
    }
  };
  collect_trace(forward_outcome, run.client);
  collect_trace(reverse_outcome, run.server);

  if (plan.oneway) {
    // Each direction is measured where it arrives.
    auto collect_oneway = [&](const OneWayOutcome& outcome, const char* end) {
      OneWayStats stats;
      if (outcome.result.has_value()) stats = InboundStats(*outcome.result);
      if (!outcome.status.ok() && !(run.interrupted && absl::IsCancelled(outcome.status))) {
        stats.error = absl::StrCat("the ", end, " side failed: ", Describe(outcome.status));
      } else if (!outcome.result.has_value() && !run.interrupted) {
        stats.error = absl::StrCat("the ", end, " side returned no result");
      } else if (!stats.error.empty()) {
        stats.error = absl::StrCat("the ", end, " side: ", stats.error);
      }
      return stats;
    };
    run.oneway_forward = collect_oneway(server_oneway, "server");
    run.oneway_reverse = collect_oneway(client_oneway, "client");
  }
  if (started.size() >= 2) {
    const auto [lo, hi] = std::minmax_element(started.begin(), started.end());
    run.start_skew_ms = static_cast<double>(*hi - *lo) / 1000.0;
  }
  run.end_unix_us = deps.now_unix_us();
  return run;
}

}  // namespace pathpair::paired
