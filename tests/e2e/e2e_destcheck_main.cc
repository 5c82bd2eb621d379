// pathpair-e2e-destcheck: a test helper (not installed) standing in for `pathpair trace` until
// the trace command runs the destination check itself. Reads one pathpair/mtr -j report of an
// ICMP trace, runs the destination check (controller/destcheck) against its target with the
// local prober, and prints the diagnosis of trace + check as JSON (report.diagnosis's members).
//
//   pathpair-e2e-destcheck trace.json      # inside the namespace the trace ran in
//
// Exit status: 0 printed, 3 unreadable input or no target address.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "agent/engine/trace_result.h"
#include "agent/prober/run_trace.h"
#include "controller/destcheck/destination_check.h"
#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/render.h"
#include "controller/mtrjson/mtr_json.h"

namespace {

absl::StatusOr<pathpair::v1::TraceResult> RunLocally(const pathpair::v1::ProbeOptions& options,
                                                     const pathpair::IpAddress& target) {
  absl::StatusOr<pathpair::engine::TraceResult> result =
      pathpair::prober::RunTrace(options, target, nullptr);
  if (!result.ok()) return result.status();
  return pathpair::engine::ToProto(*result);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: pathpair-e2e-destcheck TRACE.json\n";
    return 3;
  }
  std::ifstream file(argv[1], std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<pathpair::v1::TraceResult> trace = pathpair::mtrjson::ParseMtrJson(text.str());
  if (!file || !trace.ok()) {
    std::cerr << argv[1] << ": " << (file ? trace.status().ToString() : "cannot read") << "\n";
    return 3;
  }
  absl::StatusOr<pathpair::IpAddress> target = pathpair::IpAddress::Parse(trace->target_address());
  if (!target.ok()) {
    std::cerr << argv[1] << ": no target address\n";
    return 3;
  }
  pathpair::v1::DiagnosisInput input;
  *input.mutable_forward() = *trace;
  input.set_forward_destination_check(
      pathpair::destcheck::CheckDestination(*trace, *target, RunLocally));
  const pathpair::v1::Diagnosis diagnosis = pathpair::diagnosis::Diagnose(input);
  nlohmann::ordered_json report;
  pathpair::diagnosis::WriteDiagnosisJson(diagnosis, report);
  report["destination_check"] =
      pathpair::v1::DestinationCheck_Name(input.forward_destination_check());
  std::cout << report.dump(2) << "\n";
  return 0;
}
