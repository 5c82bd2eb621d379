// The diagnosis of a paired run (or of one trace) for the paired reports: runs
// controller/diagnosis on the forward trace, the reverse trace and both together with the
// one-way results, and renders the findings as JSON members and a text block. Kept behind this
// small header so that reports compile without the diagnosis module (then `available` is false
// and every finding list is empty).
//
// The run's verdict is the merged diagnosis's: it covers both traces and both one-way directions
// (healthy / degraded / broken, diagnose.h). It is what the paired JSON's top-level "verdict",
// `pathpair history` and the exit code of `pathpair test` and `pathpair diagnose` say.
//
//   DiagnosisOutput d = DiagnosePairedRun(run, nullptr);
//   nlohmann::ordered_json j = PairedRunToJson(run, paths, d.json);
//   std::cout << d.text;   // d.verdict: v1::VERDICT_HEALTHY ...
#ifndef PATHPAIR_CONTROLLER_PAIRED_PAIRED_DIAGNOSIS_H_
#define PATHPAIR_CONTROLLER_PAIRED_PAIRED_DIAGNOSIS_H_

#include <string>

#include "controller/asn/as_lookup.h"
#include "controller/geo/geo_lookup.h"
#include "controller/paired/paired_json.h"
#include "controller/paired/paired_run.h"
#include "pathpair/v1/diagnosis.pb.h"
#include "pathpair/v1/paired.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::paired {

struct DiagnosisOutput {
  bool available = false;  // the diagnosis module is part of this build
  DiagnosisJson json;      // json.forward also serves a single trace; json.verdict is set
  std::string text;        // a block for the end of a text report ("" when unavailable)
  // Its first line alone ("Diagnosis: DEGRADED (effective loss ...)"), for reports that lay
  // out the findings themselves.
  std::string headline;
  // The verdict over everything measured; VERDICT_UNSPECIFIED when there was nothing to
  // diagnose (no trace at all).
  v1::Verdict verdict = v1::VERDICT_UNSPECIFIED;
};

// as_lookup and geo_lookup may be null (address heuristics; long links judged without their
// distance).
DiagnosisOutput DiagnosePairedRun(const v1::PairedRun& run, asn::AsLookup* as_lookup,
                                  geo::GeoLookup* geo_lookup = nullptr);
DiagnosisOutput DiagnoseOneTrace(const v1::TraceResult& trace, asn::AsLookup* as_lookup,
                                 geo::GeoLookup* geo_lookup = nullptr);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_PAIRED_DIAGNOSIS_H_
