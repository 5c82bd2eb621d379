#include "controller/asn/mmdb_as_lookup.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::asn {

absl::StatusOr<std::unique_ptr<MmdbAsLookup>> MmdbAsLookup::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<mmdb::MmdbFile>> file = mmdb::MmdbFile::Open(path, "AS database");
  if (!file.ok()) return file.status();
  return std::unique_ptr<MmdbAsLookup>(new MmdbAsLookup(*std::move(file)));
}

std::string MmdbAsLookup::database_type() const { return file_->database_type(); }

absl::StatusOr<AsInfo> MmdbAsLookup::Lookup(const IpAddress& address) {
  absl::StatusOr<mmdb::MmdbRecord> record = file_->Find(address);
  if (!record.ok()) {
    return absl::NotFoundError(absl::StrCat("AS lookup: ", record.status().message()));
  }
  AsInfo info;
  const std::optional<double> number = record->Number({"autonomous_system_number"});
  if (number.has_value() && *number > 0 && *number <= 4294967295.0) {
    info.number = static_cast<uint32_t>(*number);
  }
  info.name = record->Text({"autonomous_system_organization"}).value_or("");
  if (info.number == 0) {
    return absl::NotFoundError(absl::StrCat("no AS number recorded for ", address.ToString()));
  }
  return info;
}

}  // namespace pathpair::asn
