#include "agent/service/oneway_socket_runner.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/oneway/result_proto.h"
#include "agent/oneway/session.h"
#include "agent/oneway/wire.h"
#include "common/time/clock.h"

namespace pathpair::agent {

absl::StatusOr<std::unique_ptr<SocketOneWayRunner>> SocketOneWayRunner::Bind(
    uint16_t port, absl::Duration test_clock_offset) {
  absl::StatusOr<std::unique_ptr<oneway::OneWayRunner>> v4 =
      oneway::OneWayRunner::Bind(IpAddress::Any(IpFamily::kV4), port);
  if (!v4.ok()) return v4.status();
  // IPv6 on the same port, so that peers of either family learn one port from Info.
  absl::StatusOr<std::unique_ptr<oneway::OneWayRunner>> v6 =
      oneway::OneWayRunner::Bind(IpAddress::Any(IpFamily::kV6), (*v4)->local_port());
  return std::unique_ptr<SocketOneWayRunner>(new SocketOneWayRunner(
      *std::move(v4), v6.ok() ? *std::move(v6) : std::unique_ptr<oneway::OneWayRunner>(),
      test_clock_offset));
}

SocketOneWayRunner::~SocketOneWayRunner() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [handle, session] : sessions_) {
      session->cancelled = true;
      threads.push_back(std::move(session->thread));
    }
    for (std::thread& t : finished_threads_) threads.push_back(std::move(t));
    finished_threads_.clear();
  }
  for (std::thread& t : threads) {
    if (t.joinable()) t.join();
  }
}

absl::StatusOr<OneWayRunner::Handle> SocketOneWayRunner::Start(
    const v1::StartOneWayRequest& request, const IpAddress& peer, Callbacks callbacks) {
  absl::StatusOr<oneway::OneWayConfig> config = oneway::ConfigFromRequest(request);
  if (!config.ok()) return config.status();
  if (request.peer_port() <= 0 || request.peer_port() > 65535) {
    return absl::InvalidArgumentError("peer_port must be 1..65535");
  }
  oneway::OneWayRunner* socket = peer.is_v6() ? v6_.get() : v4_.get();
  if (socket == nullptr) {
    return absl::FailedPreconditionError("this agent has no IPv6 one-way endpoint");
  }

  auto session = std::make_shared<Session>();
  session->v6 = peer.is_v6();
  Handle handle = 0;
  {
    absl::MutexLock lock(&mu_);
    bool& busy = peer.is_v6() ? busy_v6_ : busy_v4_;
    if (busy) {
      return absl::ResourceExhaustedError(
          "this agent's one-way endpoint is busy with another measurement");
    }
    busy = true;
    handle = next_handle_++;
    sessions_[handle] = session;
    // Threads of sessions that ended are joined here, off their own thread.
    for (std::thread& t : finished_threads_) {
      if (t.joinable()) t.join();
    }
    finished_threads_.clear();
  }
  const absl::Time start_at = request.start_unix_us() > 0
                                  ? absl::FromUnixMicros(request.start_unix_us())
                                  : absl::InfinitePast();
  const uint16_t peer_port = static_cast<uint16_t>(request.peer_port());
  absl::MutexLock lock(&mu_);
  session->thread = std::thread([this, handle, session, socket, peer, peer_port,
                                 config = *std::move(config), start_at,
                                 callbacks = std::move(callbacks)] {
    // A controller may ask both agents to start at one wall time; wait for it (at most 10 s).
    const absl::Time wait_until = std::min(start_at, absl::Now() + absl::Seconds(10));
    while (absl::Now() < wait_until && !session->cancelled) {
      absl::SleepFor(std::min(absl::Milliseconds(10), wait_until - absl::Now()));
    }
    const int64_t start_us = absl::ToUnixMicros(absl::Now());
    absl::StatusOr<oneway::OneWayResult> result = socket->Run(
        peer, peer_port, config, [session] { return session->cancelled.load(); },
        oneway::RunOptions{.follow_peer_source = true, .test_clock_offset = test_clock_offset_});
    v1::AgentOneWayResult out;
    if (result.ok()) {
      out = oneway::ResultToProto(*result);
    } else {
      out.set_error(std::string(result.status().message()));
    }
    out.set_start_unix_us(start_us);
    out.set_end_unix_us(absl::ToUnixMicros(absl::Now()));
    out.set_final(true);
    {
      absl::MutexLock inner(&mu_);
      (session->v6 ? busy_v6_ : busy_v4_) = false;
      auto it = sessions_.find(handle);
      if (it != sessions_.end()) {
        finished_threads_.push_back(std::move(it->second->thread));
        sessions_.erase(it);
      }
    }
    if (callbacks.on_done) callbacks.on_done(out);
  });
  return handle;
}

void SocketOneWayRunner::Cancel(Handle handle) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(handle);
  if (it != sessions_.end()) it->second->cancelled = true;
}

}  // namespace pathpair::agent
