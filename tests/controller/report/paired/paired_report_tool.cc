// paired_report_tool: writes the paired reports of the sample runs (sample_runs.h) exactly as
// `pathpair test` does (merge, diagnosis, text, JSON and HTML), for the Chromium checks of the
// page (render_check_test.py) and for reading them.
//
//   paired_report_tool OUTDIR     -> OUTDIR/{healthy,lossy_reverse,partial}.{html,txt,json}
#include <iostream>
#include <optional>
#include <string>

#include "controller/merge/path_merge.h"
#include "controller/merge/paths_json.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/paired/paired_json.h"
#include "controller/report/paired/html_page.h"
#include "controller/report/paired/paired_html.h"
#include "controller/report/paired/paired_text_report.h"
#include "controller/report/trace/winmtr_export.h"
#include "tests/controller/report/paired/sample_runs.h"

namespace {

absl::Status WriteReports(const pathpair::v1::PairedRun& run, const std::string& stem) {
  using namespace pathpair;
  const std::optional<merge::MergedPaths> merged = merge::MergeRun(run, nullptr);
  const merge::MergedPaths* paths = merged.has_value() ? &*merged : nullptr;
  const paired::DiagnosisOutput diagnosis = paired::DiagnosePairedRun(run, nullptr);
  const nlohmann::json paths_json = paths != nullptr ? merge::PathsToJson(*paths) : nullptr;
  absl::Status s = html::WriteTextFile(
      stem + ".json", paired::PairedRunToJson(run, paths_json, diagnosis.json, false).dump(2));
  if (s.ok()) {
    s = html::WriteTextFile(
        stem + ".txt", paired::FormatPairedRunText(run, paths, diagnosis, {.use_names = false}));
  }
  if (s.ok()) {
    s = html::WriteTextFile(stem + ".html",
                            html::RenderPairedHtml(subcommands::BuildPairedHtmlReport(
                                run, paths, diagnosis, nullptr, false)));
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: paired_report_tool OUTDIR\n";
    return 2;
  }
  using namespace pathpair::html::testing;
  const std::string dir = argv[1];
  for (const auto& [name, run] :
       {std::pair{"healthy", HealthyRun()}, std::pair{"lossy_reverse", LossyReverseRun()},
        std::pair{"partial", PartialRun()}}) {
    if (absl::Status s = WriteReports(run, dir + "/" + name); !s.ok()) {
      std::cerr << s.message() << "\n";
      return 1;
    }
  }
  return 0;
}
