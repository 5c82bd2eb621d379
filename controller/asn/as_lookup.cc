#include "controller/asn/as_lookup.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::asn {

absl::StatusOr<AsInfo> StaticAsLookup::Lookup(const IpAddress& address) {
  auto it = table_.find(address);
  if (it == table_.end()) {
    return absl::NotFoundError(absl::StrCat("no AS known for ", address.ToString()));
  }
  return it->second;
}

}  // namespace pathpair::asn
