// Asynchronous reverse DNS for the controller's outputs: a LookupCache of names in front of a
// PTR resolver, so that the screen and reports show names while a slow or dead resolver never
// delays a probe or a redraw. Callers only ever Peek: a name not yet known returns nullopt at
// once and its lookup is started in the background; the next Peek (next redraw) finds it.
//
//   absl::StatusOr<std::unique_ptr<AresResolver>> ares = AresResolver::Create({});
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
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"
#include "controller/dns/ares_resolver.h"
#include "controller/dns/lookup_cache.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::dns {

class ReverseDnsCache {
 public:
  using Options = LookupCacheOptions;
  ReverseDnsCache(PtrResolver& resolver, const Clock& clock, const Options& options = {});

  // The cached name (never blocks). Unknown or expired: nullopt, and a lookup starts unless one
  // is in flight. Addresses without a PTR record stay nullopt (negative cache).
  std::optional<std::string> Peek(const IpAddress& address) { return names_.Peek(address); }

  // Sets every responder's hostname from Peek (unparsable or empty addresses are skipped).
  void Annotate(v1::TraceResult& result);

  // Waits until no lookup is in flight or `timeout` passes; true when idle. For the end of a
  // report run only, never in the probe loop.
  bool WaitIdle(absl::Duration timeout) { return names_.WaitIdle(timeout); }

  size_t in_flight() const { return names_.in_flight(); }
  size_t lookups_started() const { return names_.lookups_started(); }

 private:
  LookupCache<std::string> names_;
};

}  // namespace pathpair::dns

#endif  // PATHPAIR_CONTROLLER_DNS_REVERSE_DNS_H_
