#include "controller/report/common/time_format.h"

#include <string>

#include "absl/time/time.h"

namespace pathpair::output {

std::string FormatIsoUtc(int64_t unix_us) {
  // %E3S: seconds and milliseconds, truncated (before the epoch too: -1 ms is 23:59:59.999).
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMicros(unix_us),
                          absl::UTCTimeZone());
}

std::string FormatMtrLocalTime(int64_t unix_us) {
  // The local zone is TZ's (else /etc/localtime), as for mtr's localtime(); whole seconds.
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%z", absl::FromUnixMicros(unix_us),
                          absl::LocalTimeZone());
}

std::string FormatReadableUtc(int64_t unix_us) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMicros(unix_us),
                          absl::UTCTimeZone());
}

}  // namespace pathpair::output
