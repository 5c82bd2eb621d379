// The `pathpair test --html FILE` page: turns a paired run, its merged paths and its diagnosis
// into the report model of html_page.h (which renders it). Findings come
// from the diagnosis' JSON (so this needs no diagnosis types); network areas are the runs of
// consecutive hops in one AS (only with an AS database: the diagnosis does not expose per-hop
// areas); the paths diverge at the first merged row whose hops do not match.
//
//   html::PairedReport page = BuildPairedHtmlReport(run, merged_or_null, diagnosis, as_lookup);
//   PATHPAIR_RETURN_IF_ERROR(html::WriteTextFile(path, html::RenderPairedHtml(page)));
#ifndef PATHPAIR_CONTROLLER_REPORT_PAIRED_PAIRED_HTML_H_
#define PATHPAIR_CONTROLLER_REPORT_PAIRED_PAIRED_HTML_H_

#include "controller/asn/as_lookup.h"
#include "controller/merge/path_merge.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/paired/paired_run.h"
#include "controller/report/paired/html_page.h"

namespace pathpair::subcommands {

// `merged` and `as_lookup` may be null (then no divergence mark and no areas).
html::PairedReport BuildPairedHtmlReport(const v1::PairedRun& run, const merge::MergedPaths* merged,
                                         const paired::DiagnosisOutput& diagnosis,
                                         asn::AsLookup* as_lookup, bool use_names);

}  // namespace pathpair::subcommands

#endif  // PATHPAIR_CONTROLLER_REPORT_PAIRED_PAIRED_HTML_H_
