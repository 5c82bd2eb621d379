// Reads real mtr's JSON report (`mtr -j`, versions 0.92 to 0.95) into a v1::TraceResult, so
// `pathpair diagnose` can analyse traces captured with mtr.
//
// Versions differ: 0.92/0.93 print the JSON by hand ("count", "tos" and "tests" as strings,
// figures with two decimals, and 0.92 emits invalid JSON — a missing "]" — when there are no
// hubs, which is repaired here); 0.94+ use libjansson (integers as integers). Either way the
// keys of a hub are the field titles (Loss%, Drop, Rcv, Snt, Last, Best, Avg, Wrst, StDev,
// Gmean, Jttr, Javg, Jmax, Jint), times in ms, plus "ASN" with -z.
//
// mtr's JSON has no "destination reached" flag. When "dst" is an address, the trace reached it
// if a hub answered from that address. When it is a host name: mtr lists hops up to the
// destination when it answered, and otherwise up to one unknown hop ("???") past the last known
// one, so the trace counts as reached when the last hub answered from an address seen at no
// other hop (a routing loop also ends with an answering hub, at the maximum TTL, but its
// address repeats). That hub is marked as the destination.
//
// pathpair's own -j output is read back the same way, plus its keys for a trace cut short:
// "interrupted" and "incomplete" (booleans), "rounds" (the rounds the figures cover) and
// "rounds_started".
//
//   absl::StatusOr<v1::TraceResult> trace = ParseMtrJson(file_contents);
//   if (!trace.ok()) return trace.status();  // InvalidArgument with the reason
#ifndef PATHPAIR_CONTROLLER_MTRJSON_MTR_JSON_H_
#define PATHPAIR_CONTROLLER_MTRJSON_MTR_JSON_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::mtrjson {

// Input larger than this is refused (a report of 255 hops is a few tens of kB).
inline constexpr size_t kMaxMtrJsonBytes = 16 * 1024 * 1024;

// Whether text looks like mtr's JSON ({"report": {"mtr": ..., "hubs": ...}}), for callers that
// accept several formats. Cheap; does not validate.
bool LooksLikeMtrJson(absl::string_view text);

absl::StatusOr<v1::TraceResult> ParseMtrJson(absl::string_view text);

// The AS numbers mtr printed with -z ("ASN": "AS64500"), by hop address ("AS???" and hops
// known only by name are left out). mtr takes them from Team Cymru's DNS, so a
// StaticAsLookup(AsSourceKind::kDns) filled from this map gives `diagnose` the same areas.
absl::StatusOr<std::map<std::string, uint32_t>> ParseMtrJsonAsNumbers(absl::string_view text);

}  // namespace pathpair::mtrjson

#endif  // PATHPAIR_CONTROLLER_MTRJSON_MTR_JSON_H_
