// AsLookup: maps an IP address to the autonomous system that announces it, behind a small
// interface so the diagnosis stays pure and tests can use fakes. Implementations: an offline
// MaxMind-format database (mmdb_as_lookup.h) and, optionally, Team Cymru DNS
// (cymru_as_lookup.h).
//
//   absl::StatusOr<std::unique_ptr<AsLookup>> db = MmdbAsLookup::Open("GeoLite2-ASN.mmdb");
//   absl::StatusOr<AsInfo> as = (*db)->Lookup(*IpAddress::Parse("198.51.100.7"));
//   if (as.ok()) std::cout << "AS" << as->number << " " << as->name;
#ifndef PATHPAIR_CONTROLLER_ASN_AS_LOOKUP_H_
#define PATHPAIR_CONTROLLER_ASN_AS_LOOKUP_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/net/ip_address.h"

namespace pathpair::asn {

struct AsInfo {
  uint32_t number = 0;  // 0 = unknown
  std::string name;     // the AS's organisation, e.g. "Example Transit Ltd"
};

// Where AS answers come from; reported in the diagnosis as its area source.
enum class AsSourceKind { kMmdb, kDns };

class AsLookup {
 public:
  virtual ~AsLookup() = default;
  // NotFound when no network in the source covers the address; Unavailable / Internal / ...
  // when the source itself failed. Must not crash on any address.
  virtual absl::StatusOr<AsInfo> Lookup(const IpAddress& address) = 0;
  virtual AsSourceKind kind() const = 0;
};

// A fixed table, for tests and for callers that already know the answers.
class StaticAsLookup : public AsLookup {
 public:
  explicit StaticAsLookup(AsSourceKind kind = AsSourceKind::kMmdb) : kind_(kind) {}
  void Add(const IpAddress& address, AsInfo info) { table_[address] = std::move(info); }
  absl::StatusOr<AsInfo> Lookup(const IpAddress& address) override;
  AsSourceKind kind() const override { return kind_; }

 private:
  AsSourceKind kind_;
  std::map<IpAddress, AsInfo> table_;
};

}  // namespace pathpair::asn

#endif  // PATHPAIR_CONTROLLER_ASN_AS_LOOKUP_H_
