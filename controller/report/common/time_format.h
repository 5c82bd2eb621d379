// The time stamps the writers print, from Unix microseconds: ISO 8601 in UTC with milliseconds
// (JSON, the paired JSON, history listings), mtr's local time with its UTC offset (the report's
// "Start:" line) and a UTC time for people (the HTML page). One place, so that every output
// shows the same instant the same way.
//
//   FormatIsoUtc(1'795'779'851'250'000);        // "2026-11-27T11:44:11.250Z"
//   FormatMtrLocalTime(1'795'779'851'250'000);  // "2026-11-27T11:44:11+0000" with TZ=UTC
//   FormatReadableUtc(1'795'779'851'250'000);   // "2026-11-27 11:44:11 UTC"
#ifndef PATHPAIR_CONTROLLER_REPORT_COMMON_TIME_FORMAT_H_
#define PATHPAIR_CONTROLLER_REPORT_COMMON_TIME_FORMAT_H_

#include <cstdint>
#include <string>

namespace pathpair::output {

// ISO 8601 UTC with milliseconds, e.g. 2026-11-27T11:20:41.250Z.
std::string FormatIsoUtc(int64_t unix_us);

// mtr's time stamp: local time (TZ) as "%Y-%m-%dT%H:%M:%S%z", e.g. 2026-11-27T11:20:41+0000.
std::string FormatMtrLocalTime(int64_t unix_us);

// UTC to the second for a page header, e.g. "2026-11-27 11:20:41 UTC".
std::string FormatReadableUtc(int64_t unix_us);

}  // namespace pathpair::output

#endif  // PATHPAIR_CONTROLLER_REPORT_COMMON_TIME_FORMAT_H_
