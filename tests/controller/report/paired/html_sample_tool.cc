// html_sample_tool: writes the sample paired report (and the WinMTR exports of its forward
// trace) to files, for the rendering test and the docs screenshot.
//
//   html_sample_tool report.html [winmtr.html winmtr.txt]
//   html_sample_tool --text          (the sample as the side-by-side text table)
//   html_sample_tool --from-json FORWARD.json REVERSE.json report.html   (real traces)
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "controller/report/paired/html_page.h"
#include "controller/report/paired/side_by_side_text.h"
#include "controller/report/trace/winmtr_export.h"
#include "google/protobuf/util/json_util.h"
#include "tests/controller/report/paired/sample_report.h"

namespace {

bool ReadTrace(const char* path, pathpair::v1::TraceResult& trace) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return file && google::protobuf::util::JsonStringToMessage(text.str(), &trace).ok();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pathpair::html;
  if (argc == 2 && std::string(argv[1]) == "--text") {
    // The same sample as `pathpair test`'s side-by-side text table.
    std::cout << pathpair::formats::FormatPairedText(testing::SampleTrace(false),
                                                     testing::SampleTrace(true), {});
    return 0;
  }
  if (argc == 5 && std::string(argv[1]) == "--from-json") {
    // A report from two real traces (v1::TraceResult JSON, e.g. a side's "trace" in a stored run).
    PairedReport report;
    report.title = "pathpair test report (real run on a namespace path)";
    if (!ReadTrace(argv[2], report.forward) || !ReadTrace(argv[3], report.reverse)) {
      std::cerr << "cannot read the traces\n";
      return 1;
    }
    report.generated_unix_us = report.forward.end_unix_us();
    absl::Status s = WriteTextFile(argv[4], RenderPairedHtml(report));
    if (!s.ok()) std::cerr << s.message() << "\n";
    return s.ok() ? 0 : 1;
  }
  if (argc != 2 && argc != 4) {
    std::cerr << "usage: html_sample_tool REPORT.html [WINMTR.html WINMTR.txt]\n";
    return 2;
  }
  absl::Status s = WriteTextFile(argv[1], RenderPairedHtml(testing::SampleReport()));
  if (s.ok() && argc == 4) {
    s = WriteTextFile(argv[2], FormatWinMtrHtml(testing::SampleTrace(false), {}));
    if (s.ok()) s = WriteTextFile(argv[3], FormatWinMtrText(testing::SampleTrace(false), {}));
  }
  if (!s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  return 0;
}
