#include "controller/dns/reverse_dns.h"

#include <utility>

namespace pathpair::dns {

ReverseDnsCache::ReverseDnsCache(PtrResolver& resolver, const Clock& clock, const Options& options)
    : names_(
          [&resolver](const IpAddress& address, LookupCache<std::string>::Done done) {
            resolver.Lookup(address, std::move(done));
          },
          clock, options) {}

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

}  // namespace pathpair::dns
