// CymruAsLookup: AS numbers and IP information from Team Cymru's DNS service (what mtr's -z and
// -y show), asynchronously through dns::AresResolver:
//   <reversed address>.origin.asn.cymru.com TXT  "64500 | 198.51.100.0/24 | ZZ | arin | 2001-01-01"
//   (origin6.asn.cymru.com with reversed nibbles for IPv6), then
//   AS64500.asn.cymru.com TXT  "64500 | ZZ | arin | 2001-01-01 | EXAMPLE-AS - Example Org, ZZ"
// for the AS name. Answers are cached per address (dns::LookupCache) and names per AS.
//
// Peek never blocks (the screen and the reports use it: a lookup starts in the background and
// its answer fills in later); Lookup, the AsLookup interface the diagnosis uses, waits at most
// Options::lookup_wait. Failures are Unavailable (network), NotFound (NXDOMAIN) or
// DeadlineExceeded (still running when the wait ended). An unconfigured CymruAsLookup (default
// constructor) answers Unimplemented ("not configured"), so callers can hold one without
// enabling DNS.
//
//   CymruAsLookup::Options options;
//   options.servers = "127.0.0.1:5353";          // empty: the system's resolv.conf
//   auto dns = CymruAsLookup::Create(options);
//   std::optional<IpInfo> info = (*dns)->Peek(*IpAddress::Parse("198.51.100.7"));  // later
//   auto as = (*dns)->Lookup(*IpAddress::Parse("198.51.100.7"));                   // waits
#ifndef PATHPAIR_CONTROLLER_ASN_CYMRU_AS_LOOKUP_H_
#define PATHPAIR_CONTROLLER_ASN_CYMRU_AS_LOOKUP_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/asn/as_lookup.h"
#include "controller/dns/ares_resolver.h"
#include "controller/dns/lookup_cache.h"

namespace pathpair::asn {

// What Team Cymru's origin record says about an address (mtr's -y fields), and the AS's name.
struct IpInfo {
  AsInfo as;              // the origin AS (the first of several) and, when known, its name
  std::string prefix;     // "198.51.100.0/24"
  std::string country;    // "ZZ"
  std::string registry;   // "arin"
  std::string allocated;  // "2001-01-01"
};

// mtr's -y numbers: 0 origin AS, 1 prefix, 2 country, 3 registry, 4 allocation date.
inline constexpr int kIpInfoFieldCount = 5;

// Field `field` as mtr shows it: the AS number ("64500"), the prefix, country, registry or
// allocation date; "" when unknown or `field` is out of range.
std::string IpInfoField(const IpInfo& info, int field);

// The TXT query name for an address: reversed IPv4 octets under origin.asn.cymru.com, or
// reversed IPv6 nibbles under origin6.asn.cymru.com.
std::string CymruQueryName(const IpAddress& address);

// Parses an origin TXT answer such as "64500 | 198.51.100.0/24 | ZZ | test | 2001-01-01"
// (the first of several space-separated origins is taken; missing trailing fields stay
// empty). The AS name is left empty.
absl::StatusOr<IpInfo> ParseCymruOriginTxt(absl::string_view txt);

// Parses an AS description answer ("64500 | ZZ | arin | 2001-01-01 | EXAMPLE-AS - Example
// Org, ZZ") into its last field, the AS name.
absl::StatusOr<std::string> ParseCymruAsNameTxt(absl::string_view txt);

class CymruAsLookup : public AsLookup {
 public:
  struct Options {
    std::string servers;    // c-ares CSV "host[:port],..."; empty = system resolver
    int timeout_ms = 2000;  // per query attempt
    int tries = 2;
    bool lookup_names = true;  // second query for the AS name
    // How long Lookup() waits for an address that is not known yet (Peek never waits).
    absl::Duration lookup_wait = absl::InfiniteDuration();
  };

  // Not configured: every lookup answers Unimplemented.
  CymruAsLookup();
  static absl::StatusOr<std::unique_ptr<CymruAsLookup>> Create(const Options& options);
  ~CymruAsLookup() override;
  CymruAsLookup(const CymruAsLookup&) = delete;
  CymruAsLookup& operator=(const CymruAsLookup&) = delete;

  absl::StatusOr<AsInfo> Lookup(const IpAddress& address) override;
  AsSourceKind kind() const override { return AsSourceKind::kDns; }

  // Never blocks: the cached information, or nullopt while its lookup runs (or failed).
  std::optional<IpInfo> Peek(const IpAddress& address);
  // Waits until no lookup is in flight or `timeout` passes; true when idle.
  bool WaitIdle(absl::Duration timeout);

 private:
  struct AsNames;
  void Start(const IpAddress& address, dns::LookupCache<IpInfo>::Done done);

  Options options_;
  std::shared_ptr<AsNames> as_names_;  // shared with callbacks that may outlive a lookup
  std::unique_ptr<dns::LookupCache<IpInfo>> cache_;
  std::unique_ptr<dns::AresResolver> resolver_;  // last: destroyed (and its callbacks run) first
};

}  // namespace pathpair::asn

#endif  // PATHPAIR_CONTROLLER_ASN_CYMRU_AS_LOOKUP_H_
