#include "controller/dns/reverse_dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::dns {

// ---------------------------------------------------------------------------------------------
// AresPtrResolver

struct AresPtrResolver::State {
  ares_channel channel = nullptr;
  int wake_fd = -1;
  absl::Mutex mu;
  std::deque<std::pair<IpAddress, Done>> queued ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
  ~State() {
    if (channel != nullptr) ares_destroy(channel);
    if (wake_fd >= 0) close(wake_fd);
  }
};

namespace {

std::once_flag g_ares_init;

struct Request {
  PtrResolver::Done done;
};

void OnHost(void* arg, int status, int /*timeouts*/, struct hostent* host) {
  std::unique_ptr<Request> request(static_cast<Request*>(arg));
  if (status == ARES_SUCCESS && host != nullptr && host->h_name != nullptr && host->h_name[0]) {
    request->done(std::string(host->h_name));
  } else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
    request->done(absl::NotFoundError("no PTR record"));
  } else if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
    request->done(absl::CancelledError("resolver shut down"));
  } else {
    request->done(
        absl::UnavailableError(absl::StrCat("PTR lookup failed: ", ares_strerror(status))));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<AresPtrResolver>> AresPtrResolver::Create(const Options& options) {
  std::call_once(g_ares_init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  auto state = std::make_unique<State>();
  ares_options opts{};
  opts.timeout = static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(options.timeout)));
  opts.tries = std::max(1, options.tries);
  int status = ares_init_options(&state->channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (status != ARES_SUCCESS) {
    state->channel = nullptr;
    return absl::UnavailableError(absl::StrCat("c-ares init: ", ares_strerror(status)));
  }
  if (!options.servers.empty()) {
    status = ares_set_servers_ports_csv(state->channel, options.servers.c_str());
    if (status != ARES_SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad DNS server list '", options.servers, "': ", ares_strerror(status)));
    }
  }
  state->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (state->wake_fd < 0) return absl::UnavailableError("eventfd failed");
  return std::unique_ptr<AresPtrResolver>(new AresPtrResolver(std::move(state)));
}

AresPtrResolver::AresPtrResolver(std::unique_ptr<State> state)
    : state_(std::move(state)), thread_([this] { Run(); }) {}

AresPtrResolver::~AresPtrResolver() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->stopping = true;
  }
  const uint64_t one = 1;
  (void)!write(state_->wake_fd, &one, sizeof(one));
  thread_.join();
}

void AresPtrResolver::Lookup(const IpAddress& address, Done done) {
  {
    absl::MutexLock lock(&state_->mu);
    if (!state_->stopping) {
      state_->queued.emplace_back(address, std::move(done));
      done = nullptr;
    }
  }
  if (done) {
    done(absl::CancelledError("resolver shut down"));
    return;
  }
  const uint64_t one = 1;
  (void)!write(state_->wake_fd, &one, sizeof(one));
}

void AresPtrResolver::Run() {
  ares_channel channel = state_->channel;
  for (;;) {
    std::deque<std::pair<IpAddress, Done>> batch;
    bool stopping;
    {
      absl::MutexLock lock(&state_->mu);
      batch.swap(state_->queued);
      stopping = state_->stopping;
    }
    if (stopping) {
      for (auto& [address, done] : batch) done(absl::CancelledError("resolver shut down"));
      ares_cancel(channel);  // runs pending callbacks with ARES_ECANCELLED
      return;
    }
    for (auto& [address, done] : batch) {
      auto* request = new Request{std::move(done)};
      const std::span<const uint8_t> bytes = address.bytes();
      ares_gethostbyaddr(channel, bytes.data(), static_cast<int>(bytes.size()),
                         address.is_v4() ? AF_INET : AF_INET6, OnHost, request);
    }

    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
    std::vector<pollfd> fds;
    fds.push_back({state_->wake_fd, POLLIN, 0});
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events != 0) fds.push_back({sockets[i], events, 0});
    }
    timeval max{1, 0};
    timeval tv{};
    timeval* timeout = ares_timeout(channel, &max, &tv);
    const int ms = static_cast<int>(timeout->tv_sec * 1000 + timeout->tv_usec / 1000) + 1;
    poll(fds.data(), fds.size(), ms);
    if (fds[0].revents & POLLIN) {
      uint64_t value;
      (void)!read(state_->wake_fd, &value, sizeof(value));
    }
    bool any = false;
    for (size_t i = 1; i < fds.size(); ++i) {
      const ares_socket_t r =
          (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
      const ares_socket_t w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
      if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD) {
        ares_process_fd(channel, r, w);
        any = true;
      }
    }
    // Timeouts and retries are handled by a call with no socket.
    if (!any) ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }
}

