// MmdbAsLookup: AS numbers and names from an offline MaxMind DB file in the GeoLite2-ASN or
// DB-IP ASN-lite layout (records with `autonomous_system_number` and
// `autonomous_system_organization`), read with libmaxminddb (controller/mmdb). The file is
// memory-mapped once; lookups do no other I/O. Works with IPv4-only, IPv6-only and mixed
// databases.
//
//   auto db = MmdbAsLookup::Open("/var/lib/GeoIP/GeoLite2-ASN.mmdb");
//   if (!db.ok()) return db.status();
//   auto as = (*db)->Lookup(address);  // NotFound for addresses in no listed network
#ifndef PATHPAIR_CONTROLLER_ASN_MMDB_AS_LOOKUP_H_
#define PATHPAIR_CONTROLLER_ASN_MMDB_AS_LOOKUP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/asn/as_lookup.h"
#include "controller/mmdb/mmdb_file.h"

namespace pathpair::asn {

class MmdbAsLookup : public AsLookup {
 public:
  // Opens and validates the database; InvalidArgument / NotFound when the file is missing or
  // is not a MaxMind DB.
  static absl::StatusOr<std::unique_ptr<MmdbAsLookup>> Open(const std::string& path);
  MmdbAsLookup(const MmdbAsLookup&) = delete;
  MmdbAsLookup& operator=(const MmdbAsLookup&) = delete;

  absl::StatusOr<AsInfo> Lookup(const IpAddress& address) override;
  AsSourceKind kind() const override { return AsSourceKind::kMmdb; }
  // The database_type from the file's metadata, e.g. "GeoLite2-ASN".
  std::string database_type() const;

 private:
  explicit MmdbAsLookup(std::unique_ptr<mmdb::MmdbFile> file) : file_(std::move(file)) {}
  std::unique_ptr<mmdb::MmdbFile> file_;
};

}  // namespace pathpair::asn

#endif  // PATHPAIR_CONTROLLER_ASN_MMDB_AS_LOOKUP_H_
