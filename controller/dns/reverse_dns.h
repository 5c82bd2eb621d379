// Asynchronous reverse DNS for the controller's outputs: a cache in front of a PTR resolver, so
// that the screen and reports show names while a slow or dead resolver never delays a probe or
// a redraw. Callers only ever Peek: a name not yet known returns nullopt at once and its lookup
// is started in the background; the next Peek (next redraw) finds it.
//
//   absl::StatusOr<std::unique_ptr<AresPtrResolver>> ares = AresPtrResolver::Create({});
//   ReverseDnsCache names(**ares, SystemClock::Get());
//   names.Annotate(snapshot);                 // fills responders' hostname where known
//   ...
//   names.WaitIdle(absl::Seconds(2));         // report modes: give lookups a last chance
//   names.Annotate(final_result);
//
// Thread-safety: ReverseDnsCache may be used from any thread; resolvers call back on their own.
#ifndef PATHPAIR_CONTROLLER_DNS_REVERSE_DNS_H_
#define PATHPAIR_CONTROLLER_DNS_REVERSE_DNS_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::dns {

// Asynchronous PTR lookups. `done` runs exactly once, on any thread, with the name or an error
// (NotFound for NXDOMAIN / no PTR record). Lookup itself must not block.
class PtrResolver {
 public:
  using Done = std::function<void(absl::StatusOr<std::string>)>;
  virtual ~PtrResolver() = default;
  virtual void Lookup(const IpAddress& address, Done done) = 0;
};

// c-ares on its own thread. Pending lookups are answered with Cancelled at destruction.
class AresPtrResolver : public PtrResolver {
 public:
  struct Options {
    // "host:port,host:port" (c-ares CSV). Empty: the system's resolv.conf.
    std::string servers;
    absl::Duration timeout = absl::Seconds(2);  // per try
    int tries = 2;
  };
  static absl::StatusOr<std::unique_ptr<AresPtrResolver>> Create(const Options& options);
  ~AresPtrResolver() override;
  void Lookup(const IpAddress& address, Done done) override;

 private:
  struct State;
  explicit AresPtrResolver(std::unique_ptr<State> state);
  void Run();
  std::unique_ptr<State> state_;
  std::thread thread_;
};

class ReverseDnsCache {
 public:
  struct Options {
    absl::Duration positive_ttl = absl::Hours(1);
    absl::Duration negative_ttl = absl::Minutes(5);  // NXDOMAIN or failure: retry after this
    size_t max_in_flight = 64;  // more distinct unknown addresses wait for a later Peek
  };
  ReverseDnsCache(PtrResolver& resolver, const Clock& clock);
  ReverseDnsCache(PtrResolver& resolver, const Clock& clock, const Options& options);
  ~ReverseDnsCache();
  ReverseDnsCache(const ReverseDnsCache&) = delete;
  ReverseDnsCache& operator=(const ReverseDnsCache&) = delete;

  // The cached name (never blocks). Unknown or expired: nullopt, and a lookup starts unless one
  // is in flight. Addresses without a PTR record stay nullopt (negative cache).
  std::optional<std::string> Peek(const IpAddress& address);

  // Sets every responder's hostname from Peek (unparsable or empty addresses are skipped).
  void Annotate(v1::TraceResult& result);

  // Waits until no lookup is in flight or `timeout` passes; true when idle. For the end of a
  // report run only, never in the probe loop.
  bool WaitIdle(absl::Duration timeout);

  size_t in_flight() const;
  size_t lookups_started() const;

 private:
  struct Entry {
    std::optional<std::string> name;
    MonoTime expires;
    bool in_flight = false;
  };
  struct Shared;  // outlives the cache while callbacks are pending

  PtrResolver& resolver_;
  const Clock& clock_;
  Options options_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace pathpair::dns

#endif  // PATHPAIR_CONTROLLER_DNS_REVERSE_DNS_H_