// ---------------------------------------------------------------------------------------------
// ReverseDnsCache

struct ReverseDnsCache::Shared {
  absl::Mutex mu;
  absl::flat_hash_map<IpAddress, Entry> entries ABSL_GUARDED_BY(mu);
  size_t in_flight ABSL_GUARDED_BY(mu) = 0;
  size_t started ABSL_GUARDED_BY(mu) = 0;
  const Clock* clock = nullptr;
  Options options;
};

ReverseDnsCache::ReverseDnsCache(PtrResolver& resolver, const Clock& clock)
    : ReverseDnsCache(resolver, clock, Options{}) {}

ReverseDnsCache::ReverseDnsCache(PtrResolver& resolver, const Clock& clock, const Options& options)
    : resolver_(resolver), clock_(clock), options_(options), shared_(std::make_shared<Shared>()) {
  shared_->clock = &clock;
  shared_->options = options;
}

ReverseDnsCache::~ReverseDnsCache() = default;

std::optional<std::string> ReverseDnsCache::Peek(const IpAddress& address) {
  const MonoTime now = clock_.Now();
  {
    absl::MutexLock lock(&shared_->mu);
    Entry& entry = shared_->entries[address];
    const bool fresh = entry.expires > now;
    if (entry.in_flight || fresh) return entry.name;
    if (shared_->in_flight >= options_.max_in_flight) return entry.name;
    entry.in_flight = true;
    ++shared_->in_flight;
    ++shared_->started;
  }
  // The callback holds the shared state, not the cache: it may outlive the cache.
  std::weak_ptr<Shared> weak = shared_;
  resolver_.Lookup(address, [weak, address](absl::StatusOr<std::string> name) {
    std::shared_ptr<Shared> shared = weak.lock();
    if (!shared) return;
    absl::MutexLock lock(&shared->mu);
    Entry& entry = shared->entries[address];
    entry.in_flight = false;
    --shared->in_flight;
    const MonoTime done_at = shared->clock->Now();
    if (name.ok()) {
      entry.name = *std::move(name);
      entry.expires = done_at + shared->options.positive_ttl;
    } else {
      // Keep an older name through a failed refresh; retry later either way.
      if (absl::IsNotFound(name.status())) entry.name.reset();
      entry.expires = done_at + shared->options.negative_ttl;
    }
  });
  absl::MutexLock lock(&shared_->mu);
  return shared_->entries[address].name;
}

void ReverseDnsCache::Annotate(v1::TraceResult& result) {
  for (v1::HopResult& hop : *result.mutable_hops()) {
    for (v1::Responder& r : *hop.mutable_responders()) {
      if (r.address().empty()) continue;
      absl::StatusOr<IpAddress> address = IpAddress::Parse(r.address());
      if (!address.ok()) continue;
      std::optional<std::string> name = Peek(*address);
      if (name.has_value()) r.set_hostname(*name);
    }
  }
}

bool ReverseDnsCache::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&shared_->mu);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(shared_->mu) { return shared_->in_flight == 0; };
  return shared_->mu.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

size_t ReverseDnsCache::in_flight() const {
  absl::MutexLock lock(&shared_->mu);
  return shared_->in_flight;
}

size_t ReverseDnsCache::lookups_started() const {
  absl::MutexLock lock(&shared_->mu);
  return shared_->started;
}

}  // namespace pathpair::dns
