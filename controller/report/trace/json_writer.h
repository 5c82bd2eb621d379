// mtr's JSON output (-j) with pathpair's extension keys, written from a v1::TraceResult.
//
// Schema (mtr 0.95's keys, types and order first, then the extensions):
//   {"report": {
//      "mtr":  {"src", "dst", "tos": int, "tests": int, "psize": "64", "bitpattern": "0x00",
//               "start", "end" (ISO 8601 UTC), "reached": bool, "protocol": "icmp|udp|tcp",
//               ["flows": int when --flows > 1], ["error": str when the trace stopped on one],
//               ["interrupted": bool, "incomplete": bool, "rounds": int, "rounds_started": int
//                when the trace was cut short (v1::TraceResult's fields of those names)]},
//      "hubs": [{"count": ttl, "host", "Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev",
//                "Rcv", "Drop", "Gmean", "Jttr", "Javg", "Jmax", "Jint", "p50", "p95", "p99",
//                "hosts": [{"host", "ip", "Rcv", "Last", "Avg", "Best", "Wrst", "StDev",
//                           "Gmean", "p50", "p95", "p99", "mpls"}],
//                "mpls": [{"label", "tc", "s", "ttl"}]}],
//      "diagnosis": []}}
// Times are milliseconds rounded to the microsecond. The diagnosis fills "diagnosis" later:
//
//   nlohmann::ordered_json j = TraceToJson(result, JsonOptions{});
//   j["report"]["diagnosis"].push_back(finding);
//   std::cout << DumpJson(j);
#ifndef PATHPAIR_CONTROLLER_REPORT_TRACE_JSON_WRITER_H_
#define PATHPAIR_CONTROLLER_REPORT_TRACE_JSON_WRITER_H_

#include <nlohmann/json.hpp>
#include <string>

#include "pathpair/v1/trace.pb.h"

namespace pathpair::output {

struct JsonOptions {
  bool use_names = true;  // "host" is the reverse name where the result has one
};

nlohmann::ordered_json TraceToJson(const v1::TraceResult& result, const JsonOptions& options);

// Four-space indentation like mtr, a final newline, and invalid UTF-8 (from DNS answers)
// replaced instead of throwing.
std::string DumpJson(const nlohmann::ordered_json& json);

// Convenience: DumpJson(TraceToJson(result, options)).
std::string FormatJson(const v1::TraceResult& result, const JsonOptions& options);

}  // namespace pathpair::output

#endif  // PATHPAIR_CONTROLLER_REPORT_TRACE_JSON_WRITER_H_
