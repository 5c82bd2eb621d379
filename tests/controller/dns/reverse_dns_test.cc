#include "controller/dns/reverse_dns.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::dns {
namespace {

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

// Holds every lookup until the test answers it.
class FakeResolver : public PtrResolver {
 public:
  void Lookup(const IpAddress& address, Done done) override {
    pending.emplace_back(address, std::move(done));
  }
  void Answer(size_t i, absl::StatusOr<std::string> name) {
    Done done = std::move(pending[i].second);
    done(std::move(name));
  }
  std::vector<std::pair<IpAddress, Done>> pending;
};

TEST(ReverseDnsCacheTest, PeekNeverWaitsAndLooksUpOnce) {
  FakeResolver resolver;
  FakeClock clock;
  ReverseDnsCache cache(resolver, clock);
  // The resolver has not answered: Peek returns at once, without a name.
  EXPECT_EQ(cache.Peek(Ip("198.51.100.2")), std::nullopt);
  EXPECT_EQ(cache.Peek(Ip("198.51.100.2")), std::nullopt);
  ASSERT_EQ(resolver.pending.size(), 1u);  // one lookup in flight, not one per Peek
  EXPECT_EQ(cache.in_flight(), 1u);
  resolver.Answer(0, std::string("r1.example"));
  EXPECT_EQ(cache.Peek(Ip("198.51.100.2")), "r1.example");
  EXPECT_EQ(cache.in_flight(), 0u);
  EXPECT_EQ(resolver.pending.size(), 1u);  // cached
}

TEST(ReverseDnsCacheTest, NegativeAnswersAreCachedThenRetried) {
  FakeResolver resolver;
  FakeClock clock;
  ReverseDnsCache::Options options;
  options.negative_ttl = absl::Seconds(30);
  ReverseDnsCache cache(resolver, clock, options);
  cache.Peek(Ip("198.51.100.9"));
  resolver.Answer(0, absl::NotFoundError("nx"));
  EXPECT_EQ(cache.Peek(Ip("198.51.100.9")), std::nullopt);
  EXPECT_EQ(resolver.pending.size(), 1u);
  clock.Advance(absl::Seconds(31));
  EXPECT_EQ(cache.Peek(Ip("198.51.100.9")), std::nullopt);
  EXPECT_EQ(resolver.pending.size(), 2u);  // retried after the negative TTL
}

TEST(ReverseDnsCacheTest, FailedRefreshKeepsTheOldName) {
  FakeResolver resolver;
  FakeClock clock;
  ReverseDnsCache cache(resolver, clock);
  cache.Peek(Ip("198.51.100.2"));
  resolver.Answer(0, std::string("r1.example"));
  clock.Advance(absl::Hours(2));
  EXPECT_EQ(cache.Peek(Ip("198.51.100.2")), "r1.example");  // stale but shown while refreshing
  resolver.Answer(1, absl::UnavailableError("timeout"));
  EXPECT_EQ(cache.Peek(Ip("198.51.100.2")), "r1.example");
}

TEST(ReverseDnsCacheTest, LimitsLookupsInFlight) {
  FakeResolver resolver;
  FakeClock clock;
  ReverseDnsCache::Options options;
  options.max_in_flight = 2;
  ReverseDnsCache cache(resolver, clock, options);
  cache.Peek(Ip("198.51.100.1"));
  cache.Peek(Ip("198.51.100.2"));
  cache.Peek(Ip("198.51.100.3"));
  EXPECT_EQ(resolver.pending.size(), 2u);
  resolver.Answer(0, std::string("a"));
  cache.Peek(Ip("198.51.100.3"));
  EXPECT_EQ(resolver.pending.size(), 3u);
}

TEST(ReverseDnsCacheTest, AnswerAfterTheCacheIsGoneIsHarmless) {
  FakeResolver resolver;
  FakeClock clock;
  {
    ReverseDnsCache cache(resolver, clock);
    cache.Peek(Ip("198.51.100.2"));
  }
  resolver.Answer(0, std::string("late.example"));  // must not touch freed memory (ASan)
}

TEST(ReverseDnsCacheTest, AnnotateFillsKnownNames) {
  FakeResolver resolver;
  FakeClock clock;
  ReverseDnsCache cache(resolver, clock);
  v1::TraceResult result;
  v1::HopResult* hop = result.add_hops();
  hop->add_responders()->set_address("198.51.100.2");
  hop->add_responders()->set_address("not-an-address");
  result.add_hops();  // silent hop
  cache.Annotate(result);
  EXPECT_EQ(result.hops(0).responders(0).hostname(), "");
  resolver.Answer(0, std::string("r1.example"));
  cache.Annotate(result);
  EXPECT_EQ(result.hops(0).responders(0).hostname(), "r1.example");
  EXPECT_EQ(resolver.pending.size(), 1u);
}

// LookupCache::Get: waits for one address, up to a deadline, and reports the lookup's error.
TEST(LookupCacheTest, GetWaitsForTheAnswerUpToItsDeadline) {
  absl::Mutex mu;
  std::vector<LookupCache<int>::Done> pending;
  LookupCache<int> cache(
      [&](const IpAddress&, LookupCache<int>::Done done) {
        absl::MutexLock lock(&mu);
        pending.push_back(std::move(done));
      },
      SystemClock::Get());
  EXPECT_EQ(cache.Get(Ip("198.51.100.1"), absl::Milliseconds(20)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  std::thread answer([&] {
    absl::SleepFor(absl::Milliseconds(30));
    LookupCache<int>::Done done;
    {
      absl::MutexLock lock(&mu);
      done = std::move(pending.at(0));
    }
    done(64500);
  });
  absl::StatusOr<int> value = cache.Get(Ip("198.51.100.1"), absl::Seconds(10));
  answer.join();
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, 64500);
  EXPECT_EQ(cache.lookups_started(), 1u);

  cache.Peek(Ip("198.51.100.2"));
  LookupCache<int>::Done second;
  {
    absl::MutexLock lock(&mu);
    second = std::move(pending.at(1));
  }
  second(absl::NotFoundError("nx"));
  EXPECT_EQ(cache.Get(Ip("198.51.100.2"), absl::ZeroDuration()).status().code(),
            absl::StatusCode::kNotFound);
}

// A python3 DNS server on 127.0.0.1 answering PTR from a table (ptr_server.py).
class PtrServer {
 public:
  explicit PtrServer(const std::vector<std::string>& table) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      std::vector<std::string> args = {"python3", PATHPAIR_PTR_SERVER};
      args.insert(args.end(), table.begin(), table.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("python3", argv.data());
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    if (f != nullptr && fscanf(f, "%d", &port_) != 1) port_ = 0;
    if (f != nullptr) fclose(f);
  }
  ~PtrServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST(AresPtrResolverTest, RealLookupsAgainstALocalServer) {
  // Every answer waits a little, so that the first Peeks see lookups still running even when a
  // sanitizer build on a loaded machine takes a while between them.
  PtrServer server({"198.51.100.2=r1.example.net:0.5", "2001:db8::7=v6.example.net:0.5",
                    "198.51.100.9=slow.example.net:1.5"});
  ASSERT_GT(server.port(), 0);
  AresPtrResolver::Options options;
  options.servers = absl::StrCat("127.0.0.1:", server.port());
  options.timeout = absl::Seconds(3);
  options.tries = 1;
  absl::StatusOr<std::unique_ptr<AresPtrResolver>> resolver = AresPtrResolver::Create(options);
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  ReverseDnsCache cache(**resolver, SystemClock::Get());

  // All start at once; none blocks, the slow one included.
  EXPECT_EQ(cache.Peek(Ip("198.51.100.9")), std::nullopt);
  EXPECT_EQ(cache.Peek(Ip("198.51.100.2")), std::nullopt);
  EXPECT_EQ(cache.Peek(Ip("2001:db8::7")), std::nullopt);
  EXPECT_EQ(cache.Peek(Ip("198.51.100.77")), std::nullopt);
  EXPECT_EQ(cache.lookups_started(), 4u);
  ASSERT_TRUE(cache.WaitIdle(absl::Seconds(10)));
  EXPECT_EQ(cache.Peek(Ip("198.51.100.2")), "r1.example.net");
  EXPECT_EQ(cache.Peek(Ip("2001:db8::7")), "v6.example.net");
  EXPECT_EQ(cache.Peek(Ip("198.51.100.9")), "slow.example.net");
  EXPECT_EQ(cache.Peek(Ip("198.51.100.77")), std::nullopt);  // NXDOMAIN
  EXPECT_EQ(cache.lookups_started(), 4u);
}

TEST(AresPtrResolverTest, RejectsBadServerList) {
  AresPtrResolver::Options options;
  options.servers = "not a server";
  EXPECT_FALSE(AresPtrResolver::Create(options).ok());
}

TEST(AresPtrResolverTest, ShutdownCancelsPendingLookups) {
  PtrServer server({"198.51.100.9=slow.example.net:5"});
  ASSERT_GT(server.port(), 0);
  AresPtrResolver::Options options;
  options.servers = absl::StrCat("127.0.0.1:", server.port());
  absl::StatusOr<std::unique_ptr<AresPtrResolver>> resolver = AresPtrResolver::Create(options);
  ASSERT_TRUE(resolver.ok());
  absl::Status seen = absl::OkStatus();
  absl::Notification done;
  (*resolver)->Lookup(Ip("198.51.100.9"), [&](absl::StatusOr<std::string> name) {
    seen = name.status();
    done.Notify();
  });
  resolver->reset();  // destroys the resolver while the answer is 5 s away
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_TRUE(absl::IsCancelled(seen)) << seen;
}

}  // namespace
}  // namespace pathpair::dns
