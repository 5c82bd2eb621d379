// CymruAsLookup: AS numbers and names from Team Cymru's DNS service, through c-ares:
//   <reversed address>.origin.asn.cymru.com TXT  "64500 | 198.51.100.0/24 | ZZ | arin | ..."
//   (origin6.asn.cymru.com with reversed nibbles for IPv6), then
//   AS64500.asn.cymru.com TXT  "64500 | ZZ | arin | 2001-01-01 | EXAMPLE-AS - Example Org, ZZ"
// for the name. Answers are cached per address and per AS. Each lookup blocks for at most the
// configured timeout per query; failures are Unavailable (network) or NotFound (NXDOMAIN).
// An unconfigured CymruAsLookup (default constructor) answers Unimplemented ("not
// configured"), so callers can hold one without enabling DNS.
//
//   CymruAsLookup::Options options;
//   options.servers = "127.0.0.1:5353";          // empty: the system's resolv.conf
//   auto dns = CymruAsLookup::Create(options);
//   auto as = (*dns)->Lookup(*IpAddress::Parse("198.51.100.7"));
#ifndef PATHPAIR_CONTROLLER_ASN_CYMRU_AS_LOOKUP_H_
#define PATHPAIR_CONTROLLER_ASN_CYMRU_AS_LOOKUP_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/asn/as_lookup.h"

namespace pathpair::asn {

// The TXT query name for an address: reversed IPv4 octets under origin.asn.cymru.com, or
// reversed IPv6 nibbles under origin6.asn.cymru.com.
std::string CymruQueryName(const IpAddress& address);

// Parses an origin TXT answer such as "64500 | 198.51.100.0/24 | ZZ | test | 2001-01-01"
// (the first of several space-separated origins is taken). The name is left empty.
absl::StatusOr<AsInfo> ParseCymruOriginTxt(absl::string_view txt);

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
  };

  // Not configured: every lookup answers Unimplemented.
  CymruAsLookup();
  static absl::StatusOr<std::unique_ptr<CymruAsLookup>> Create(const Options& options);
  ~CymruAsLookup() override;
  CymruAsLookup(const CymruAsLookup&) = delete;
  CymruAsLookup& operator=(const CymruAsLookup&) = delete;

  absl::StatusOr<AsInfo> Lookup(const IpAddress& address) override;
  AsSourceKind kind() const override { return AsSourceKind::kDns; }

 private:
  struct Channel;
  // The first TXT string of name's answer.
  absl::StatusOr<std::string> QueryTxt(const std::string& name);

  Options options_;
  std::unique_ptr<Channel> channel_;  // null: not configured
  std::map<IpAddress, absl::StatusOr<AsInfo>> by_address_;
  std::map<uint32_t, std::string> names_;
};

}  // namespace pathpair::asn

#endif  // PATHPAIR_CONTROLLER_ASN_CYMRU_AS_LOOKUP_H_
