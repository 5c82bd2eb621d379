#include "controller/dns/ares_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace pathpair::dns {

// One queued query: how to start it on the channel, and how to answer it when the resolver
// shuts down before it started.
struct AresResolver::Job {
  std::function<void(ares_channel)> start;
  std::function<void()> cancel;
};

struct AresResolver::State {
  ares_channel channel = nullptr;
  int wake_fd = -1;
  absl::Mutex mu;
  std::deque<Job> queued ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
  ~State() {
    if (channel != nullptr) ares_destroy(channel);
    if (wake_fd >= 0) close(wake_fd);
  }
};

namespace {

constexpr int kDnsClassIn = 1;
constexpr int kDnsTypeTxt = 16;

std::once_flag g_ares_init;

// c-ares' status as the error every caller understands.
absl::Status StatusOf(int status, const std::string& what) {
  if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
    return absl::NotFoundError(absl::StrCat("no ", what));
  }
  if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
    return absl::CancelledError("resolver shut down");
  }
  return absl::UnavailableError(absl::StrCat(what, " lookup failed: ", ares_strerror(status)));
}

void OnHost(void* arg, int status, int /*timeouts*/, struct hostent* host) {
  std::unique_ptr<PtrResolver::Done> done(static_cast<PtrResolver::Done*>(arg));
  if (status == ARES_SUCCESS && host != nullptr && host->h_name != nullptr && host->h_name[0]) {
    (*done)(std::string(host->h_name));
  } else {
    (*done)(StatusOf(status == ARES_SUCCESS ? ARES_ENODATA : status, "PTR record"));
  }
}

void OnTxt(void* arg, int status, int /*timeouts*/, unsigned char* answer, int length) {
  std::unique_ptr<TxtResolver::Done> done(static_cast<TxtResolver::Done*>(arg));
  if (status != ARES_SUCCESS) {
    (*done)(StatusOf(status, "TXT record"));
    return;
  }
  ares_txt_reply* reply = nullptr;
  status = ares_parse_txt_reply(answer, length, &reply);
  if (status == ARES_SUCCESS && reply == nullptr) status = ARES_ENODATA;
  if (status == ARES_SUCCESS) {
    std::string text(reinterpret_cast<const char*>(reply->txt), reply->length);
    ares_free_data(reply);
    (*done)(std::move(text));
    return;
  }
  if (reply != nullptr) ares_free_data(reply);
  (*done)(StatusOf(status, "TXT record"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AresResolver>> AresResolver::Create(const Options& options) {
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
  return std::unique_ptr<AresResolver>(new AresResolver(std::move(state)));
}

AresResolver::AresResolver(std::unique_ptr<State> state)
    : state_(std::move(state)), thread_([this] { Run(); }) {}

AresResolver::~AresResolver() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->stopping = true;
  }
  const uint64_t one = 1;
  (void)!write(state_->wake_fd, &one, sizeof(one));
  thread_.join();
}

void AresResolver::Enqueue(Job job) {
  bool queued = false;
  {
    absl::MutexLock lock(&state_->mu);
    if (!state_->stopping) {
      state_->queued.push_back(std::move(job));
      queued = true;
    }
  }
  if (!queued) {
    job.cancel();
    return;
  }
  const uint64_t one = 1;
  (void)!write(state_->wake_fd, &one, sizeof(one));
}

void AresResolver::Lookup(const IpAddress& address, PtrResolver::Done done) {
  auto shared = std::make_shared<PtrResolver::Done>(std::move(done));
  Enqueue(Job{[address, shared](ares_channel channel) {
                const std::span<const uint8_t> bytes = address.bytes();
                ares_gethostbyaddr(channel, bytes.data(), static_cast<int>(bytes.size()),
                                   address.is_v4() ? AF_INET : AF_INET6, OnHost,
                                   new PtrResolver::Done(std::move(*shared)));
              },
              [shared] { (*shared)(absl::CancelledError("resolver shut down")); }});
}

void AresResolver::QueryTxt(const std::string& name, TxtResolver::Done done) {
  auto shared = std::make_shared<TxtResolver::Done>(std::move(done));
  Enqueue(Job{[name, shared](ares_channel channel) {
                ares_query(channel, name.c_str(), kDnsClassIn, kDnsTypeTxt, OnTxt,
                           new TxtResolver::Done(std::move(*shared)));
              },
              [shared] { (*shared)(absl::CancelledError("resolver shut down")); }});
}

void AresResolver::Run() {
  ares_channel channel = state_->channel;
  for (;;) {
    std::deque<Job> batch;
    bool stopping;
    {
      absl::MutexLock lock(&state_->mu);
      batch.swap(state_->queued);
      stopping = state_->stopping;
    }
    if (stopping) {
      for (Job& job : batch) job.cancel();
      ares_cancel(channel);  // runs pending callbacks with ARES_ECANCELLED
      return;
    }
    for (Job& job : batch) job.start(channel);

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

}  // namespace pathpair::dns
