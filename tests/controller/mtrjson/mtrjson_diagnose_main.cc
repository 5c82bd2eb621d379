// mtrjson-diagnose: a test helper (not the product CLI) that reads real mtr -j reports and
// prints their diagnosis, so scenario tests can run real mtr and check the findings.
//
//   mtrjson-diagnose [--json] FILE...
// Prints, per file, the text block (or the JSON members). Exit status as proposed for
// `pathpair diagnose`: the worst of 0 healthy, 1 degraded, 2 broken; 3 unreadable input.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/exit_status.h"
#include "controller/diagnosis/render.h"
#include "controller/mtrjson/mtr_json.h"

int main(int argc, char** argv) {
  bool json = false;
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json" || arg == "-j") {
      json = true;
      continue;
    }
    std::ifstream file(arg, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    auto trace = pathpair::mtrjson::ParseMtrJson(text.str());
    if (!file || !trace.ok()) {
      std::cerr << arg << ": " << (file ? trace.status().ToString() : "cannot read") << "\n";
      status = std::max(status, pathpair::kExitRuntimeError);
      continue;
    }
    const pathpair::v1::Diagnosis d = pathpair::diagnosis::DiagnoseTrace(*trace);
    if (json) {
      nlohmann::ordered_json report;
      pathpair::diagnosis::WriteDiagnosisJson(d, report);
      std::cout << report.dump(2) << "\n";
    } else {
      std::cout << "== " << arg << "\n" << pathpair::diagnosis::RenderDiagnosisText(d, false);
    }
    status = std::max(status, pathpair::diagnosis::ExitStatusFor(d.verdict()));
  }
  return status;
}
